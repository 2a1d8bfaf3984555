package apicheck_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/apicheck"
)

func TestDocumentIsValidOpenAPI31(t *testing.T) {
	// GIVEN the embedded document WHEN kin-openapi loads and validates it
	doc, err := apicheck.Document()
	if err != nil {
		t.Fatal(err)
	}
	// THEN it is OpenAPI 3.1 with the request.completed webhook
	if !doc.IsOpenAPI31OrLater() || doc.Webhooks["request.completed"] == nil {
		t.Errorf("openapi %s, webhooks %v", doc.OpenAPI, doc.Webhooks)
	}
}

func TestCheckerReportsWhatDoesNotConform(t *testing.T) {
	c := apicheck.Collecting()
	req := events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/console/config.json", Path: "/console/config.json"}
	// GIVEN a response without X-Request-Id, one with a body missing required fields
	c.Observe(req, events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{}`})
	c.Observe(req, events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": "r"}, Body: `{"region":"eu-west-1"}`})
	// AND a 404 of an unknown route that is not a problem document
	c.Observe(events.APIGatewayProxyRequest{HTTPMethod: "GET", Resource: "/{proxy+}", Path: "/nope"}, events.APIGatewayProxyResponse{StatusCode: 404, Headers: map[string]string{"Content-Type": "text/plain", "X-Request-Id": "r"}})
	// AND an undocumented status
	c.Observe(req, events.APIGatewayProxyResponse{StatusCode: 418, Headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": "r"}, Body: `{}`})
	// AND a conforming one
	c.Observe(req, events.APIGatewayProxyResponse{StatusCode: 200, Headers: map[string]string{"Content-Type": "application/json", "X-Request-Id": "r"},
		Body: `{"region":"eu-west-1","user_pool_id":"p","client_id":"c","cognito_endpoint":"https://cognito-idp.eu-west-1.amazonaws.com"}`})
	// THEN all but the last are reported
	f := strings.Join(c.Failures(), "\n")
	for _, want := range []string{`"X-Request-Id" missing`, "user_pool_id", "418", "text/plain"} {
		if !strings.Contains(f, want) {
			t.Errorf("failures do not mention %q:\n%s", want, f)
		}
	}
	if n := len(c.Failures()); n != 4 {
		t.Errorf("%d failures, want 4:\n%s", n, f)
	}
}

func TestDocumentCoversEveryRoute(t *testing.T) {
	doc, err := apicheck.Document()
	if err != nil {
		t.Fatal(err)
	}
	// GIVEN every route the API serves (resources.Routes)
	documented := map[string]bool{}
	for _, rt := range resources.Routes {
		// THEN the document has its operation, secured as the route is
		item := doc.Paths.Find(rt.Path)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("%s %s is not in the document", rt.Method, rt.Path)
			continue
		}
		op := item.GetOperation(rt.Method)
		documented[rt.Method+" "+rt.Path] = true
		signedIn := op.Security != nil && len(*op.Security) == 1 && (*op.Security)[0]["cognito"] != nil
		if signedIn != rt.SignedIn {
			t.Errorf("%s %s: document says signed in %v, the route %v", rt.Method, rt.Path, signedIn, rt.SignedIn)
		}
		// AND every response of it carries X-Request-Id
		for status, r := range op.Responses.Map() {
			if h := r.Value.Headers["X-Request-Id"]; h == nil || !h.Value.Required {
				t.Errorf("%s %s %s: no required X-Request-Id header", rt.Method, rt.Path, status)
			}
		}
	}
	// AND the document has no operation the API does not serve
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !documented[method+" "+path] {
				t.Errorf("%s %s is documented but not served", method, path)
			}
		}
	}
}
