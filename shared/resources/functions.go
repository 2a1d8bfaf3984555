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
	Scan           Action = "dynamodb:Scan"
	SendMessage    Action = "sqs:SendMessage" // also covers SendMessageBatch
	// ChangeMessageVisibility: the webhooks function delays a failed
	// delivery's next attempt.
	ChangeMessageVisibility Action = "sqs:ChangeMessageVisibility"
	GetSecretValue          Action = "secretsmanager:GetSecretValue"
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

// SecretAccess is what a function's code does with one Secrets Manager
// secret. The function gets the secret's EnvVar (its ARN, or its name
// locally) and exactly these permissions.
type SecretAccess struct {
	Secret  Secret
	Actions []Action
}

// Environment variables besides table names and queue URLs. Their values
// come from the deployment (stack parameters, the API's URL).
const (
	EnvRateLimitPerSecond = "RATE_LIMIT_PER_SECOND"
	EnvRateLimitBurst     = "RATE_LIMIT_BURST"
	// EnvRetentionDays is how many days requests and loader records are
	// kept (see DefaultRetentionDays).
	EnvRetentionDays = "RETENTION_DAYS"
	// EnvUserPoolID and EnvUserPoolClientID name the Cognito user pool
	// marketers and admins sign in to, and its app client; EnvCognitoEndpoint
	// is the Cognito endpoint clients sign in at (the regional one in AWS, the
	// local one in the local stack). The management function publishes them
	// at /console/config.json.
	EnvUserPoolID       = "USER_POOL_ID"
	EnvUserPoolClientID = "USER_POOL_CLIENT_ID"
	EnvCognitoEndpoint  = "COGNITO_ENDPOINT"
	// EnvWebhookAllowPrivate lets the webhooks function call loopback,
	// private and link-local addresses. Only the local stack sets it to
	// true: in AWS a callback URL must resolve to a public address.
	EnvWebhookAllowPrivate = "WEBHOOK_ALLOW_PRIVATE_NETWORKS"
)

// SQSEventSource is how Lambda feeds a function from a queue: the event
// source mapping in AWS, the poller in the local stack.
type SQSEventSource struct {
	Queue     Queue
	BatchSize int
	// MaxBatchingWindow is how long Lambda gathers messages before invoking;
	// zero for a FIFO queue, which takes none.
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
	Secrets  []SecretAccess
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
	for _, s := range f.Secrets {
		env = append(env, s.Secret.EnvVar)
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
			{Table: LoaderRecords, Actions: []Action{Query, BatchGetItem}}, // ListByRequest: part items, continuations of split parts
			// CreateIdempotent; the existing record when its condition fails.
			{Table: Idempotency, Actions: []Action{PutItem, GetItem}},
			{Table: RateLimits, Actions: []Action{UpdateItem}}, // RateLimiter.Take
			// Accounts.Lookup: a dry run matches the targets at once.
			{Table: Accounts, Actions: []Action{BatchGetItem}},
			{Table: AccountEmails, Actions: []Action{BatchGetItem}},
		},
		Queues: []QueueAccess{{Queue: TargetsQueue, Actions: []Action{SendMessage}}},
		// RETENTION_DAYS: Requests.Create sets the request's expiry.
		Settings: []string{EnvRateLimitPerSecond, EnvRateLimitBurst, EnvRetentionDays},
	}

	// ConsumerFunction processes queued targets: batches of up to 10
	// messages, each a few batch reads and writes, so more memory (CPU and
	// network) than the others; 60 s leaves room for DynamoDB throttling
	// retries.
	ConsumerFunction = Function{
		Name:     "consumer",
		MemoryMB: 512,
		Timeout:  60 * time.Second,
		Tables: []TableAccess{
			{Table: Journeys, Actions: []Action{BatchGetItem}},                       // Reader.Read
			{Table: Accounts, Actions: []Action{BatchGetItem}},                       // Accounts.Lookup
			{Table: AccountEmails, Actions: []Action{BatchGetItem}},                  // Accounts.Lookup
			{Table: Requests, Actions: []Action{BatchGetItem, UpdateItem}},           // Reader.Read; RecordPart and Abort
			{Table: LoaderRecords, Actions: []Action{PutItem, BatchWriteItem}},       // LoaderRecords.Put: the part item; a split part's continuations, and deleting those it replaced
			{Table: JourneyTargets, Actions: []Action{BatchGetItem, BatchWriteItem}}, // AddNew: consistent read, then the absent ones
		},
		// DeadLetters.Reject: messages refused for good go to the DLQ at once;
		// a completed request with a callback URL is announced to the webhooks function.
		Queues: []QueueAccess{
			{Queue: TargetsDLQ, Actions: []Action{SendMessage}},
			{Queue: WebhooksQueue, Actions: []Action{SendMessage}},
		},
		// RETENTION_DAYS: LoaderRecords.Put sets each part item's expiry.
		Settings: []string{EnvRetentionDays},
		// The targets queue is FIFO, grouped by journey: a batch holds up to
		// 10 messages, those of one journey in order; the consumer runs the
		// journeys of a batch at once and each journey's messages one after
		// another (shared/sqsbatch). FIFO event sources take no batching
		// window. Up to 10 invocations, so 10 journeys, at a time.
		EventSource: &SQSEventSource{
			Queue:          TargetsQueue,
			BatchSize:      10,
			MaxConcurrency: 10,
		},
	}

	// ManageFunction serves the management API marketers and admins call,
	// signed in (journeys, tokens, target lists, loader records), and the
	// console's configuration. Pages of up to 500 records are JSON-encoded
	// per request, so 256 MB (and the CPU that comes with it) keeps them fast.
	ManageFunction = Function{
		Name:     "manage",
		MemoryMB: 256,
		Timeout:  10 * time.Second,
		Tables: []TableAccess{
			// Create; Revoke, and its re-read when the revoke's condition fails;
			// ListByJourney and Revoke query the indexes.
			{Table: Tokens, Actions: []Action{PutItem, UpdateItem, GetItem}, QueriedIndexes: []string{IndexTokensByJourney, IndexTokensByID}},
			{Table: Journeys, Actions: []Action{GetItem, Scan}}, // Journeys.Get; Journeys.List
			{Table: JourneyTargets, Actions: []Action{Query}},   // JourneyTargets.List
			// LoaderRecords.List: a request's part items from the table; a
			// journey's parts from its index, then their items by key.
			{Table: LoaderRecords, Actions: []Action{Query, BatchGetItem}, QueriedIndexes: []string{IndexRecordsByJourney}},
			{Table: WebhookDeliveries, Actions: []Action{Query}}, // WebhookDeliveries.List
		},
		// A token's webhook secret is derived from the master key, shown once.
		Secrets:  []SecretAccess{{Secret: WebhookMasterKey, Actions: []Action{GetSecretValue}}},
		Settings: []string{EnvUserPoolID, EnvUserPoolClientID, EnvCognitoEndpoint},
	}

	// UploadFunction takes admins' files of targets (PRODUCT.md §10) on the
	// management API and queues their rows as ingest queues the API's: a
	// function of its own, so that the one management route that writes
	// requests and sends to the targets queue does not give manage (the
	// console, tokens) that access. Sized as ingest: an upload is at most
	// 1 MiB and 500 rows.
	UploadFunction = Function{
		Name:     "upload",
		MemoryMB: 256,
		Timeout:  10 * time.Second,
		Tables: []TableAccess{
			{Table: Journeys, Actions: []Action{GetItem}}, // Journeys.Get
			// shared/submit: Create and CreateIdempotent, MarkQueued and
			// Abort; Reader.Read of the request a retried key names.
			{Table: Requests, Actions: []Action{BatchGetItem, PutItem, UpdateItem}},
			{Table: Idempotency, Actions: []Action{PutItem, GetItem}},
		},
		Queues: []QueueAccess{{Queue: TargetsQueue, Actions: []Action{SendMessage}}},
		// RETENTION_DAYS: an upload's request expires as an API request does.
		Settings: []string{EnvRetentionDays},
	}

	// WebhooksFunction delivers completion webhooks: each message is one
	// signed POST of at most WebhookPostTimeout, the messages of a batch at
	// once, so 30 s is ample; it needs little memory.
	WebhooksFunction = Function{
		Name:     "webhooks",
		MemoryMB: 256,
		Timeout:  30 * time.Second,
		Tables: []TableAccess{
			// Get (a duplicate of a delivered event is dropped); RecordAttempt.
			{Table: WebhookDeliveries, Actions: []Action{GetItem, UpdateItem}},
		},
		// A failed delivery's next attempt waits (domain.WebhookRetryDelays).
		Queues:   []QueueAccess{{Queue: WebhooksQueue, Actions: []Action{ChangeMessageVisibility}}},
		Secrets:  []SecretAccess{{Secret: WebhookMasterKey, Actions: []Action{GetSecretValue}}},
		Settings: []string{EnvWebhookAllowPrivate},
		EventSource: &SQSEventSource{
			Queue:          WebhooksQueue,
			BatchSize:      10,
			MaxConcurrency: 2,
		},
	}
)

// WebhookPostTimeout bounds one webhook delivery, connection included.
const WebhookPostTimeout = 10 * time.Second

// FedBy is the function whose event source is queue q (the zero Function
// when none is).
func FedBy(q Queue) Function {
	for _, f := range Functions {
		if f.EventSource != nil && f.EventSource.Queue.ID == q.ID {
			return f
		}
	}
	return Function{}
}

// Functions lists every function of the service, in build order.
var Functions = []Function{IngestFunction, ConsumerFunction, ManageFunction, WebhooksFunction, UploadFunction}

// Cognito user pool groups (PRODUCT.md §8): marketers manage tokens and read
// target lists; admins may do all that and read target loader records.
const (
	GroupMarketers = "marketers"
	GroupAdmins    = "admins"
)

// Groups lists the user pool's groups.
var Groups = []string{GroupMarketers, GroupAdmins}

// The user pool's rules, as the CDK stack and the local stack create it.
const (
	// PasswordMinLength: with upper and lower case letters, digits and
	// symbols all required.
	PasswordMinLength = 12
	// IDTokenValidity is how long an ID (and access) token is valid;
	// clients refresh it with their refresh token.
	IDTokenValidity = time.Hour
	// RefreshTokenValidity is how long a sign-in lasts: a working day.
	RefreshTokenValidity = 12 * time.Hour
)

// Physical names of the user pool and of its app client (tl and the console).
func UserPoolName(stage string) string       { return PhysicalName(stage, "users") }
func UserPoolClientName(stage string) string { return PhysicalName(stage, "console") }

// Route is one method of the REST API and the function that serves it.
type Route struct {
	Method string
	// Path is the resource template, as API Gateway names it in the event.
	Path     string
	Function string
	// SignedIn routes sit behind the Cognito authorizer: the caller sends a
	// Cognito ID token and the function gets its claims. Which group may
	// call a route is the function's decision.
	SignedIn bool
}

// Routes is every route of the REST API. The CDK stack builds the API from
// it, the local stack serves it, and the drift test holds template.yaml to it.
var Routes = []Route{
	{Method: "POST", Path: "/journeys/{journey_id}/targets", Function: IngestFunction.Name},
	{Method: "GET", Path: "/journeys/{journey_id}/requests/{request_uuid}", Function: IngestFunction.Name},
	{Method: "GET", Path: "/manage/journeys", Function: ManageFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/journeys/{journey_id}", Function: ManageFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/journeys/{journey_id}/tokens", Function: ManageFunction.Name, SignedIn: true},
	{Method: "POST", Path: "/manage/journeys/{journey_id}/tokens", Function: ManageFunction.Name, SignedIn: true},
	{Method: "POST", Path: "/manage/tokens/{token_id}/expire", Function: ManageFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/journeys/{journey_id}/targets", Function: ManageFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/journeys/{journey_id}/loader-records", Function: ManageFunction.Name, SignedIn: true},
	// Admins upload files of targets: target loader records created by admins (PRODUCT.md §10).
	{Method: "POST", Path: "/manage/journeys/{journey_id}/loader-records", Function: UploadFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/requests/{request_uuid}/loader-records", Function: ManageFunction.Name, SignedIn: true},
	{Method: "GET", Path: "/manage/journeys/{journey_id}/webhook-deliveries", Function: ManageFunction.Name, SignedIn: true},
	// The web console: its page, its sign-in configuration and its static
	// assets, all without sign-in (the page signs in with the pool itself).
	{Method: "GET", Path: "/console", Function: ManageFunction.Name},
	{Method: "GET", Path: "/console/config.json", Function: ManageFunction.Name},
	{Method: "GET", Path: "/console/{proxy+}", Function: ManageFunction.Name},
	{Method: "GET", Path: "/openapi.json", Function: ManageFunction.Name},
}
