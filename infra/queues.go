package main

import (
	"strings"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// DLQRetentionDays is how long a failed message waits in a DLQ, counted
// from when it was first sent to its queue (resources.DLQRetention).
const DLQRetentionDays = int(resources.DLQRetention / (24 * time.Hour))

// QueuesProps configure NewQueues.
type QueuesProps struct {
	Stage string
	// Key, when set, encrypts every queue (SSE-KMS); otherwise SQS's own
	// managed key does (SSE-SQS).
	Key awskms.IKey
}

// Queues are the service's SQS queues by resources.Queue ID.
type Queues map[string]awssqs.Queue

// NewQueues creates every queue of shared/resources: each DLQ keeps
// messages 14 days; each queue a function is fed from hides a received
// message as long as that function's definition needs, and moves it to its
// DLQ after its MaxReceiveCount receives. All are encrypted and TLS-only. A
// FIFO queue fed to a function (the targets queue, grouped by journey) runs
// in FIFO's high-throughput mode: deduplication and throughput limits per
// message group, not per queue.
func NewQueues(scope constructs.Construct, props *QueuesProps) Queues {
	encryption := awssqs.QueueEncryption_SQS_MANAGED
	if props.Key != nil {
		encryption = awssqs.QueueEncryption_KMS
	}
	queues := Queues{}
	for _, def := range resources.Queues {
		qp := &awssqs.QueueProps{
			QueueName:           jsii.String(def.Name(props.Stage)),
			Encryption:          encryption,
			EncryptionMasterKey: props.Key,
			EnforceSSL:          jsii.Bool(true),
			RemovalPolicy:       removalPolicy(props.Stage),
		}
		if def.FIFO {
			qp.Fifo = jsii.Bool(true)
			if def.DLQ != nil {
				qp.DeduplicationScope = awssqs.DeduplicationScope_MESSAGE_GROUP
				qp.FifoThroughputLimit = awssqs.FifoThroughputLimit_PER_MESSAGE_GROUP_ID
			}
		}
		if def.DLQ == nil {
			qp.RetentionPeriod = awscdk.Duration_Days(jsii.Number(DLQRetentionDays))
		} else {
			qp.RetentionPeriod = awscdk.Duration_Days(jsii.Number(4))
			qp.VisibilityTimeout = seconds(resources.FedBy(def).QueueVisibilityTimeout())
			qp.DeadLetterQueue = &awssqs.DeadLetterQueue{Queue: queues[def.DLQ.ID], MaxReceiveCount: jsii.Number(def.MaxReceiveCount)}
		}
		queues[def.ID] = awssqs.NewQueue(scope, jsii.String(queueConstructID(def.ID)), qp)
	}
	return queues
}

// queueConstructID is "TargetsQueue" for "targets", "TargetsDLQ" for
// "targets-dlq": the ids the targets queues always had, so that existing
// deployments keep them.
func queueConstructID(id string) string {
	if base, ok := strings.CutSuffix(id, "-dlq"); ok {
		return constructID("", base) + "DLQ"
	}
	return constructID("", id) + "Queue"
}
