package main

import (
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// QueuesProps configure NewQueues.
type QueuesProps struct {
	Stage string
	// VisibilityTimeout of the targets queue; it depends on the consumer.
	VisibilityTimeout time.Duration
}

// Queues are the service's SQS queues by resources.Queue ID.
type Queues map[string]awssqs.Queue

// NewQueues creates the targets queue and its dead-letter queue, both
// encrypted and reachable over TLS only.
func NewQueues(scope constructs.Construct, props *QueuesProps) Queues {
	dlq := awssqs.NewQueue(scope, jsii.String("TargetsDLQ"), &awssqs.QueueProps{
		QueueName:       jsii.String(resources.PhysicalName(props.Stage, resources.TargetsDLQ.ID)),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   removalPolicy(props.Stage),
	})
	queue := awssqs.NewQueue(scope, jsii.String("TargetsQueue"), &awssqs.QueueProps{
		QueueName:         jsii.String(resources.PhysicalName(props.Stage, resources.TargetsQueue.ID)),
		VisibilityTimeout: seconds(props.VisibilityTimeout),
		RetentionPeriod:   awscdk.Duration_Days(jsii.Number(4)),
		Encryption:        awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:        jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(resources.MaxReceiveCount),
		},
		RemovalPolicy: removalPolicy(props.Stage),
	})
	return Queues{resources.TargetsQueue.ID: queue, resources.TargetsDLQ.ID: dlq}
}
