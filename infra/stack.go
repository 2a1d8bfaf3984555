package main

import (
	"fmt"
	"maps"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/console"
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
	// second, burst): every method without a throttle of its own. Defaults 100 and 200.
	APIRateLimit  float64
	APIBurstLimit float64
	// MethodThrottles give single routes, keyed "METHOD /path", other limits
	// than the stage's; they replace DefaultMethodThrottles() of the same routes.
	MethodThrottles map[string]Throttle
	// IngestReservedConcurrency reserves that many concurrent executions for
	// ingest, which also caps it: a flood can neither take the account's
	// whole concurrency nor be starved by other functions. Default 50;
	// Unreserved for none (accounts whose concurrency quota is too low).
	IngestReservedConcurrency int
	// WAF turns the web ACL of the API stage on or off; nil: on in prod only.
	WAF *bool
	// WAFRateLimit is how many requests one IP may send per 5 minutes.
	// Default 6000 (20 per second, two tokens at their full rate).
	WAFRateLimit int
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
	// AlarmEmail, when set, is subscribed to an alarm topic of the stack's own.
	// prod needs AlarmTopicArn or AlarmEmail.
	AlarmEmail string
	// RetentionDays is how long requests and loader records (personal data)
	// are kept. Default resources.DefaultRetentionDays, at least resources.MinRetentionDays.
	RetentionDays int
	// CreateKMSKey makes a customer managed key that encrypts the tables,
	// queues, log groups and the alarm topic; KMSKeyArn uses an existing
	// key instead (its key policy must allow CloudWatch Logs, see
	// infra/README.md). Neither: AWS owned and SQS managed keys.
	CreateKMSKey bool
	KMSKeyArn    string
}

// Unreserved, as IngestReservedConcurrency, reserves no concurrency.
const Unreserved = -1

// Method throttles by kind of route. API Gateway keeps a bucket per method,
// the stage's limit (100 / 200) being every method's default; these lower
// it where a request costs more or has fewer legitimate callers.
var (
	// SubmitThrottle: a submission carries up to 1 MiB and 500 targets, so
	// 50 per second are 25,000 targets a second, more than the consumer
	// (10 concurrent) processes; the status route keeps the stage's limit.
	SubmitThrottle = Throttle{Rate: 50, Burst: 100}
	// SignedInThrottle: each management route, used by marketers and admins
	// (people, the console, tl), not by systems.
	SignedInThrottle = Throttle{Rate: 20, Burst: 40}
	// OpenManageThrottle: the console's page and public configuration,
	// invoking the management function without sign-in: what page loads
	// need, no more.
	OpenManageThrottle = Throttle{Rate: 10, Burst: 20}
	// ConsoleAssetThrottle: the console's scripts, style and icon, about 15
	// requests per page load (revalidations, answered 304, count too).
	ConsoleAssetThrottle = Throttle{Rate: 40, Burst: 80}
)

// DefaultMethodThrottles are the method throttles of resources.Routes.
func DefaultMethodThrottles() map[string]Throttle {
	out := map[string]Throttle{}
	for _, r := range resources.Routes {
		switch {
		case r.Function == resources.IngestFunction.Name && r.Method == "POST":
			out[RouteKey(r)] = SubmitThrottle
		case r.SignedIn:
			out[RouteKey(r)] = SignedInThrottle
		case r.Function == resources.ManageFunction.Name && r.Path == console.RouteAsset:
			out[RouteKey(r)] = ConsoleAssetThrottle
		case r.Function == resources.ManageFunction.Name:
			out[RouteKey(r)] = OpenManageThrottle
		}
	}
	return out
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
	throttles := DefaultMethodThrottles()
	maps.Copy(throttles, p.MethodThrottles)
	p.MethodThrottles = throttles
	if p.IngestReservedConcurrency == 0 {
		p.IngestReservedConcurrency = 50
	}
	if p.WAF == nil {
		p.WAF = jsii.Bool(p.Stage == "prod")
	}
	if p.WAFRateLimit == 0 {
		p.WAFRateLimit = 6000
	}
	if p.RetentionDays == 0 {
		p.RetentionDays = resources.DefaultRetentionDays
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
	if p.RetentionDays < resources.MinRetentionDays {
		awscdk.Annotations_Of(stack).AddError(jsii.String(fmt.Sprintf("retentionDays must be at least %d (longer than a message can wait in the queue and the DLQ), got %d", resources.MinRetentionDays, p.RetentionDays)))
	}

	key := NewKey(stack, &KeyProps{Stage: p.Stage, Create: p.CreateKMSKey, ARN: p.KMSKeyArn})
	tables := NewTables(stack, &TablesProps{Stage: p.Stage, Key: key.key()})
	queues := NewQueues(stack, &QueuesProps{Stage: p.Stage, Key: key.key()})
	secrets := NewSecrets(stack, p.Stage)
	users := NewUsers(stack, p.Stage)
	api := NewAPI(stack, &APIProps{
		Stage: p.Stage, RateLimit: p.APIRateLimit, BurstLimit: p.APIBurstLimit, MethodThrottles: p.MethodThrottles,
		LogRetention: p.LogRetention, Tracing: p.TracingEnabled, Key: key.key(),
	})
	// Each function takes the settings its definition lists.
	settings := map[string]*string{
		resources.EnvRateLimitPerSecond: jsii.String(fmt.Sprint(p.TokenRateLimit)),
		resources.EnvRateLimitBurst:     jsii.String(fmt.Sprint(p.TokenBurstLimit)),
		resources.EnvRetentionDays:      jsii.String(fmt.Sprint(p.RetentionDays)),
		resources.EnvUserPoolID:         users.Pool.UserPoolId(),
		resources.EnvUserPoolClientID:   users.Client.UserPoolClientId(),
		resources.EnvCognitoEndpoint: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("https://cognito-idp."), stack.Region(), jsii.String("."), stack.UrlSuffix(),
		}),
		// In AWS a webhook never reaches a loopback, private or link-local address.
		resources.EnvWebhookAllowPrivate: jsii.String("false"),
	}
	reserved := map[string]int{resources.IngestFunction.Name: p.IngestReservedConcurrency}
	fns := map[string]awslambda.IFunction{}
	for _, def := range resources.Functions {
		fns[def.Name] = NewFunction(stack, &FunctionProps{
			Stage: p.Stage, Def: def, AssetDir: p.AssetDirs[def.Name],
			Tables: tables, Queues: queues, Secrets: secrets, Settings: settings,
			LogRetention: p.LogRetention, Tracing: p.TracingEnabled,
			ReservedConcurrency: reserved[def.Name], Key: key.key(),
		})
	}
	ingest := fns[resources.IngestFunction.Name]
	consumer := fns[resources.ConsumerFunction.Name]
	manage := fns[resources.ManageFunction.Name]
	webhooks := fns[resources.WebhooksFunction.Name]
	api.Serve(fns, users.Pool)
	NewEdge(stack, &EdgeProps{Stage: p.Stage, API: api, WAF: *p.WAF, WAFRateLimit: p.WAFRateLimit})
	queue, dlq := queues[resources.TargetsQueue.ID], queues[resources.TargetsDLQ.ID]
	NewAlarms(stack, &AlarmsProps{
		Stage: p.Stage, TopicArn: p.AlarmTopicArn, Email: p.AlarmEmail, Key: key,
		Queue: queue, DLQ: dlq, Functions: fns, API: api.RestAPI,
		WebhooksDLQ: queues[resources.WebhooksDLQ.ID],
	})

	out := func(id string, value *string, desc string) {
		awscdk.NewCfnOutput(stack, jsii.String(id), &awscdk.CfnOutputProps{Value: value, Description: jsii.String(desc)})
	}
	out("ApiUrl", api.BaseURL, "Base URL of the API: ingest (POST {ApiUrl}/journeys/{journey_id}/targets) and management ({ApiUrl}/manage/..., tl --aws --api-url {ApiUrl} login)")
	out("ConsoleUrl", awscdk.Fn_Join(jsii.String(""), &[]*string{api.BaseURL, jsii.String("/console/")}), "The web console marketers and admins sign in to")
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
