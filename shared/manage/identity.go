package manage

import (
	"strings"

	"github.com/aws/aws-lambda-go/events"
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

// identityOf reads the caller from the claims API Gateway's Cognito
// authorizer put in the request context after validating the ID token
// (signature, issuer, expiry). The handler trusts nothing else: no header,
// no body. ok is false when there are no claims (a route without the
// authorizer), the token is not an ID token, or its email is not verified.
//
// The authorizer hands every claim over as a string: "true" for a boolean,
// and a list such as cognito:groups joined with commas ("admins,marketers").
func identityOf(req events.APIGatewayProxyRequest) (Identity, bool) {
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

// may tells whether id may call a route that needs group: admins may do
// everything marketers may.
func (id Identity) may(group string) bool {
	return id.In(group) || id.In(resources.GroupAdmins)
}
