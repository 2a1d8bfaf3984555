package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// DLQAgeAlarmDays: a message this old in the DLQ raises DlqMessageAge, with
// DLQRetentionDays - DLQAgeAlarmDays days left to fix the cause and redrive
// it before SQS deletes it (after a long weekend, not on the last day).
const DLQAgeAlarmDays = 4

// AlarmsProps configure NewAlarms.
type AlarmsProps struct {
	Stage string
	// TopicArn, when set, is an SNS topic every alarm notifies (alarm and OK).
	TopicArn string
	// Email, when set, is subscribed to a topic of the stack's own that
	// every alarm notifies (the address confirms the subscription once).
	Email string
	// Key encrypts that topic when the stack owns it (CloudWatch must be
	// granted the key in its key policy, which an imported key's is not).
	Key        *DataKey
	Queue, DLQ awssqs.IQueue
	// Functions are the service's functions by resources.Function name:
	// each gets an errors alarm. Ingest also gets a throttles alarm.
	Functions map[string]awslambda.IFunction
	API       awsapigateway.RestApi
	// WebhooksDLQ holds the webhooks given up after every attempt.
	WebhooksDLQ awssqs.IQueue
}

// NewAlarms creates the operational alarms infra/README.md explains and the
// topic they notify. The prod stage must notify someone: without a topic
// or an email its synthesis fails; other stages get a warning.
func NewAlarms(scope constructs.Construct, props *AlarmsProps) {
	fiveMin := awscdk.Duration_Minutes(jsii.Number(5))
	stat := func(s string) *awscloudwatch.MetricOptions {
		return &awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String(s)}
	}
	actions := alarmActions(scope, props)
	alarm := func(id, desc string, metric awscloudwatch.Metric, threshold float64) {
		a := metric.CreateAlarm(scope, jsii.String(id), &awscloudwatch.CreateAlarmOptions{
			AlarmName:          jsii.String(resources.PhysicalName(props.Stage, id)),
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(1),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		for _, action := range actions {
			a.AddAlarmAction(action)
			a.AddOkAction(action)
		}
	}
	alarm("DlqNotEmpty", "Messages in the targets DLQ: the consumer failed them "+fmt.Sprint(resources.MaxReceiveCount)+" times. Inspect, fix, then redrive (see infra/README.md).",
		props.DLQ.MetricApproximateNumberOfMessagesVisible(stat("Maximum")), 0)
	alarm("DlqMessageAge", fmt.Sprintf("A message in the targets DLQ is older than %d days: redrive it within %d days or SQS deletes it, and its targets, which got a 202, never get a loader record.",
		DLQAgeAlarmDays, DLQRetentionDays-DLQAgeAlarmDays),
		props.DLQ.MetricApproximateAgeOfOldestMessage(stat("Maximum")), DLQAgeAlarmDays*24*3600)
	alarm("Api5xxRate", "More than 1% of API requests failed with 5xx.",
		props.API.MetricServerError(stat("Average")), 0.01)
	alarm("QueueBacklogAge", "The oldest message in the targets queue is older than 15 minutes: the consumer is not keeping up.",
		props.Queue.MetricApproximateAgeOfOldestMessage(stat("Maximum")), 15*60)
	for _, def := range resources.Functions {
		fn := props.Functions[def.Name]
		alarm(constructID("", def.Name)+"Errors", "The "+def.Name+" function reported invocation errors.",
			fn.MetricErrors(stat("Sum")), 0)
	}
	alarm("WebhooksDlqNotEmpty", "A completion webhook was given up after "+fmt.Sprint(resources.WebhookMaxReceiveCount)+" attempts over more than 24 hours: its receiver is down or refuses it. Admins see it (tl webhooks failures); see infra/README.md.",
		props.WebhooksDLQ.MetricApproximateNumberOfMessagesVisible(stat("Maximum")), 0)
	alarm("IngestThrottles", "Ingest invocations were throttled (reserved concurrency or the account's limit reached): callers got 503.",
		props.Functions[resources.IngestFunction.Name].MetricThrottles(stat("Sum")), 0)
}

// alarmActions are the SNS actions every alarm takes.
func alarmActions(scope constructs.Construct, props *AlarmsProps) []awscloudwatch.IAlarmAction {
	var actions []awscloudwatch.IAlarmAction
	if props.TopicArn != "" {
		actions = append(actions, awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(scope, jsii.String("AlarmTopic"), jsii.String(props.TopicArn))))
	}
	if props.Email != "" {
		actions = append(actions, awscloudwatchactions.NewSnsAction(emailTopic(scope, props)))
	}
	if len(actions) == 0 {
		msg := "The alarms notify nobody: set the context key alarmEmail (an address) or alarmTopicArn (an SNS topic), " +
			"or a growing DLQ of accepted targets can expire unseen (see infra/README.md)."
		if props.Stage == "prod" {
			awscdk.Annotations_Of(scope).AddError(jsii.String(msg))
		} else {
			awscdk.Annotations_Of(scope).AddWarningV2(jsii.String("targetloader:alarmsNotifyNobody"), jsii.String(msg), nil)
		}
	}
	return actions
}

// emailTopic is the stack's own alarm topic with props.Email subscribed,
// reachable over TLS only.
func emailTopic(scope constructs.Construct, props *AlarmsProps) awssns.Topic {
	tp := &awssns.TopicProps{
		TopicName:   jsii.String(resources.PhysicalName(props.Stage, "alarms")),
		DisplayName: jsii.String("Target Loader " + props.Stage + " alarms"),
		EnforceSSL:  jsii.Bool(true),
	}
	if props.Key != nil && props.Key.Owned {
		tp.MasterKey = props.Key.Key
		props.Key.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:        jsii.String("AllowCloudWatchAlarmsToPublish"),
			Effect:     awsiam.Effect_ALLOW,
			Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
			Actions:    jsii.Strings("kms:Decrypt", "kms:GenerateDataKey*"),
			Resources:  jsii.Strings("*"),
		}), nil)
	}
	topic := awssns.NewTopic(scope, jsii.String("AlarmEmailTopic"), tp)
	topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(props.Email), nil))
	if tp.MasterKey == nil {
		suppressNag(topic, "AwsSolutions-SNS2", "CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, "+
			"and the stack can grant CloudWatch only a key it created (kmsKey=true encrypts this topic); "+
			"alarm notifications carry alarm names and metric values, no personal data")
	}
	return topic
}
