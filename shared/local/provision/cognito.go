package provision

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/targetloader/targetloader/shared/resources"
)

// UserPool is a stage's Cognito user pool and its app client, and where
// clients find them.
type UserPool struct {
	ID       string
	ClientID string
	Region   string
	// Endpoint is the Cognito endpoint the pool lives at.
	Endpoint string
}

// Issuer is the iss claim of the pool's tokens (Cognito's, which moto copies).
func (p UserPool) Issuer() string {
	return "https://cognito-idp." + p.Region + ".amazonaws.com/" + p.ID
}

// JWKSURL is where the pool's signing keys are published at its endpoint.
func (p UserPool) JWKSURL() string {
	return strings.TrimRight(p.Endpoint, "/") + "/" + p.ID + "/.well-known/jwks.json"
}

// Env is the management function's environment for the pool.
func (p UserPool) Env() map[string]string {
	return map[string]string{
		resources.EnvUserPoolID:       p.ID,
		resources.EnvUserPoolClientID: p.ClientID,
		resources.EnvCognitoEndpoint:  p.Endpoint,
	}
}

// User is a user to create in a pool.
type User struct {
	Email    string
	Password string
	Groups   []string
}

// EnsureUserPool finds the stage's user pool and app client by name, or
// creates them as the CDK stack does (email as the user name, no self
// sign-up, a strong password policy; a public client that signs in with a
// password, SRP or a refresh token), and the groups. It reuses what exists,
// so it can run on every start against an endpoint that keeps running.
func EnsureUserPool(ctx context.Context, c *cip.Client, endpoint, stage string) (UserPool, error) {
	p := UserPool{Region: c.Options().Region, Endpoint: endpoint}
	var err error
	if p.ID, err = findPool(ctx, c, resources.UserPoolName(stage)); err != nil {
		return p, fmt.Errorf("list user pools: %w", err)
	}
	if p.ID == "" {
		out, err := c.CreateUserPool(ctx, &cip.CreateUserPoolInput{
			PoolName:               aws.String(resources.UserPoolName(stage)),
			UsernameAttributes:     []ciptypes.UsernameAttributeType{ciptypes.UsernameAttributeTypeEmail},
			AutoVerifiedAttributes: []ciptypes.VerifiedAttributeType{ciptypes.VerifiedAttributeTypeEmail},
			AdminCreateUserConfig:  &ciptypes.AdminCreateUserConfigType{AllowAdminCreateUserOnly: true},
			Policies: &ciptypes.UserPoolPolicyType{PasswordPolicy: &ciptypes.PasswordPolicyType{
				MinimumLength: aws.Int32(resources.PasswordMinLength), RequireLowercase: true, RequireUppercase: true,
				RequireNumbers: true, RequireSymbols: true, TemporaryPasswordValidityDays: 3,
			}},
		})
		if err != nil {
			return p, fmt.Errorf("create user pool: %w", err)
		}
		p.ID = aws.ToString(out.UserPool.Id)
	}
	if p.ClientID, err = findClient(ctx, c, p.ID, resources.UserPoolClientName(stage)); err != nil {
		return p, fmt.Errorf("list user pool clients: %w", err)
	}
	if p.ClientID == "" {
		out, err := c.CreateUserPoolClient(ctx, &cip.CreateUserPoolClientInput{
			UserPoolId:     aws.String(p.ID),
			ClientName:     aws.String(resources.UserPoolClientName(stage)),
			GenerateSecret: false,
			ExplicitAuthFlows: []ciptypes.ExplicitAuthFlowsType{
				ciptypes.ExplicitAuthFlowsTypeAllowUserPasswordAuth, ciptypes.ExplicitAuthFlowsTypeAllowUserSrpAuth, ciptypes.ExplicitAuthFlowsTypeAllowRefreshTokenAuth,
			},
			ReadAttributes:             []string{"email", "email_verified"},
			IdTokenValidity:            aws.Int32(int32(resources.IDTokenValidity.Minutes())),
			AccessTokenValidity:        aws.Int32(int32(resources.IDTokenValidity.Minutes())),
			RefreshTokenValidity:       int32(resources.RefreshTokenValidity.Minutes()),
			TokenValidityUnits:         &ciptypes.TokenValidityUnitsType{IdToken: ciptypes.TimeUnitsTypeMinutes, AccessToken: ciptypes.TimeUnitsTypeMinutes, RefreshToken: ciptypes.TimeUnitsTypeMinutes},
			PreventUserExistenceErrors: ciptypes.PreventUserExistenceErrorTypesEnabled,
		})
		if err != nil {
			return p, fmt.Errorf("create user pool client: %w", err)
		}
		p.ClientID = aws.ToString(out.UserPoolClient.ClientId)
	}
	for _, g := range resources.Groups {
		_, err := c.CreateGroup(ctx, &cip.CreateGroupInput{UserPoolId: aws.String(p.ID), GroupName: aws.String(g)})
		var exists *ciptypes.GroupExistsException
		if err != nil && !errors.As(err, &exists) {
			return p, fmt.Errorf("create group %s: %w", g, err)
		}
	}
	return p, nil
}

// EnsureUser creates u in the pool (email verified, no invitation sent) unless
// it exists, sets its password as permanent, and adds it to its groups, as
// infra/README.md tells ops to do with the AWS CLI.
func EnsureUser(ctx context.Context, c *cip.Client, poolID string, u User) error {
	_, err := c.AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(poolID),
		Username:   aws.String(u.Email),
		UserAttributes: []ciptypes.AttributeType{
			{Name: aws.String("email"), Value: aws.String(u.Email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
		MessageAction: ciptypes.MessageActionTypeSuppress,
	})
	var exists *ciptypes.UsernameExistsException
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("create user %s: %w", u.Email, err)
	}
	if _, err := c.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(poolID), Username: aws.String(u.Email), Password: aws.String(u.Password), Permanent: true,
	}); err != nil {
		return fmt.Errorf("set the password of %s: %w", u.Email, err)
	}
	for _, g := range u.Groups {
		if _, err := c.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(poolID), Username: aws.String(u.Email), GroupName: aws.String(g),
		}); err != nil {
			return fmt.Errorf("add %s to %s: %w", u.Email, g, err)
		}
	}
	return nil
}

func findPool(ctx context.Context, c *cip.Client, name string) (string, error) {
	for p := cip.NewListUserPoolsPaginator(c, &cip.ListUserPoolsInput{MaxResults: aws.Int32(60)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, up := range page.UserPools {
			if aws.ToString(up.Name) == name {
				return aws.ToString(up.Id), nil
			}
		}
	}
	return "", nil
}

func findClient(ctx context.Context, c *cip.Client, poolID, name string) (string, error) {
	for p := cip.NewListUserPoolClientsPaginator(c, &cip.ListUserPoolClientsInput{UserPoolId: aws.String(poolID), MaxResults: aws.Int32(60)}); p.HasMorePages(); {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, cl := range page.UserPoolClients {
			if aws.ToString(cl.ClientName) == name {
				return aws.ToString(cl.ClientId), nil
			}
		}
	}
	return "", nil
}
