package main

import (
	"encoding/json"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
)

// Stage name of the API Gateway deployment; part of the API URL.
const APIStageName = "v1"

// APIProps configure NewAPI.
type APIProps struct {
	Stage string
	// RateLimit and BurstLimit throttle the API stage (requests per second, burst).
	RateLimit, BurstLimit float64
	LogRetention          awslogs.RetentionDays
	Tracing               bool
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
	})
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
	body, _ := json.Marshal(manage.SignInRequired()) // strings and an int: cannot fail
	return strings.TrimSuffix(string(body), "}") + `,"request_id":"$context.requestId"}`
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
		a.RestAPI.Root().ResourceForPath(jsii.String(r.Path)).AddMethod(jsii.String(r.Method), integration, opts)
	}
	a.RestAPI.AddGatewayResponse(jsii.String("UnauthorizedResponse"), &awsapigateway.GatewayResponseOptions{
		Type:       awsapigateway.ResponseType_UNAUTHORIZED(),
		StatusCode: jsii.String("401"),
		ResponseHeaders: &map[string]*string{
			"Content-Type":     jsii.String("'" + problem.ContentType + "'"),
			"WWW-Authenticate": jsii.String("'" + manage.WWWAuthenticate + "'"),
			"X-Request-Id":     jsii.String("context.requestId"),
		},
		Templates: &map[string]*string{"application/json": jsii.String(UnauthorizedTemplate())},
	})
}
