package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

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

// API is the REST API external systems call.
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
		Description:   jsii.String("Target Loader ingest API"),
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
	// The stack's ApiUrl output replaces the default "Endpoint" output.
	api.Node().TryRemoveChild(jsii.String("Endpoint"))
	stack := awscdk.Stack_Of(scope)
	baseURL := awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("https://"), api.RestApiId(), jsii.String(".execute-api."), stack.Region(),
		jsii.String("."), stack.UrlSuffix(), jsii.String("/"), api.DeploymentStage().StageName(),
	})
	return &API{RestAPI: api, BaseURL: baseURL}
}

// Serve routes the product's ingest routes to fn through a proxy integration.
func (a *API) Serve(fn awslambda.IFunction) {
	integration := awsapigateway.NewLambdaIntegration(fn, &awsapigateway.LambdaIntegrationOptions{
		Proxy:           jsii.Bool(true),
		AllowTestInvoke: jsii.Bool(false),
	})
	journey := a.RestAPI.Root().AddResource(jsii.String("journeys"), nil).AddResource(jsii.String("{journey_id}"), nil)
	journey.AddResource(jsii.String("targets"), nil).AddMethod(jsii.String("POST"), integration, nil)
	journey.AddResource(jsii.String("requests"), nil).AddResource(jsii.String("{request_uuid}"), nil).
		AddMethod(jsii.String("GET"), integration, nil)
}
