package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// AlarmsProps configure NewAlarms.
type AlarmsProps struct {
	Stage string
	// TopicArn, when set, is an SNS topic every alarm notifies (alarm and OK).
	TopicArn         string
	Queue, DLQ       awssqs.IQueue
	Ingest, Consumer awslambda.IFunction
	API              awsapigateway.RestApi
	WebhooksDLQ      awssqs.IQueue
	Webhooks         awslambda.IFunction
}

// NewAlarms creates the operational alarms infra/README.md explains.
func NewAlarms(scope constructs.Construct, props *AlarmsProps) {
	fiveMin := awscdk.Duration_Minutes(jsii.Number(5))
	stat := func(s string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String(s)}
	}
	var action awscloudwatch.IAlarmAction
	if props.TopicArn != "" {
		action = awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(scope, jsii.String("AlarmTopic"), jsii.String(props.TopicArn)))
	}
	alarm := func(id, desc string, metric awscloudwatch.Metric, threshold float64) {
		a := metric.CreateAlarm(scope, jsii.String(id), &awscloudwatch.CreateAlarmOptions{
			AlarmName:          jsii.String(resources.PhysicalName(props.Stage, id)),
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if action != nil {
			a.AddAlarmAction(action)
			a.AddOkAction(action)
		}
	}
	alarm("DlqNotEmpty", "Messages in the targets DLQ: the consumer failed them "+fmt.Sprint(resources.MaxReceiveCount)+" times. Inspect, fix, then redrive (see infra/README.md).",
		props.DLQ.MetricApproximateNumberOfMessagesVisible(stat("Maximum")), 0)
	alarm("ConsumerErrors", "The consumer function reported invocation errors.",
		props.Consumer.MetricErrors(stat("Sum")), 0)
	alarm("Api5xxRate", "More than 1% of API requests failed with 5xx.",
		props.API.MetricServerError(stat("Average")), 0.01)
	alarm("QueueBacklogAge", "The oldest message in the targets queue is older than 15 minutes: the consumer is not keeping up.",
		props.Queue.MetricApproximateAgeOfOldestMessage(stat("Maximum")), 15*60)
	alarm("IngestErrors", "The ingest function reported invocation errors.",
		props.Ingest.MetricErrors(stat("Sum")), 0)
	alarm("WebhooksDlqNotEmpty", "A completion webhook was given up after "+fmt.Sprint(resources.WebhookMaxReceiveCount)+" attempts over more than 24 hours: its receiver is down or refuses it. Admins see it (tl webhooks failures); see infra/README.md.",
		props.WebhooksDLQ.MetricApproximateNumberOfMessagesVisible(stat("Maximum")), 0)
}
