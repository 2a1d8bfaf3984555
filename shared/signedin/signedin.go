// Package signedin is the caller of the management API, as API Gateway's
// Cognito authorizer verified it, and the answers to a caller who is not
// signed in or not in the group a route needs (PRODUCT.md §8). The
// functions behind the management API, manage and upload, share it.
package signedin

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
)

// Identity is the signed-in caller, as API Gateway's Cognito authorizer
// verified it: the ID token's email and groups.
type Identity struct {
	Email  string
	Groups []string
}

// In tells whether the caller belongs to group.
func (id Identity) In(group string) bool {
	for _, g := range id.Groups {
		if g == group {
			return true
		}
	}
	return false
}

// FromRequest reads the caller from the claims API Gateway's Cognito
// authorizer put in the request context after validating the ID token
// (signature, issuer, expiry). A handler trusts nothing else: no header,
// no body. ok is false when there are no claims (a route without the
// authorizer), the token is not an ID token, or its email is not verified.
//
// The authorizer hands every claim over as a string: "true" for a boolean,
// and a list such as cognito:groups joined with commas ("admins,marketers").
func FromRequest(req events.APIGatewayProxyRequest) (Identity, bool) {
	claims, _ := req.RequestContext.Authorizer["claims"].(map[string]any)
	claim := func(name string) string {
		s, _ := claims[name].(string)
		return strings.TrimSpace(s)
	}
	email := claim("email")
	if claims == nil || claim("token_use") != "id" || email == "" || claim("email_verified") != "true" {
		return Identity{}, false
	}
	id := Identity{Email: email}
	id.Groups = append(id.Groups, strings.FieldsFunc(strings.Trim(claim("cognito:groups"), "[]"), func(r rune) bool { return r == ',' || r == ' ' })...)
	return id, true
}

// May tells whether id may call a route that needs group: admins may do
// everything marketers may.
func (id Identity) May(group string) bool {
	return id.In(group) || id.In(resources.GroupAdmins)
}

// SignInRequired is the problem of a request without a valid Cognito ID
// token. API Gateway answers it (a gateway response of the stack) when its
// authorizer refuses the token, and the local stack's emulation does too.
func SignInRequired() problem.Details {
	return problem.New(http.StatusUnauthorized, "sign-in-required", "Sign in and send your Cognito ID token as 'Authorization: Bearer <token>'.")
}

// WWWAuthenticate is the challenge of every 401 of the management API.
const WWWAuthenticate = `Bearer realm="target-loader"`

// Unauthorized is the 401 response: SignInRequired with the challenge.
func Unauthorized() events.APIGatewayProxyResponse {
	return SignInRequired().Response(map[string]string{"WWW-Authenticate": WWWAuthenticate})
}

// Forbidden is the 403 response to a caller not in group.
func Forbidden(group string) events.APIGatewayProxyResponse {
	return problem.New(http.StatusForbidden, "forbidden", fmt.Sprintf("Only members of the %s group may do this.", group)).Response(nil)
}
