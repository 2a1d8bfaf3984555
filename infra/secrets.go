package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awssecretsmanager"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// Secrets are the stack's Secrets Manager secrets by resources.Secret ID.
type Secrets map[string]awssecretsmanager.Secret

// NewSecrets creates the webhook master key: 64 random characters that
// Secrets Manager generates, so no one ever sees it. Every token's webhook
// signing secret is derived from it and the token's id; it is never rotated
// automatically, since rotating it would change every token's secret. prod
// keeps it when the stack is deleted.
func NewSecrets(scope constructs.Construct, stage string) Secrets {
	key := awssecretsmanager.NewSecret(scope, jsii.String("WebhookMasterKey"), &awssecretsmanager.SecretProps{
		SecretName:  jsii.String(resources.PhysicalName(stage, resources.WebhookMasterKey.ID)),
		Description: jsii.String("Target Loader: the key every token's webhook signing secret is derived from"),
		GenerateSecretString: &awssecretsmanager.SecretStringGenerator{
			PasswordLength:     jsii.Number(64),
			ExcludePunctuation: jsii.Bool(true),
		},
		RemovalPolicy: removalPolicy(stage),
	})
	suppressNag(key, "AwsSolutions-SMG4", "Every token's webhook signing secret is derived from this key and handed to its "+
		"integrator once; rotating the key would silently invalidate every secret integrators hold, so it is not rotated "+
		"automatically (infra/README.md). Only the manage and webhooks functions may read it")
	return Secrets{resources.WebhookMasterKey.ID: key}
}
