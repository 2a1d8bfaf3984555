package resources

import "time"

// Action is an IAM action a function's code needs on a table or queue.
type Action string

// The actions the functions' code performs (shared/store, shared/queue).
// A TransactWriteItems Put is authorized as PutItem: transactions have no
// IAM action of their own.
const (
	GetItem        Action = "dynamodb:GetItem"
	BatchGetItem   Action = "dynamodb:BatchGetItem"
	Query          Action = "dynamodb:Query"
	PutItem        Action = "dynamodb:PutItem"
	UpdateItem     Action = "dynamodb:UpdateItem"
	BatchWriteItem Action = "dynamodb:BatchWriteItem"
	SendMessage    Action = "sqs:SendMessage" // also covers SendMessageBatch
)

// TableAccess is what a function's code does with one table. The function
// gets the table's EnvVar and exactly these permissions.
type TableAccess struct {
	Table Table
	// Actions are the IAM actions the code needs on the table itself.
	Actions []Action
	// QueriedIndexes are the indexes the code queries (dynamodb:Query on each).
	QueriedIndexes []string
}

// QueueAccess is what a function's code does with one queue. The function
// gets the queue's EnvVar (its URL) and exactly these permissions.
type QueueAccess struct {
	Queue   Queue
	Actions []Action
}

// Environment variables besides table names and queue URLs. Their values
// come from the deployment (stack parameters, the API's URL).
const (
	EnvAPIBaseURL         = "API_BASE_URL"
	EnvRateLimitPerSecond = "RATE_LIMIT_PER_SECOND"
	EnvRateLimitBurst     = "RATE_LIMIT_BURST"
	// EnvRetentionDays is how many days requests and loader records are
	// kept (see DefaultRetentionDays).
	EnvRetentionDays = "RETENTION_DAYS"
)

// SQSEventSource is how Lambda feeds a function from a queue: the event
// source mapping in AWS, the poller in the local stack.
type SQSEventSource struct {
	Queue     Queue
	BatchSize int
	// MaxBatchingWindow is how long Lambda gathers messages before invoking.
	MaxBatchingWindow time.Duration
	MaxConcurrency    int
}

// VisibilityTimeoutFactor: AWS recommends a queue visibility timeout of at
// least six times the timeout of the function it feeds.
const VisibilityTimeoutFactor = 6

// Function describes one Lambda function: sizing, and the tables, queues
// and settings it uses. The CDK stack derives the function's environment
// and IAM grants from it; the drift test holds template.yaml to it.
type Function struct {
	// Name is the directory under functions/ and the suffix of the physical name.
	Name     string
	MemoryMB int
	Timeout  time.Duration
	Tables   []TableAccess
	Queues   []QueueAccess
	// Settings are the other environment variables the function reads.
	Settings []string
	// EventSource, when set, invokes the function with batches from a queue.
	EventSource *SQSEventSource
}

// Env lists the environment variables the function reads: each table's and
// queue's EnvVar, then the settings.
func (f Function) Env() []string {
	var env []string
	for _, t := range f.Tables {
		env = append(env, t.Table.EnvVar)
	}
	for _, q := range f.Queues {
		env = append(env, q.Queue.EnvVar)
	}
	return append(env, f.Settings...)
}

// QueueVisibilityTimeout is the visibility timeout the queue of f's event
// source needs: a message must stay hidden while a batch holding it can
// still be gathered and processed.
func (f Function) QueueVisibilityTimeout() time.Duration {
	return VisibilityTimeoutFactor*f.Timeout + f.EventSource.MaxBatchingWindow
}

var (
	// IngestFunction serves the ingest API. 256 MB gives enough CPU to parse
	// a 1 MiB body well under a second; 10 s covers the SDK's retries and stays
	// well below API Gateway's 29 s integration timeout.
	IngestFunction = Function{
		Name:     "ingest",
		MemoryMB: 256,
		Timeout:  10 * time.Second,
		Tables: []TableAccess{
			{Table: Tokens, Actions: []Action{BatchGetItem}},   // Reader.Read
			{Table: Journeys, Actions: []Action{BatchGetItem}}, // Reader.Read
			// Reader.Read; Create and CreateIdempotent; MarkQueued and Abort.
			{Table: Requests, Actions: []Action{BatchGetItem, PutItem, UpdateItem}},
			{Table: LoaderRecords, Actions: []Action{Query}}, // ListByRequest
			// CreateIdempotent; the existing record when its condition fails.
			{Table: Idempotency, Actions: []Action{PutItem, GetItem}},
			{Table: RateLimits, Actions: []Action{UpdateItem}}, // RateLimiter.Take
		},
		Queues: []QueueAccess{{Queue: TargetsQueue, Actions: []Action{SendMessage}}},
		// RETENTION_DAYS: Requests.Create sets the request's expiry.
		Settings: []string{EnvRateLimitPerSecond, EnvRateLimitBurst, EnvRetentionDays},
	}

	// ConsumerFunction processes queued targets: batches of up to 10 messages
	// with several DynamoDB calls per target, so more memory (CPU and network)
	// than the others; 60 s leaves room for DynamoDB throttling retries.
	ConsumerFunction = Function{
		Name:     "consumer",
		MemoryMB: 512,
		Timeout:  60 * time.Second,
		Tables: []TableAccess{
			{Table: Journeys, Actions: []Action{BatchGetItem}},                       // Reader.Read
			{Table: Accounts, Actions: []Action{BatchGetItem}},                       // Accounts.Lookup
			{Table: AccountEmails, Actions: []Action{BatchGetItem}},                  // Accounts.Lookup
			{Table: Requests, Actions: []Action{BatchGetItem, UpdateItem}},           // Reader.Read; RecordPart and Abort
			{Table: LoaderRecords, Actions: []Action{BatchWriteItem}},                // LoaderRecords.Put
			{Table: JourneyTargets, Actions: []Action{BatchGetItem, BatchWriteItem}}, // AddNew
		},
		// RETENTION_DAYS: LoaderRecords.Put sets each record's expiry.
		Settings: []string{EnvRetentionDays},
		EventSource: &SQSEventSource{
			Queue:             TargetsQueue,
			BatchSize:         10,
			MaxBatchingWindow: 2 * time.Second,
			MaxConcurrency:    10,
		},
	}

	// TokensFunction manages tokens for marketers: a few single-item reads
	// and writes per invocation.
	TokensFunction = Function{
		Name:     "tokens",
		MemoryMB: 128,
		Timeout:  10 * time.Second,
		Tables: []TableAccess{
			// Create; Revoke, and its re-read when the revoke's condition fails;
			// ListByJourney and Revoke query the indexes.
			{Table: Tokens, Actions: []Action{PutItem, UpdateItem, GetItem}, QueriedIndexes: []string{IndexTokensByJourney, IndexTokensByID}},
			{Table: Journeys, Actions: []Action{GetItem}}, // Journeys.Get
		},
		Settings: []string{EnvAPIBaseURL},
	}
)

// Functions lists every function of the service, in build order.
var Functions = []Function{IngestFunction, ConsumerFunction, TokensFunction}
