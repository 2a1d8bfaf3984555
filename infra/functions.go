package main

import (
	"fmt"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdaeventsources"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// FunctionProps configure NewFunction.
type FunctionProps struct {
	Stage string
	// Def is the function's definition in shared/resources.
	Def resources.Function
	// AssetDir holds the function's linux/arm64 bootstrap binary.
	AssetDir string
	Tables   Tables
	Queues   Queues
	Secrets  Secrets
	// Settings are values by env var name; the function gets those its
	// definition lists and must find each of them here.
	Settings     map[string]*string
	LogRetention awslogs.RetentionDays
	Tracing      bool
}

// NewFunction creates a Go function (provided.al2023, arm64, JSON logs) from
// its definition: its log group, sizing, event source, and from its access
// table both its environment and exactly the IAM permissions its code needs.
func NewFunction(scope constructs.Construct, props *FunctionProps) awslambda.Function {
	def := props.Def
	name := resources.PhysicalName(props.Stage, def.Name)
	// An explicit log group (instead of the LogRetention custom resource)
	// so retention and removal are plain CloudFormation and no extra Lambda
	// with wildcard permissions is deployed.
	logGroup := awslogs.NewLogGroup(scope, jsii.String(constructID("LogGroup", def.Name)), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String("/aws/lambda/" + name),
		Retention:     props.LogRetention,
		RemovalPolicy: removalPolicy(props.Stage),
	})
	tracing := awslambda.Tracing_DISABLED
	if props.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	fn := awslambda.NewFunction(scope, jsii.String(constructID("Function", def.Name)), &awslambda.FunctionProps{
		FunctionName:  jsii.String(name),
		Description:   jsii.String("Target Loader " + def.Name),
		Runtime:       awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:  awslambda.Architecture_ARM_64(),
		Handler:       jsii.String("bootstrap"),
		Code:          awslambda.Code_FromAsset(jsii.String(props.AssetDir), nil),
		MemorySize:    jsii.Number(def.MemoryMB),
		Timeout:       seconds(def.Timeout),
		LoggingFormat: awslambda.LoggingFormat_JSON,
		LogGroup:      logGroup,
		Tracing:       tracing,
	})

	for _, a := range def.Tables {
		table := props.Tables[a.Table.ID]
		fn.AddEnvironment(jsii.String(a.Table.EnvVar), table.TableName(), nil)
		if len(a.Actions) > 0 {
			fn.AddToRolePolicy(allow(a.Actions, table.TableArn()))
		}
		if len(a.QueriedIndexes) > 0 {
			var arns []*string
			for _, ix := range a.QueriedIndexes {
				arns = append(arns, jsii.String(*table.TableArn()+"/index/"+ix))
			}
			fn.AddToRolePolicy(allow([]resources.Action{resources.Query}, arns...))
		}
	}
	for _, a := range def.Queues {
		queue := props.Queues[a.Queue.ID]
		fn.AddEnvironment(jsii.String(a.Queue.EnvVar), queue.QueueUrl(), nil)
		fn.AddToRolePolicy(allow(a.Actions, queue.QueueArn()))
	}
	for _, a := range def.Secrets {
		secret := props.Secrets[a.Secret.ID]
		fn.AddEnvironment(jsii.String(a.Secret.EnvVar), secret.SecretArn(), nil)
		fn.AddToRolePolicy(allow(a.Actions, secret.SecretArn()))
	}
	for _, s := range def.Settings {
		v, ok := props.Settings[s]
		if !ok {
			panic(fmt.Sprintf("function %s: no value for setting %s", def.Name, s))
		}
		fn.AddEnvironment(jsii.String(s), v, nil)
	}

	if es := def.EventSource; es != nil {
		// The event source grants the role what polling needs on the queue.
		fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(props.Queues[es.Queue.ID], &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(es.BatchSize),
			MaxBatchingWindow:       seconds(es.MaxBatchingWindow),
			MaxConcurrency:          jsii.Number(es.MaxConcurrency),
			ReportBatchItemFailures: jsii.Bool(true),
		}))
	}
	return fn
}

// allow is a statement allowing actions on resources.
func allow(actions []resources.Action, arns ...*string) awsiam.PolicyStatement {
	names := make([]*string, len(actions))
	for i, a := range actions {
		names[i] = jsii.String(string(a))
	}
	return awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Effect:    awsiam.Effect_ALLOW,
		Actions:   &names,
		Resources: &arns,
	})
}

func seconds(d time.Duration) awscdk.Duration {
	return awscdk.Duration_Seconds(jsii.Number(d.Seconds()))
}
