// Package resources is the single definition of the service's DynamoDB tables and
// SQS queues: names, keys, indexes and TTL attributes. Handlers, tests, the
// local stack and the CDK app all read it, so they cannot drift apart.
package resources

import (
	"fmt"
	"time"
)

// AttrType is a DynamoDB key attribute type.
type AttrType string

const (
	String AttrType = "S"
	Number AttrType = "N"
)

// Key is one key attribute of a table or index.
type Key struct {
	Name string
	Type AttrType
}

// Index is a global secondary index. It projects every attribute, or,
// when Include names some, only the keys and those (INCLUDE).
type Index struct {
	Name         string
	PartitionKey Key
	SortKey      *Key
	Include      []string
}

// Table describes one DynamoDB table.
type Table struct {
	// ID is the short logical name, used in physical names and CDK construct ids.
	ID string
	// EnvVar is the environment variable that carries the physical table name to a function.
	EnvVar       string
	PartitionKey Key
	SortKey      *Key
	Indexes      []Index
	// TTLAttribute is the epoch-seconds attribute DynamoDB TTL deletes on; empty for none.
	TTLAttribute string
}

// Attribute names shared by the code and the table definitions.
const (
	AttrTokenHash   = "token_hash"
	AttrTokenID     = "token_id"
	AttrJourneyID   = "journey_id"
	AttrCreatedAt   = "created_at"
	AttrAccountID   = "account_id"
	AttrEmail       = "email"
	AttrRequestUUID = "request_uuid"
	AttrPart        = "part"
	AttrJourneySort = "journey_sort"
	AttrRecordCount = "record_count"
	AttrKinds       = "kinds"
	AttrIdemKey     = "idempotency_key"
	AttrRateKey     = "rate_key"
	AttrDeleteAfter = "delete_after"
	AttrDeliveryKey = "delivery_key"
)

// Index names the code queries.
const (
	IndexTokensByJourney  = "by_journey"
	IndexTokensByID       = "by_token_id"
	IndexRecordsByJourney = "by_journey"
)

var (
	// Tokens holds API tokens keyed by the SHA-256 of the secret; the secret is never stored.
	Tokens = Table{
		ID:           "tokens",
		EnvVar:       "TOKENS_TABLE",
		PartitionKey: Key{AttrTokenHash, String},
		Indexes: []Index{
			{Name: IndexTokensByJourney, PartitionKey: Key{AttrJourneyID, String}, SortKey: &Key{AttrCreatedAt, String}},
			{Name: IndexTokensByID, PartitionKey: Key{AttrTokenID, String}},
		},
		TTLAttribute: AttrDeleteAfter,
	}
	// Journeys holds journeys (id, name, optional end date).
	Journeys = Table{
		ID:           "journeys",
		EnvVar:       "JOURNEYS_TABLE",
		PartitionKey: Key{AttrJourneyID, String},
	}
	// Accounts holds CRM accounts keyed by account id.
	Accounts = Table{
		ID:           "accounts",
		EnvVar:       "ACCOUNTS_TABLE",
		PartitionKey: Key{AttrAccountID, String},
	}
	// AccountEmails maps a normalised email to the ids of the accounts that
	// have it, so email matching is a BatchGetItem rather than a Query per email.
	AccountEmails = Table{
		ID:           "account-emails",
		EnvVar:       "ACCOUNT_EMAILS_TABLE",
		PartitionKey: Key{AttrEmail, String},
	}
	// Requests holds one item per accepted ingest request and its progress,
	// kept for the retention period (RETENTION_DAYS).
	Requests = Table{
		ID:           "requests",
		EnvVar:       "REQUESTS_TABLE",
		PartitionKey: Key{AttrRequestUUID, String},
		TTLAttribute: AttrDeleteAfter,
	}
	// LoaderRecords holds the target loader records by message part: one
	// item per part of a request holds that part's records, compressed
	// (shared/store/records.go), so a record costs bytes, not an item and an
	// index entry. Only part items (not the continuation items of a part too
	// large for one item) carry journey_sort, so the journey index has one
	// small entry per part: its keys, the part's record count and the
	// outcomes and statuses present, which let a filtered listing skip parts.
	// Kept for the retention period (RETENTION_DAYS): the submitted emails
	// and names are personal data. A table of its own name: it replaced
	// "loader-records" (one item per record), whose keys DynamoDB cannot change.
	LoaderRecords = Table{
		ID:           "loader-record-parts",
		EnvVar:       "LOADER_RECORDS_TABLE",
		PartitionKey: Key{AttrRequestUUID, String},
		SortKey:      &Key{AttrPart, Number},
		Indexes: []Index{
			{Name: IndexRecordsByJourney, PartitionKey: Key{AttrJourneyID, String}, SortKey: &Key{AttrJourneySort, String},
				Include: []string{AttrRecordCount, AttrKinds}},
		},
		TTLAttribute: AttrDeleteAfter,
	}
	// JourneyTargets is each journey's target list.
	JourneyTargets = Table{
		ID:           "journey-targets",
		EnvVar:       "JOURNEY_TARGETS_TABLE",
		PartitionKey: Key{AttrJourneyID, String},
		SortKey:      &Key{AttrAccountID, String},
	}
	// Idempotency remembers Idempotency-Key headers per token for 24 hours.
	Idempotency = Table{
		ID:           "idempotency",
		EnvVar:       "IDEMPOTENCY_TABLE",
		PartitionKey: Key{AttrIdemKey, String},
		TTLAttribute: AttrDeleteAfter,
	}
	// RateLimits holds per-token request counters, one item per token and window.
	RateLimits = Table{
		ID:           "rate-limits",
		EnvVar:       "RATE_LIMITS_TABLE",
		PartitionKey: Key{AttrRateKey, String},
		TTLAttribute: AttrDeleteAfter,
	}
)

// WebhookDeliveries holds one item per completion webhook: a journey's,
// ordered by the time their requests were received, with every attempt.
var WebhookDeliveries = Table{
	ID:           "webhook-deliveries",
	EnvVar:       "WEBHOOK_DELIVERIES_TABLE",
	PartitionKey: Key{AttrJourneyID, String},
	SortKey:      &Key{AttrDeliveryKey, String},
	TTLAttribute: AttrDeleteAfter,
}

// Retention of personal data that is not the journey's own list: requests
// and target loader records (submitted emails and names) expire this many
// days after the request was received (DynamoDB TTL on delete_after). The
// default covers a journey's longest token (one year) plus a month in which
// business admins can still explain what a late request did. The minimum
// keeps every record longer than any message of its request can live in
// the queue (4 days) and the DLQ (14 days from its first enqueue), so a
// redriven message never finds its request gone.
const (
	DefaultRetentionDays = 400
	MinRetentionDays     = 30
)

// All lists every table of the service.
var All = []Table{Tokens, Journeys, Accounts, AccountEmails, Requests, LoaderRecords, JourneyTargets, Idempotency, RateLimits, WebhookDeliveries}

// Queue describes an SQS queue.
type Queue struct {
	ID     string
	EnvVar string
	// DLQ, when set, receives the messages received MaxReceiveCount times.
	DLQ             *Queue
	MaxReceiveCount int
	// FIFO queues deliver the messages of one message group in order, one
	// at a time: a group's next message waits until the one in flight is
	// deleted or becomes visible again. Their names end in ".fifo", and
	// their DLQ is FIFO too.
	FIFO bool
}

// Name is the queue's physical name in a stage, e.g.
// "targetloader-prod-targets.fifo".
func (q Queue) Name(stage string) string {
	if q.FIFO {
		return PhysicalName(stage, q.ID) + ".fifo"
	}
	return PhysicalName(stage, q.ID)
}

// MaxReceiveCount is how often a targets message is delivered before it moves to the DLQ.
const MaxReceiveCount = 5

// WebhookMaxReceiveCount is how often a webhook is attempted before its
// message moves to the webhooks DLQ: domain.WebhookMaxAttempts.
const WebhookMaxReceiveCount = 10

var (
	// TargetsDLQ receives messages the consumer failed MaxReceiveCount
	// times, or refused for good; a FIFO queue's DLQ must be FIFO too.
	TargetsDLQ = Queue{ID: "targets-dlq", EnvVar: "DLQ_URL", FIFO: true}
	// TargetsQueue carries accepted targets from ingest to the consumer. It
	// is FIFO with one message group per journey (queue.Sender), so at most
	// one consumer works on a journey's target list at a time: the
	// consumer's read of which accounts are already targets and its write of
	// the others cannot interleave with another's, and the first add wins
	// (PRODUCT.md §4.6, PERFORMANCE.md).
	TargetsQueue = Queue{ID: "targets", EnvVar: "QUEUE_URL", DLQ: &TargetsDLQ, MaxReceiveCount: MaxReceiveCount, FIFO: true}
	// WebhooksDLQ receives the webhooks given up after every attempt failed.
	WebhooksDLQ = Queue{ID: "webhooks-dlq", EnvVar: "WEBHOOKS_DLQ_URL"}
	// WebhooksQueue carries completed requests' webhooks from the consumer
	// to the webhooks function; a failed delivery waits in it for its next attempt.
	WebhooksQueue = Queue{ID: "webhooks", EnvVar: "WEBHOOKS_QUEUE_URL", DLQ: &WebhooksDLQ, MaxReceiveCount: WebhookMaxReceiveCount}
)

// Queues lists every queue, each DLQ before the queue that uses it.
var Queues = []Queue{TargetsDLQ, TargetsQueue, WebhooksDLQ, WebhooksQueue}

// DLQRetention is how long a dead-letter queue keeps a message.
const DLQRetention = 14 * 24 * time.Hour

// Secret describes a Secrets Manager secret the stack creates.
type Secret struct {
	ID string
	// EnvVar carries the secret's ARN (its name locally) to a function.
	EnvVar string
}

// WebhookMasterKey is the key every token's webhook signing secret is
// derived from (domain.WebhookKey): random, created with the stack, never
// leaving Secrets Manager but to the functions that derive secrets.
var WebhookMasterKey = Secret{ID: "webhook-master-key", EnvVar: "WEBHOOK_KEY_SECRET"}

// PhysicalName is a resource's name in a stage, e.g. "targetloader-prod-tokens".
func PhysicalName(stage, id string) string {
	return fmt.Sprintf("targetloader-%s-%s", stage, id)
}
