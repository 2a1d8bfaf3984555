package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/signedin"
)

// Stage name of the API Gateway deployment; part of the API URL.
const APIStageName = "v1"

// Throttle is an API Gateway token bucket: steady requests per second and burst.
type Throttle struct {
	Rate  float64 `json:"rate"`
	Burst float64 `json:"burst"`
}

// RouteKey names a route as method throttles do: "METHOD /path".
func RouteKey(r resources.Route) string { return r.Method + " " + r.Path }

// APIProps configure NewAPI.
type APIProps struct {
	Stage string
	// RateLimit and BurstLimit throttle every method of the stage that has no
	// throttle of its own (requests per second, burst); API Gateway keeps a
	// bucket per method, so one method's flood never uses up another's.
	RateLimit, BurstLimit float64
	// MethodThrottles give single methods, keyed "METHOD /path" (RouteKey),
	// other limits. Each key must name a method of the API once its routes
	// are added.
	MethodThrottles map[string]Throttle
	LogRetention    awslogs.RetentionDays
	Tracing         bool
	// Key, when set, encrypts the API's log groups.
	Key awskms.IKey
}

// API is the REST API external systems, marketers and admins call.
type API struct {
	RestAPI awsapigateway.RestApi
	// BaseURL has no trailing slash, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/v1
	BaseURL *string
}

// NewAPI creates the regional REST API with its throttled stage and JSON
// access logs. It has no routes until Serve.
func NewAPI(scope constructs.Construct, props *APIProps) *API {
	accessLogs := awslogs.NewLogGroup(scope, jsii.String("ApiAccessLogs"), &awslogs.LogGroupProps{
		Retention:     props.LogRetention,
		RemovalPolicy: removalPolicy(props.Stage),
		EncryptionKey: props.Key,
	})
	// Every method logs its errors (execution logs, never bodies or headers:
	// DataTraceEnabled stays off, so no token reaches a log).
	logged := func(t Throttle) *awsapigateway.MethodDeploymentOptions {
		return &awsapigateway.MethodDeploymentOptions{
			ThrottlingRateLimit: jsii.Number(t.Rate), ThrottlingBurstLimit: jsii.Number(t.Burst),
			LoggingLevel: awsapigateway.MethodLoggingLevel_ERROR, DataTraceEnabled: jsii.Bool(false), MetricsEnabled: jsii.Bool(true),
		}
	}
	methodOptions := map[string]*awsapigateway.MethodDeploymentOptions{}
	for route, t := range props.MethodThrottles {
		method, path, ok := strings.Cut(route, " ")
		if !ok || !strings.HasPrefix(path, "/") || method != strings.ToUpper(method) {
			panic(fmt.Sprintf("method throttle %q: want \"METHOD /path\"", route))
		}
		// A method's own settings replace the stage's, so they repeat its logging.
		methodOptions[path+"/"+method] = logged(t)
	}
	api := awsapigateway.NewRestApi(scope, jsii.String("Api"), &awsapigateway.RestApiProps{
		RestApiName:   jsii.String(resources.PhysicalName(props.Stage, "api")),
		Description:   jsii.String("Target Loader API: ingest (API tokens) and management (Cognito sign-in)"),
		EndpointTypes: &[]awsapigateway.EndpointType{awsapigateway.EndpointType_REGIONAL},
		// Account-level role that lets API Gateway write the access logs.
		CloudWatchRole: jsii.Bool(true),
		// API Gateway accepts payloads up to 10 MB; the product's 1 MiB body
		// limit (413) is enforced by the ingest function in code.
		DeployOptions: &awsapigateway.StageOptions{
			StageName:            jsii.String(APIStageName),
			ThrottlingRateLimit:  jsii.Number(props.RateLimit),
			ThrottlingBurstLimit: jsii.Number(props.BurstLimit),
			LoggingLevel:         awsapigateway.MethodLoggingLevel_ERROR,
			DataTraceEnabled:     jsii.Bool(false),
			MethodOptions:        &methodOptions,
			MetricsEnabled:       jsii.Bool(true),
			TracingEnabled:       jsii.Bool(props.Tracing),
			AccessLogDestination: awsapigateway.NewLogGroupLogDestination(accessLogs),
			AccessLogFormat: awsapigateway.AccessLogFormat_JsonWithStandardFields(&awsapigateway.JsonWithStandardFieldProps{
				Caller: jsii.Bool(false), HttpMethod: jsii.Bool(true), Ip: jsii.Bool(true),
				Protocol: jsii.Bool(true), RequestTime: jsii.Bool(true), ResourcePath: jsii.Bool(true),
				ResponseLength: jsii.Bool(true), Status: jsii.Bool(true), User: jsii.Bool(false),
			}),
		},
	})
	// The stack's ApiUrl output replaces the default "Endpoint" output. The
	// base URL names the stage literally: a reference to the stage would make
	// the functions the API integrates depend on its deployment, a cycle.
	api.Node().TryRemoveChild(jsii.String("Endpoint"))
	api.Node().AddValidation(&throttledRoutesExist{api: api, throttles: props.MethodThrottles})
	suppressNag(api, "AwsSolutions-APIG2", "Requests are validated by the functions, all-or-nothing, "+
		"answering RFC 9457 problems that list every invalid target by index and field (PRODUCT.md §3); "+
		"API Gateway's model validation would answer first, in its own format")
	suppressNag(api.Node().FindChild(jsii.String("CloudWatchRole")), "AwsSolutions-IAM4",
		"The account-level role that lets API Gateway write access and execution logs; "+
			"AmazonAPIGatewayPushToCloudWatchLogs is the AWS policy made for exactly that",
		"Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs")
	// API Gateway creates the execution log group on first use, kept for
	// ever; created here it has the stack's retention, key and removal.
	execLogs := awslogs.NewLogGroup(scope, jsii.String("ApiExecutionLogs"), &awslogs.LogGroupProps{
		LogGroupName: awscdk.Fn_Join(jsii.String(""), &[]*string{
			jsii.String("API-Gateway-Execution-Logs_"), api.RestApiId(), jsii.String("/" + APIStageName),
		}),
		Retention:     props.LogRetention,
		RemovalPolicy: removalPolicy(props.Stage),
		EncryptionKey: props.Key,
	})
	api.DeploymentStage().Node().AddDependency(execLogs)
	stack := awscdk.Stack_Of(scope)
	baseURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), api.RestApiId(), jsii.String(".execute-api."), stack.Region(),
		jsii.String("."), stack.UrlSuffix(), jsii.String("/" + APIStageName),
	})
	return &API{RestAPI: api, BaseURL: baseURL}
}

// UnauthorizedTemplate is the body of the authorizer's 401: the functions'
// problem document, with the request's id as API Gateway knows it.
func UnauthorizedTemplate() string {
	body, _ := json.Marshal(signedin.SignInRequired()) // strings and an int: cannot fail
	return withRequestID(string(body))
}

// Serve builds the routes of resources.Routes, each proxied to its
// function in fns: the signed-in ones behind a Cognito authorizer of users,
// whose refusals are problem documents as the functions' are.
func (a *API) Serve(fns map[string]awslambda.IFunction, users awscognito.IUserPool) {
	auth := awsapigateway.NewCognitoUserPoolsAuthorizer(a.RestAPI, jsii.String("ManageAuthorizer"), &awsapigateway.CognitoUserPoolsAuthorizerProps{
		CognitoUserPools: &[]awscognito.IUserPool{users},
		IdentitySource:   awsapigateway.IdentitySource_Header(jsii.String("Authorization")),
	})
	integrations := map[string]awsapigateway.LambdaIntegration{}
	for _, r := range resources.Routes {
		integration, ok := integrations[r.Function]
		if !ok {
			integration = awsapigateway.NewLambdaIntegration(fns[r.Function], &awsapigateway.LambdaIntegrationOptions{
				Proxy:           jsii.Bool(true),
				AllowTestInvoke: jsii.Bool(false),
			})
			integrations[r.Function] = integration
		}
		opts := &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_NONE}
		if r.SignedIn {
			opts = &awsapigateway.MethodOptions{AuthorizationType: awsapigateway.AuthorizationType_COGNITO, Authorizer: auth}
		}
		m := a.RestAPI.Root().ResourceForPath(jsii.String(r.Path)).AddMethod(jsii.String(r.Method), integration, opts)
		if !r.SignedIn {
			suppressOpenRoute(m, r)
		}
	}
	a.RestAPI.AddGatewayResponse(jsii.String("UnauthorizedResponse"), &awsapigateway.GatewayResponseOptions{
		Type:       awsapigateway.ResponseType_UNAUTHORIZED(),
		StatusCode: jsii.String("401"),
		ResponseHeaders: &map[string]*string{
			"Content-Type":     jsii.String("'" + problem.ContentType + "'"),
			"WWW-Authenticate": jsii.String("'" + signedin.WWWAuthenticate + "'"),
			"X-Request-Id":     jsii.String(GatewayRequestID),
		},
		Templates: &map[string]*string{"application/json": jsii.String(UnauthorizedTemplate())},
	})
}

// suppressOpenRoute accepts that a route without the Cognito authorizer has
// none, for the reason that route has: ingest checks journey API tokens
// itself, and the console's page, assets and configuration are public by
// nature.
func suppressOpenRoute(m awsapigateway.Method, r resources.Route) {
	reason := map[string]string{
		resources.IngestFunction.Name: "External systems authenticate with a journey's bearer API token, which the ingest function " +
			"checks on every request (hash lookup, expiry, revocation, journey; PRODUCT.md §3); they are not Cognito users",
		resources.ManageFunction.Name: "The web console's page, static assets and public configuration (user pool id, app client id, " +
			"Cognito endpoint: no secret), which the browser needs before anyone can sign in; every /manage method has the authorizer",
	}[r.Function]
	if r.Path == "/openapi.json" {
		reason = "The OpenAPI document of the API (routes and schemas: no data, no secret), which integrators and " +
			"client generators fetch without credentials (PRODUCT.md §9)"
	}
	if reason == "" {
		panic(fmt.Sprintf("route %s without sign-in has no reviewed reason (infra/api.go)", RouteKey(r)))
	}
	suppressNag(m, "AwsSolutions-APIG4", reason)
	suppressNag(m, "AwsSolutions-COG4", reason)
}

// throttledRoutesExist fails synthesis when a method throttle names no
// method of the API (a typo would otherwise leave the method at the stage's limit).
type throttledRoutesExist struct {
	api       awsapigateway.RestApi
	throttles map[string]Throttle
}

func (v *throttledRoutesExist) Validate() *[]*string {
	var routes []string
	for _, m := range *v.api.Methods() {
		routes = append(routes, *m.HttpMethod()+" "+*m.Resource().Path())
	}
	var errs []*string
	for route := range v.throttles {
		if !slices.Contains(routes, route) {
			errs = append(errs, jsii.String(fmt.Sprintf("method throttle %q names no method of the API (it has %v)", route, routes)))
		}
	}
	return &errs
}
