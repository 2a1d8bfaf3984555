// Package workload is the traffic the tests, the benchmarks and the load
// harness send: CRM accounts, request bodies and the API Gateway events that
// carry them, built in one place so that every measurement uses the same shape.
package workload

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
)

// Host is the API host the events name.
const Host = "api.example.test"

// Accounts is n active CRM accounts with Vault-sized ids (V4T000000000000,
// ...), one email each (hcp000000@clinic.example.com, ...) and names.
func Accounts(n int) []domain.Account {
	out := make([]domain.Account, n)
	for i := range out {
		out[i] = domain.Account{
			ID:        fmt.Sprintf("V4T%012d", i),
			Emails:    []string{fmt.Sprintf("hcp%06d@clinic.example.com", i)},
			FirstName: "Alex",
			LastName:  fmt.Sprintf("Doctor%06d", i),
			Status:    domain.AccountActive,
		}
	}
	return out
}

// ShortAccounts is n active accounts with short ids (A000, A001, ...) and
// emails (a000@example.com, ...), for tests whose hand-written bodies name them.
func ShortAccounts(n int) []domain.Account {
	out := make([]domain.Account, n)
	for i := range out {
		out[i] = domain.Account{ID: fmt.Sprintf("A%03d", i), Emails: []string{fmt.Sprintf("a%03d@example.com", i)}, Status: domain.AccountActive}
	}
	return out
}

// Targets is n targets naming accounts[from], accounts[from+1], ... (cycling):
// the target of an even position names the account id, an odd one only the
// account's first email with its first letter upper-cased, to exercise
// normalising. Each has a distinct source_system_id and the account's names.
func Targets(accounts []domain.Account, from, n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		pos := from + i
		a := accounts[pos%len(accounts)]
		t := map[string]any{"source_system_id": fmt.Sprintf("cdp-%07d", pos)}
		if a.FirstName != "" {
			t["first_name"] = a.FirstName
		}
		if a.LastName != "" {
			t["last_name"] = a.LastName
		}
		if pos%2 == 0 || len(a.Emails) == 0 {
			t["account_id"] = a.ID
		} else {
			e := a.Emails[0]
			t["email"] = strings.ToUpper(e[:1]) + e[1:]
		}
		out[i] = t
	}
	return out
}

// Body is Targets as a JSON request body.
func Body(accounts []domain.Account, from, n int) []byte {
	return JSON(Targets(accounts, from, n))
}

// JSON marshals v, which must be marshallable (maps and slices of plain values).
func JSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("workload: %v", err))
	}
	return b
}

// APIRequest is the event API Gateway hands the ingest function for a call
// to resource (e.g. ingest.RouteTargets) with params filled in, stage v1, at
// https://api.example.test; token "" sends no Authorization header.
func APIRequest(method, resource string, params map[string]string, token, body string) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	headers := map[string]string{"Content-Type": "application/json", "Host": Host, "X-Forwarded-Proto": "https"}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	return events.APIGatewayProxyRequest{
		Resource:       resource,
		Path:           path,
		HTTPMethod:     method,
		Headers:        headers,
		PathParameters: params,
		Body:           body,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "v1", Path: "/v1" + path, DomainName: Host},
	}
}

// PostTargets is the event of POST /journeys/{journey_id}/targets with body.
func PostTargets(journeyID, token string, body []byte) events.APIGatewayProxyRequest {
	return APIRequest(http.MethodPost, "/journeys/{journey_id}/targets", map[string]string{"journey_id": journeyID}, token, string(body))
}

// Marketer is the signed-in marketer the management events name.
const Marketer = "marketer@example.com"

// Claims are the claims API Gateway's Cognito authorizer hands a function
// for a verified ID token of email in groups: every value a string, the
// groups joined with commas.
func Claims(email string, groups ...string) map[string]any {
	c := map[string]any{"token_use": "id", "email": email, "email_verified": "true", "sub": "sub-" + email}
	if len(groups) > 0 {
		c["cognito:groups"] = strings.Join(groups, ",")
	}
	return c
}

// ManageRequest is the event API Gateway hands the manage function for a
// call to resource (e.g. manage.RouteTokens) with params filled in, by the
// caller claims names (nil: no authorizer ran).
func ManageRequest(method, resource string, params map[string]string, claims map[string]any, body string) events.APIGatewayProxyRequest {
	req := APIRequest(method, resource, params, "", body)
	if claims != nil {
		req.RequestContext.Authorizer = map[string]any{"claims": claims}
	}
	return req
}

// CreateToken is the event of a marketer's POST /manage/journeys/{journey_id}/tokens.
func CreateToken(journeyID, expires string) events.APIGatewayProxyRequest {
	return ManageRequest(http.MethodPost, "/manage/journeys/{journey_id}/tokens", map[string]string{"journey_id": journeyID},
		Claims(Marketer, "marketers"), string(JSON(map[string]string{"expires": expires})))
}
