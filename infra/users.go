package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscognito"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// Users is the Cognito user pool marketers and business admins sign in to
// (PRODUCT.md §8), with its groups and the app client tl and the console use.
type Users struct {
	Pool   awscognito.UserPool
	Client awscognito.UserPoolClient
}

// NewUsers creates the user pool: users are created by ops only (no self
// sign-up), sign in with their email and a strong password, may add TOTP
// MFA, and recover their account by email. prod keeps the pool (and its
// users) when the stack is deleted.
func NewUsers(scope constructs.Construct, stage string) *Users {
	pool := awscognito.NewUserPool(scope, jsii.String("UserPool"), &awscognito.UserPoolProps{
		UserPoolName:      jsii.String(resources.UserPoolName(stage)),
		SelfSignUpEnabled: jsii.Bool(false),
		SignInAliases:     &awscognito.SignInAliases{Email: jsii.Bool(true)},
		AutoVerify:        &awscognito.AutoVerifiedAttrs{Email: jsii.Bool(true)},
		StandardAttributes: &awscognito.StandardAttributes{
			Email: &awscognito.StandardAttribute{Required: jsii.Bool(true), Mutable: jsii.Bool(true)},
		},
		PasswordPolicy: &awscognito.PasswordPolicy{
			MinLength:            jsii.Number(resources.PasswordMinLength),
			RequireLowercase:     jsii.Bool(true),
			RequireUppercase:     jsii.Bool(true),
			RequireDigits:        jsii.Bool(true),
			RequireSymbols:       jsii.Bool(true),
			TempPasswordValidity: awscdk.Duration_Days(jsii.Number(3)),
		},
		Mfa:                awscognito.Mfa_OPTIONAL,
		MfaSecondFactor:    &awscognito.MfaSecondFactor{Otp: jsii.Bool(true), Sms: jsii.Bool(false)},
		AccountRecovery:    awscognito.AccountRecovery_EMAIL_ONLY,
		DeletionProtection: jsii.Bool(retainsData(stage)),
		RemovalPolicy:      removalPolicy(stage),
	})
	for _, g := range resources.Groups {
		awscognito.NewCfnUserPoolGroup(scope, jsii.String(constructID("UserPoolGroup", g)), &awscognito.CfnUserPoolGroupProps{
			UserPoolId:  pool.UserPoolId(),
			GroupName:   jsii.String(g),
			Description: jsii.String(map[string]string{resources.GroupMarketers: "Marketers: journeys' API tokens and target lists", resources.GroupAdmins: "Business admins: all marketers may do, and target loader records"}[g]),
		})
	}
	client := pool.AddClient(jsii.String("ConsoleClient"), &awscognito.UserPoolClientOptions{
		UserPoolClientName: jsii.String(resources.UserPoolClientName(stage)),
		// A public client (tl, the browser console): no secret.
		GenerateSecret: jsii.Bool(false),
		// Password and SRP sign-in; refresh tokens are always allowed.
		AuthFlows:                  &awscognito.AuthFlow{UserPassword: jsii.Bool(true), UserSrp: jsii.Bool(true)},
		DisableOAuth:               jsii.Bool(true),
		ReadAttributes:             awscognito.NewClientAttributes().WithStandardAttributes(&awscognito.StandardAttributesMask{Email: jsii.Bool(true), EmailVerified: jsii.Bool(true)}),
		WriteAttributes:            awscognito.NewClientAttributes(),
		IdTokenValidity:            seconds(resources.IDTokenValidity),
		AccessTokenValidity:        seconds(resources.IDTokenValidity),
		RefreshTokenValidity:       seconds(resources.RefreshTokenValidity),
		PreventUserExistenceErrors: jsii.Bool(true),
		EnableTokenRevocation:      jsii.Bool(true),
	})
	suppressNag(pool, "AwsSolutions-COG2", "TOTP MFA is optional per user: users are created by ops only (no self sign-up) "+
		"with 12+ character passwords of all classes, and tl and the console must work for users without an authenticator app; "+
		"set Mfa_REQUIRED where the organisation's policy asks for it")
	suppressNag(pool, "AwsSolutions-COG8", "The Plus feature plan (threat protection, compromised-credential checks) is billed per "+
		"active user; this pool has a handful of ops-created marketers and admins and no public sign-up. "+
		"Set FeaturePlan PLUS where the organisation's policy asks for it")
	return &Users{Pool: pool, Client: client}
}
