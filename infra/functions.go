package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
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
	// ReservedConcurrency, when positive, reserves (and caps) that many
	// concurrent executions for the function.
	ReservedConcurrency int
	// Key, when set, encrypts the tables, queues and the log group; the
	// function may use it through DynamoDB and SQS only.
	Key awskms.IKey
}

// NewFunction creates a Go function (provided.al2023, arm64, JSON logs) from
// its definition: its log group, sizing, event source, and from its access
// table both its environment and exactly the IAM permissions its code needs.
// Its role has no managed policy: it may write to its own log group only.
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
		EncryptionKey: props.Key,
	})
	role := awsiam.NewRole(scope, jsii.String(constructID("Role", def.Name)), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Target Loader " + def.Name + " function"),
	})
	logGroup.GrantWrite(role) // logs:CreateLogStream, logs:PutLogEvents on its log group
	tracing := awslambda.Tracing_DISABLED
	if props.Tracing {
		tracing = awslambda.Tracing_ACTIVE
	}
	var reserved *float64
	if props.ReservedConcurrency > 0 {
		reserved = jsii.Number(props.ReservedConcurrency)
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
		Role:          role,

		ReservedConcurrentExecutions: reserved,
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

	if props.Key != nil {
		grantKeyUse(fn, def, props.Key)
	}
	if props.Tracing {
		suppressNag(role.Node().FindChild(jsii.String("DefaultPolicy")), "AwsSolutions-IAM5",
			"X-Ray's PutTraceSegments and PutTelemetryRecords support no resource-level permissions (tracing=true only)", "Resource::*")
	}

	if es := def.EventSource; es != nil {
		// The event source grants the role what polling needs on the queue
		// (and kms:Decrypt on its key).
		source := &awslambdaeventsources.SqsEventSourceProps{
			BatchSize:               jsii.Number(es.BatchSize),
			MaxConcurrency:          jsii.Number(es.MaxConcurrency),
			ReportBatchItemFailures: jsii.Bool(true),
		}
		if es.MaxBatchingWindow > 0 { // FIFO queues take none
			source.MaxBatchingWindow = seconds(es.MaxBatchingWindow)
		}
		fn.AddEventSource(awslambdaeventsources.NewSqsEventSource(props.Queues[es.Queue.ID], source))
	}
	return fn
}

// grantKeyUse lets the function use the key for its tables and queues:
// decrypt what it reads, encrypt what it writes, and only through DynamoDB
// and SQS (kms:ViaService), never directly.
func grantKeyUse(fn awslambda.Function, def resources.Function, key awskms.IKey) {
	via := func(service string, actions ...string) {
		fn.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Effect:    awsiam.Effect_ALLOW,
			Actions:   jsii.Strings(actions...),
			Resources: &[]*string{key.KeyArn()},
			Conditions: &map[string]any{"StringEquals": map[string]any{
				"kms:ViaService": awscdk.Fn_Sub(jsii.String(service+".${AWS::Region}.amazonaws.com"), nil),
			}},
		}))
	}
	if len(def.Tables) > 0 {
		actions := []string{"kms:Decrypt", "kms:DescribeKey"}
		if writesTables(def) {
			actions = append(actions, "kms:Encrypt", "kms:GenerateDataKey")
		}
		via("dynamodb", actions...)
	}
	for _, q := range def.Queues {
		if slices.Contains(q.Actions, resources.SendMessage) {
			via("sqs", "kms:Decrypt", "kms:GenerateDataKey") // SSE-KMS producers need both
			break
		}
	}
}

// writesTables tells whether the function writes to any of its tables.
func writesTables(def resources.Function) bool {
	for _, a := range def.Tables {
		for _, act := range a.Actions {
			if act == resources.PutItem || act == resources.UpdateItem || act == resources.BatchWriteItem {
				return true
			}
		}
	}
	return false
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
