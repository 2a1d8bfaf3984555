package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// KeyProps configure NewKey.
type KeyProps struct {
	Stage string
	// Create makes a customer managed key for the stage; otherwise ARN, when
	// set, names an existing key. Neither: nil (AWS owned and SQS managed keys).
	Create bool
	ARN    string
}

// DataKey is the customer managed key that encrypts the tables, queues and
// log groups. Owned tells whether the stack created it (and so can grant
// AWS services in its key policy).
type DataKey struct {
	Key   awskms.IKey
	Owned bool
}

// NewKey creates or imports the stage's customer managed key, or returns
// nil when the stage uses AWS's keys.
func NewKey(scope constructs.Construct, props *KeyProps) *DataKey {
	if !props.Create {
		if props.ARN == "" {
			return nil
		}
		return &DataKey{Key: awskms.Key_FromKeyArn(scope, jsii.String("DataKey"), jsii.String(props.ARN))}
	}
	key := awskms.NewKey(scope, jsii.String("DataKey"), &awskms.KeyProps{
		Alias:             jsii.String("alias/" + resources.PhysicalName(props.Stage, "data")),
		Description:       jsii.String("Target Loader " + props.Stage + ": tables, queues and logs"),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     removalPolicy(props.Stage),
	})
	// CloudWatch Logs encrypts the stack's log groups with the key, and only
	// log groups of this account and region (the condition AWS documents).
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("AllowCloudWatchLogsOfThisAccount"),
		Effect:     awsiam.Effect_ALLOW,
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(awscdk.Fn_Sub(jsii.String("logs.${AWS::Region}.amazonaws.com"), nil), nil)},
		Actions:    jsii.Strings("kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]any{"ArnLike": map[string]any{
			"kms:EncryptionContext:aws:logs:arn": awscdk.Fn_Sub(jsii.String("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*"), nil),
		}},
	}), nil)
	return &DataKey{Key: key, Owned: true}
}

// key returns the key, or nil for AWS's keys.
func (k *DataKey) key() awskms.IKey {
	if k == nil {
		return nil
	}
	return k.Key
}
