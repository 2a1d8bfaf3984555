package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// NewMarketerPolicy creates the managed policy ops attach to marketers (their
// IAM users or roles, or an SSO permission set): it allows invoking the
// tokens function and nothing else.
func NewMarketerPolicy(scope constructs.Construct, stage string, tokens awslambda.IFunction) awsiam.ManagedPolicy {
	return awsiam.NewManagedPolicy(scope, jsii.String("MarketerInvokeTokensPolicy"), &awsiam.ManagedPolicyProps{
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
}
