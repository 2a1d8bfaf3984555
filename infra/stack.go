package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// Function names: the directory under functions/ and the suffix of the
// physical function name (targetloader-<stage>-<name>).
const (
	FnIngest   = "ingest"
	FnConsumer = "consumer"
	FnTokens   = "tokens"
)

// FunctionNames lists the three functions in build order.
var FunctionNames = []string{FnIngest, FnConsumer, FnTokens}

// Stage name of the API Gateway deployment; part of the API URL.
const APIStageName = "v1"

// Sizing of each function. The values are shared with the drift test, which
// checks that template.yaml (SAM) uses the same ones.
type fnSizing struct {
	MemoryMB   float64
	TimeoutSec float64
}

var sizing = map[string]fnSizing{
	// ingest: parses and validates a body of at most 1 MiB, a handful of
	// DynamoDB reads/writes and one SQS SendMessageBatch per 10 targets. 256 MB
	// gives enough CPU for JSON parsing of 1 MiB well under a second; 10 s
	// covers retries of the SDK while staying well below API Gateway's 29 s
	// integration timeout.
	FnIngest: {MemoryMB: 256, TimeoutSec: 10},
	// consumer: processes a batch of up to 10 messages with BatchGetItem email
	// matching and several writes per target; more memory means more CPU and
	// network throughput. 60 s leaves room for DynamoDB throttling retries;
	// the queue's visibility timeout is 6x this value.
	FnConsumer: {MemoryMB: 512, TimeoutSec: 60},
	// tokens: a few single-item reads/writes per invocation, invoked by people.
	FnTokens: {MemoryMB: 128, TimeoutSec: 10},
}

// Event source settings of the consumer (shared with the drift test).
const (
	ConsumerBatchSize         = 10
	ConsumerMaxBatchingWindow = 2 // seconds
	ConsumerMaxConcurrency    = 10
	// VisibilityTimeoutFactor: AWS recommends a queue visibility timeout of at
	// least six times the consumer's timeout (plus the batching window).
	VisibilityTimeoutFactor = 6
)

// TargetLoaderStackProps configures the stack.
type TargetLoaderStackProps struct {
	awscdk.StackProps
	// Stage is the deployment stage ("dev", "prod", ...); it prefixes every
	// physical name. "prod" retains data on deletion.
	Stage string
	// AssetDirs maps a function name (FnIngest, ...) to a directory that holds
	// its linux/arm64 `bootstrap` binary. Required for every function.
	AssetDirs map[string]string
	// APIRateLimit and APIBurstLimit throttle the API stage (requests per
	// second, burst). Defaults 100 and 200.
	APIRateLimit  float64
	APIBurstLimit float64
	// TokenRateLimit and TokenBurstLimit are each token's rate limit enforced
	// by the ingest function (RATE_LIMIT_PER_SECOND, RATE_LIMIT_BURST).
	// Defaults 10 and 20.
	TokenRateLimit  int
	TokenBurstLimit int
	// LogRetention of the functions' and the API's log groups. Default one month.
	LogRetention awslogs.RetentionDays
	// TracingEnabled turns on X-Ray tracing for the API stage and the functions.
	TracingEnabled bool
	// AlarmTopicArn, when set, is an SNS topic every alarm notifies (alarm and OK).
	AlarmTopicArn string
}

func (p *TargetLoaderStackProps) defaults() {
	if p.Stage == "" {
		p.Stage = "dev"
	}
	if p.APIRateLimit == 0 {
		p.APIRateLimit = 100
	}
	if p.APIBurstLimit == 0 {
		p.APIBurstLimit = 200
	}
	if p.TokenRateLimit == 0 {
		p.TokenRateLimit = 10
	}
	if p.TokenBurstLimit == 0 {
		p.TokenBurstLimit = 20
	}
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_ONE_MONTH
	}
}

// NewTargetLoaderStack provisions the whole service: tables, queue and DLQ,
// the three functions, the REST API, the marketers' invoke policy and alarms.
func NewTargetLoaderStack(scope constructs.Construct, id string, props *TargetLoaderStackProps) awscdk.Stack {
	if props == nil {
		props = &TargetLoaderStackProps{}
	}
	p := *props
	p.defaults()
	for _, name := range FunctionNames {
		if p.AssetDirs[name] == "" {
			panic(fmt.Sprintf("TargetLoaderStackProps.AssetDirs[%q] is required", name))
		}
	}

	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	stage := p.Stage
	prod := stage == "prod"
	removal := awscdk.RemovalPolicy_DESTROY
	if prod {
		removal = awscdk.RemovalPolicy_RETAIN
	}
	awscdk.Tags_Of(stack).Add(jsii.String("service"), jsii.String("targetloader"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(stage), nil)

	// ---- DynamoDB tables, all from shared/resources ----
	tbl := map[string]awsdynamodb.Table{}
	for _, t := range resources.All {
		tp := &awsdynamodb.TableProps{
			TableName:    jsii.String(resources.PhysicalName(stage, t.ID)),
			PartitionKey: attr(t.PartitionKey),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			RemovalPolicy:      removal,
			DeletionProtection: jsii.Bool(prod),
		}
		if t.SortKey != nil {
			tp.SortKey = attr(*t.SortKey)
		}
		if t.TTLAttribute != "" {
			tp.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
		}
		table := awsdynamodb.NewTable(stack, jsii.String(constructID("Table", t.ID)), tp)
		for _, ix := range t.Indexes {
			gp := &awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(ix.PartitionKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			}
			if ix.SortKey != nil {
				gp.SortKey = attr(*ix.SortKey)
			}
			table.AddGlobalSecondaryIndex(gp)
		}
		tbl[t.ID] = table
		awscdk.NewCfnOutput(stack, jsii.String(constructID("TableName", t.ID)), &awscdk.CfnOutputProps{
			Value:       table.TableName(),
			Description: jsii.String(fmt.Sprintf("DynamoDB table %s (%s)", t.ID, t.EnvVar)),
		})
	}

	// ---- SQS queue and dead-letter queue ----
	consumerTimeout := sizing[FnConsumer].TimeoutSec
	dlq := awssqs.NewQueue(stack, jsii.String("TargetsDLQ"), &awssqs.QueueProps{
		QueueName:       jsii.String(resources.PhysicalName(stage, resources.TargetsDLQ.ID)),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RemovalPolicy:   removal,
	})
	queue := awssqs.NewQueue(stack, jsii.String("TargetsQueue"), &awssqs.QueueProps{
		QueueName: jsii.String(resources.PhysicalName(stage, resources.TargetsQueue.ID)),
		VisibilityTimeout: awscdk.Duration_Seconds(jsii.Number(
			VisibilityTimeoutFactor*consumerTimeout + ConsumerMaxBatchingWindow)),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(4)),
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		DeadLetterQueue: &awssqs.DeadLetterQueue{
			Queue:           dlq,
			MaxReceiveCount: jsii.Number(resources.MaxReceiveCount),
		},
		RemovalPolicy: removal,
	})

	// ---- Functions ----
	tableEnv := func(ts ...resources.Table) map[string]*string {
		env := map[string]*string{}
		for _, t := range ts {
			env[t.EnvVar] = tbl[t.ID].TableName()
		}
		return env
	}
	newFn := func(name string, env map[string]*string) awslambda.Function {
		fnName := resources.PhysicalName(stage, name)
		// An explicit log group (instead of the LogRetention custom resource)
		// so retention and removal are plain CloudFormation and no extra
		// Lambda with wildcard permissions is deployed.
		logGroup := awslogs.NewLogGroup(stack, jsii.String(constructID("LogGroup", name)), &awslogs.LogGroupProps{
			LogGroupName:  jsii.String("/aws/lambda/" + fnName),
			Retention:     p.LogRetention,
			RemovalPolicy: removal,
		})
		tracing := awslambda.Tracing_DISABLED
		if p.TracingEnabled {
			tracing = awslambda.Tracing_ACTIVE
		}
		s := sizing[name]
		return awslambda.NewFunction(stack, jsii.String(constructID("Function", name)), &awslambda.FunctionProps{
			FunctionName:  jsii.String(fnName),
			Description:   jsii.String("Target Loader " + name),
			Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
			Architecture:  awslambda.Architecture_ARM_64(),
			Handler:       jsii.String("bootstrap"),
			Code:          awslambda.Code_FromAsset(jsii.String(p.AssetDirs[name]), nil),
			MemorySize:    jsii.Number(s.MemoryMB),
			Timeout:       awscdk.Duration_Seconds(jsii.Number(s.TimeoutSec)),
			LoggingFormat: awslambda.LoggingFormat_JSON,
			LogGroup:      logGroup,
			Tracing:       tracing,
			Environment:   &env,
		})
	}

	ingestEnv := tableEnv(resources.Tokens, resources.Journeys, resources.Requests, resources.LoaderRecords, resources.Idempotency, resources.RateLimits)
	ingestEnv[resources.TargetsQueue.EnvVar] = queue.QueueUrl()
	ingestEnv["RATE_LIMIT_PER_SECOND"] = jsii.String(fmt.Sprint(p.TokenRateLimit))
	ingestEnv["RATE_LIMIT_BURST"] = jsii.String(fmt.Sprint(p.TokenBurstLimit))
	ingest := newFn(FnIngest, ingestEnv)

	consumer := newFn(FnConsumer, tableEnv(resources.Journeys, resources.Accounts, resources.AccountEmails, resources.Requests, resources.LoaderRecords, resources.JourneyTargets))

	// ---- REST API ----
	accessLogs := awslogs.NewLogGroup(stack, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     p.LogRetention,
		RemovalPolicy: removal,
	})
	api := awsapigateway.NewRestApi(stack, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName:   jsii.String(resources.PhysicalName(stage, "api")),
		Description:   jsii.String("Target Loader ingest API"),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// Account-level role that lets API Gateway write the access logs.
		CloudWatchRole: jsii.Bool(true),
		// API Gateway accepts payloads up to 10 MB; the product's 1 MiB body
		// limit (413) is enforced by the ingest function in code.
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(APIStageName),
			ThrottlingRateLimit:  jsii.Number(p.APIRateLimit),
			ThrottlingBurstLimit: jsii.Number(p.APIBurstLimit),
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(p.TracingEnabled),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true),
				Protocol: jsii.Bool(true), RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true),
				ResponseLength: jsii.Bool(true), Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
		},
	})
	// The ApiUrl output below replaces the default "Endpoint" output.
	api.Node().TryRemoveChild(jsii.String("Endpoint"))
	integration := awsapigateway.NewLambdaIntegration(ingest, &awsapigateway.LambdaIntegrationOptions{
		Proxy:           jsii.Bool(true),
		AllowTestInvoke: jsii.Bool(false),
	})
	journey := api.Root().AddResource(jsii.String("journeys"), nil).AddResource(jsii.String("{journey_id}"), nil)
	journey.AddResource(jsii.String("targets"), nil).AddMethod(jsii.String("POST"), integration, nil)
	journey.AddResource(jsii.String("requests"), nil).AddResource(jsii.String("{request_uuid}"), nil).
		AddMethod(jsii.String("GET"), integration, nil)
	// Base URL without a trailing slash, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1
	apiBaseURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), api.RestApiId(), jsii.String(".execute-api."), stack.Region(),
		jsii.String("."), stack.UrlSuffix(), jsii.String("/"), api.DeploymentStage().StageName(),
	})

	tokens := newFn(FnTokens, func() map[string]*string {
		env := tableEnv(resources.Tokens, resources.Journeys)
		env["API_BASE_URL"] = apiBaseURL
		return env
	}())

	// ---- Consumer event source ----
	consumer.AddEventSource(awslambdaeventsources.NewSqsEventSource(queue, &awslambdaeventsources.SqsEventSourceProps{
		BatchSize:               jsii.Number(ConsumerBatchSize),
		MaxBatchingWindow:       awscdk.Duration_Seconds(jsii.Number(ConsumerMaxBatchingWindow)),
		MaxConcurrency:          jsii.Number(ConsumerMaxConcurrency),
		ReportBatchItemFailures: jsii.Bool(true),
	}))

	// ---- Least-privilege grants: only what each function's code uses ----
	tbl[resources.Tokens.ID].GrantReadData(ingest)
	tbl[resources.Journeys.ID].GrantReadData(ingest)
	tbl[resources.Requests.ID].GrantReadWriteData(ingest)
	tbl[resources.Idempotency.ID].GrantReadWriteData(ingest)
	tbl[resources.RateLimits.ID].GrantReadWriteData(ingest)
	tbl[resources.LoaderRecords.ID].GrantReadData(ingest)
	queue.GrantSendMessages(ingest)

	tbl[resources.Journeys.ID].GrantReadData(consumer)
	tbl[resources.Accounts.ID].GrantReadData(consumer)
	tbl[resources.AccountEmails.ID].GrantReadData(consumer)
	tbl[resources.Requests.ID].GrantReadWriteData(consumer)
	tbl[resources.LoaderRecords.ID].GrantReadWriteData(consumer)
	tbl[resources.JourneyTargets.ID].GrantReadWriteData(consumer)

	tbl[resources.Tokens.ID].GrantReadWriteData(tokens)
	tbl[resources.Journeys.ID].GrantReadData(tokens)

	// Marketers (their IAM users/roles or SSO permission set) get this policy
	// attached: it allows invoking the tokens function and nothing else.
	marketerPolicy := awsiam.NewManagedPolicy(stack, jsii.String("MarketerInvokeTokensPolicy"), &awsiam.ManagedPolicyProps{
		ManagedPolicyName: jsii.String(resources.PhysicalName(stage, "MarketerInvokeTokensPolicy")),
		Description:       jsii.String("Allows invoking the Target Loader tokens function only"),
		Statements: &[]awsiam.PolicyStatement{
			awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Effect:    awsiam.Effect_ALLOW,
				Actions:   jsii.Strings("lambda:InvokeFunction"),
				Resources: jsii.Strings(*tokens.FunctionArn()),
			}),
		},
	})

	// ---- Alarms ----
	fiveMin := awscdk.Duration_Minutes(jsii.Number(5))
	var alarmAction awscloudwatch.IAlarmAction
	if p.AlarmTopicArn != "" {
		alarmAction = awscloudwatchactions.NewSnsAction(awssns.Topic_FromTopicArn(stack, jsii.String("AlarmTopic"), jsii.String(p.AlarmTopicArn)))
	}
	alarm := func(id, desc string, metric awscloudwatch.Metric, threshold float64, periods float64) {
		a := metric.CreateAlarm(stack, jsii.String(id), &awscloudwatch.CreateAlarmOptions{
			AlarmName:          jsii.String(resources.PhysicalName(stage, id)),
			AlarmDescription:   jsii.String(desc),
			Threshold:          jsii.Number(threshold),
			EvaluationPeriods:  jsii.Number(periods),
			ComparisonOperator: awscloudwatch.ComparisonOperator_GREATER_THAN_THRESHOLD,
			TreatMissingData:   awscloudwatch.TreatMissingData_NOT_BREACHING,
		})
		if alarmAction != nil {
			a.AddAlarmAction(alarmAction)
			a.AddOkAction(alarmAction)
		}
	}
	alarm("DlqNotEmpty", "Messages in the targets DLQ: the consumer failed them "+fmt.Sprint(resources.MaxReceiveCount)+" times. Inspect, fix, then redrive (see infra/README.md).",
		dlq.MetricApproximateNumberOfMessagesVisible(&awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String("Maximum")}), 0, 1)
	alarm("ConsumerErrors", "The consumer function reported invocation errors.",
		consumer.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String("Sum")}), 0, 1)
	alarm("Api5xxRate", "More than 1% of API requests failed with 5xx.",
		api.MetricServerError(&awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String("Average")}), 0.01, 1)
	alarm("QueueBacklogAge", "The oldest message in the targets queue is older than 15 minutes: the consumer is not keeping up.",
		queue.MetricApproximateAgeOfOldestMessage(&awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String("Maximum")}), 15*60, 1)
	alarm("IngestErrors", "The ingest function reported invocation errors.",
		ingest.MetricErrors(&awscloudwatch.MetricOptions{Period: fiveMin, Statistic: jsii.String("Sum")}), 0, 1)

	// ---- Outputs ----
	out := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("ApiUrl", apiBaseURL, "Base URL of the ingest API (POST {ApiUrl}/journeys/{journey_id}/targets)")
	out("TokensFunctionName", tokens.FunctionName(), "Function marketers invoke to manage tokens (tl --aws)")
	out("IngestFunctionName", ingest.FunctionName(), "Ingest function")
	out("ConsumerFunctionName", consumer.FunctionName(), "Consumer function")
	out("QueueUrl", queue.QueueUrl(), "Targets queue")
	out("DlqUrl", dlq.QueueUrl(), "Targets dead-letter queue")
	out("DlqArn", dlq.QueueArn(), "Targets dead-letter queue ARN (for start-message-move-task)")
	out("MarketerPolicyArn", marketerPolicy.ManagedPolicyArn(), "Attach to marketers' users/roles to let them manage tokens")
	out("Stage", jsii.String(stage), "Deployment stage")

	return stack
}

func attr(k resources.Key) *awsdynamodb.Attribute {
	t := awsdynamodb.AttributeType_STRING
	if k.Type == resources.Number {
		t = awsdynamodb.AttributeType_NUMBER
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: t}
}

// constructID turns "account-emails" into "<prefix>AccountEmails".
func constructID(prefix, id string) string {
	out := []byte(prefix)
	up := true
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c == '-' || c == '_' {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		out = append(out, c)
	}
	return string(out)
}
