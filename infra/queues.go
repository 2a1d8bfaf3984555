package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// DLQRetentionDays is how long a failed message waits in the DLQ, counted
// from when it was first sent to the targets queue.
const DLQRetentionDays = 14

// QueuesProps configure NewQueues.
type QueuesProps struct {
	Stage string
	// VisibilityTimeout of the targets queue; it depends on the consumer.
	VisibilityTimeout time.Duration
	// Key, when set, encrypts both queues (SSE-KMS); otherwise SQS's own
	// managed key does (SSE-SQS).
	Key awskms.IKey
}

// Queues are the service's SQS queues by resources.Queue ID.
type Queues map[string]awssqs.Queue

// NewQueues creates the targets queue and its dead-letter queue, both FIFO,
// encrypted and reachable over TLS only. The targets queue runs in FIFO's
// high-throughput mode: deduplication and throughput limits per message
// group (one journey), not per queue.
func NewQueues(scope constructs.Construct, props *QueuesProps) Queues {
	encryption := awssqs.QueueEncryption_SQS_MANAGED
	if props.Key != nil {
		encryption = awssqs.QueueEncryption_KMS
	}
	dlq := awssqs.NewQueue(scope, jsii.String("TargetsDLQ"), &awssqs.QueueProps{
		QueueName:           jsii.String(resources.TargetsDLQ.Name(props.Stage)),
		Fifo:                jsii.Bool(resources.TargetsDLQ.FIFO),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(DLQRetentionDays)),
		Encryption:          encryption,
		EncryptionMasterKey: props.Key,
		EnforceSSL:          jsii.Bool(true),
		RemovalPolicy:       removalPolicy(props.Stage),
	})
	queue := awssqs.NewQueue(scope, jsii.String("TargetsQueue"), &awssqs.QueueProps{
		QueueName:           jsii.String(resources.TargetsQueue.Name(props.Stage)),
		Fifo:                jsii.Bool(resources.TargetsQueue.FIFO),
		DeduplicationScope:  awssqs.DeduplicationScope_MESSAGE_GROUP,
		FifoThroughputLimit: awssqs.FifoThroughputLimit_PER_MESSAGE_GROUP_ID,
		VisibilityTimeout:   seconds(props.VisibilityTimeout),
		RetentionPeriod:     awscdk.Duration_Days(jsii.Number(4)),
		Encryption:          encryption,
		EncryptionMasterKey: props.Key,
		EnforceSSL:          jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(resources.MaxReceiveCount),
		},
		RemovalPolicy: removalPolicy(props.Stage),
	})
	return Queues{resources.TargetsQueue.ID: queue, resources.TargetsDLQ.ID: dlq}
}
