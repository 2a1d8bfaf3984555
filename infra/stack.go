package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// TargetLoaderStackProps configures the stack.
type TargetLoaderStackProps struct {
	awscdk.StackProps
	// Stage is the deployment stage ("dev", "prod", ...); it prefixes every
	// physical name. "prod" retains data on deletion.
	Stage string
	// AssetDirs maps a function name (resources.Function.Name) to a directory
	// that holds its linux/arm64 `bootstrap` binary. Required for every function.
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
// the user pool, the three functions, the REST API and alarms.
//
// The parts create their resources directly in the stack, under the
// construct ids they always had, so that the logical IDs of existing
// deployments stay the same (a new id would replace tables and queues).
func NewTargetLoaderStack(scope constructs.Construct, id string, props *TargetLoaderStackProps) awscdk.Stack {
	if props == nil {
		props = &TargetLoaderStackProps{}
	}
	p := *props
	p.defaults()
	for _, def := range resources.Functions {
		if p.AssetDirs[def.Name] == "" {
			panic(fmt.Sprintf("TargetLoaderStackProps.AssetDirs[%q] is required", def.Name))
		}
	}

	stack := awscdk.NewStack(scope, &id, &p.StackProps)
	awscdk.Tags_Of(stack).Add(jsii.String("service"), jsii.String("targetloader"), nil)
	awscdk.Tags_Of(stack).Add(jsii.String("stage"), jsii.String(p.Stage), nil)

	tables := NewTables(stack, &TablesProps{Stage: p.Stage})
	queues := NewQueues(stack, &QueuesProps{Stage: p.Stage})
	secrets := NewSecrets(stack, p.Stage)
	users := NewUsers(stack, p.Stage)
	api := NewAPI(stack, &APIProps{
		Stage: p.Stage, RateLimit: p.APIRateLimit, BurstLimit: p.APIBurstLimit,
		LogRetention: p.LogRetention, Tracing: p.TracingEnabled,
	})
	// Each function takes the settings its definition lists.
	settings := map[string]*string{
		resources.EnvRateLimitPerSecond: jsii.String(fmt.Sprint(p.TokenRateLimit)),
		resources.EnvRateLimitBurst:     jsii.String(fmt.Sprint(p.TokenBurstLimit)),
		resources.EnvUserPoolID:         users.Pool.UserPoolId(),
		resources.EnvUserPoolClientID:   users.Client.UserPoolClientId(),
		resources.EnvCognitoEndpoint: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("https://cognito-idp."), stack.Region(), jsii.String("."), stack.UrlSuffix(),
		}),
		// In AWS a webhook never reaches a loopback, private or link-local address.
		resources.EnvWebhookAllowPrivate: jsii.String("false"),
	}
	fns := map[string]awslambda.IFunction{}
	for _, def := range resources.Functions {
		fns[def.Name] = NewFunction(stack, &FunctionProps{
			Stage: p.Stage, Def: def, AssetDir: p.AssetDirs[def.Name],
			Tables: tables, Queues: queues, Secrets: secrets, Settings: settings,
			LogRetention: p.LogRetention, Tracing: p.TracingEnabled,
		})
	}
	ingest := fns[resources.IngestFunction.Name]
	consumer := fns[resources.ConsumerFunction.Name]
	manage := fns[resources.ManageFunction.Name]
	webhooks := fns[resources.WebhooksFunction.Name]
	api.Serve(fns, users.Pool)
	queue, dlq := queues[resources.TargetsQueue.ID], queues[resources.TargetsDLQ.ID]
	NewAlarms(stack, &AlarmsProps{
		Stage: p.Stage, TopicArn: p.AlarmTopicArn,
		Queue: queue, DLQ: dlq, Ingest: ingest, Consumer: consumer, API: api.RestAPI,
		WebhooksDLQ: queues[resources.WebhooksDLQ.ID], Webhooks: webhooks,
	})

	out := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("ApiUrl", api.BaseURL, "Base URL of the API: ingest (POST {ApiUrl}/journeys/{journey_id}/targets) and management ({ApiUrl}/manage/..., tl --aws --api-url {ApiUrl} login)")
	out("UserPoolId", users.Pool.UserPoolId(), "Cognito user pool of marketers and admins (add users: infra/README.md)")
	out("UserPoolClientId", users.Client.UserPoolClientId(), "App client tl and the console sign in with")
	out("ManageFunctionName", manage.FunctionName(), "Management API function")
	out("IngestFunctionName", ingest.FunctionName(), "Ingest function")
	out("ConsumerFunctionName", consumer.FunctionName(), "Consumer function")
	out("WebhooksFunctionName", webhooks.FunctionName(), "Webhooks function: delivers completion webhooks")
	out("WebhooksDlqUrl", queues[resources.WebhooksDLQ.ID].QueueUrl(), "Webhooks given up after every attempt (admins see them: tl webhooks failures)")
	out("QueueUrl", queue.QueueUrl(), "Targets queue")
	out("DlqUrl", dlq.QueueUrl(), "Targets dead-letter queue")
	out("DlqArn", dlq.QueueArn(), "Targets dead-letter queue ARN (for start-message-move-task)")
	out("Stage", jsii.String(p.Stage), "Deployment stage")
	return stack
}

// retainsData tells whether a stage keeps its data when the stack is
// deleted: only prod, whose tables are also deletion-protected.
func retainsData(stage string) bool { return stage == "prod" }

func removalPolicy(stage string) awscdk.RemovalPolicy {
	if retainsData(stage) {
		return awscdk.RemovalPolicy_RETAIN
	}
	return awscdk.RemovalPolicy_DESTROY
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
