package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"

	"github.com/targetloader/targetloader/shared/resources"
)

// methodSettings returns the API stage's method settings by "METHOD /path"
// ("* /*" for the stage default), with API Gateway's ~1 escapes undone.
func (r *synthResult) methodSettings(t *testing.T) map[string]map[string]any {
	t.Helper()
	stages := r.resources("AWS::ApiGateway::Stage")
	if len(stages) != 1 {
		t.Fatalf("want 1 API stage, got %d", len(stages))
	}
	out := map[string]map[string]any{}
	for _, st := range stages {
		for _, ms := range asList(props(st)["MethodSettings"]) {
			m := ms.(map[string]any)
			out[fmt.Sprintf("%s %s", m["HttpMethod"], unescapePath(m["ResourcePath"].(string)))] = m
		}
	}
	return out
}

// unescapePath turns a method setting's "/~1journeys~1{journey_id}" into
// "/journeys/{journey_id}" ("/*", every resource, stays).
func unescapePath(p string) string {
	if p == "/*" {
		return p
	}
	return strings.ReplaceAll(strings.TrimPrefix(p, "/"), "~1", "/")
}

func TestEveryMethodHasItsThrottleAndLogsErrors(t *testing.T) {
	// GIVEN the dev stack with the default throttles
	r := synth(t, "dev")
	// WHEN reading its stage's method settings
	got := map[string]string{}
	for route, m := range r.methodSettings(t) {
		got[route] = fmt.Sprintf("%v/%v", m["ThrottlingRateLimit"], m["ThrottlingBurstLimit"])
		// THEN every entry logs errors, never bodies, and has metrics
		if m["LoggingLevel"] != "ERROR" || m["DataTraceEnabled"] != false || m["MetricsEnabled"] != true {
			t.Errorf("%s: logging %v, data trace %v, metrics %v", route, m["LoggingLevel"], m["DataTraceEnabled"], m["MetricsEnabled"])
		}
	}
	// AND the stage's default applies to every method without its own; submissions,
	// management routes and the open console configuration have lower limits
	want := map[string]string{"* /*": "100/200"}
	for _, r := range resources.Routes {
		switch {
		case r.Method == "POST" && r.Function == resources.IngestFunction.Name:
			want[RouteKey(r)] = "50/100"
		case r.SignedIn:
			want[RouteKey(r)] = "20/40"
		case r.Function == resources.ManageFunction.Name && r.Path == "/console/{proxy+}":
			want[RouteKey(r)] = "40/80" // the console's assets: some 15 per page load
		case r.Function == resources.ManageFunction.Name:
			want[RouteKey(r)] = "10/20"
		}
	}
	if want[postTargets] == "" || len(want) < 4 {
		t.Fatalf("routes changed: %v", want)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("throttles\n  %v\nwant\n  %v", got, want)
	}
	// AND admins' uploads have the management routes' throttle: 20 parts of
	// 500 rows a second, far above what tl (4 at once) or the console send
	if up := got["POST /manage/journeys/{journey_id}/loader-records"]; up != "20/40" {
		t.Errorf("the upload's throttle is %q, want 20/40", up)
	}
}

const (
	postTargets = "POST /journeys/{journey_id}/targets"
	getRequest  = "GET /journeys/{journey_id}/requests/{request_uuid}"
)

func TestMethodThrottlesCanBeChanged(t *testing.T) {
	// GIVEN a stack whose POST route gets another throttle
	r := synthWith(t, "post-throttle", TargetLoaderStackProps{Stage: "dev", MethodThrottles: map[string]Throttle{
		postTargets: {Rate: 5, Burst: 10}, getRequest: {Rate: 30, Burst: 60},
	}})
	// WHEN reading its method settings
	ms := r.methodSettings(t)
	// THEN those routes have them and the others keep their defaults
	if p := ms[postTargets]; p["ThrottlingRateLimit"] != 5.0 || p["ThrottlingBurstLimit"] != 10.0 {
		t.Errorf("POST throttle %v/%v", p["ThrottlingRateLimit"], p["ThrottlingBurstLimit"])
	}
	if p := ms[getRequest]; p["ThrottlingRateLimit"] != 30.0 || p["ThrottlingBurstLimit"] != 60.0 {
		t.Errorf("GET throttle %v/%v", p["ThrottlingRateLimit"], p["ThrottlingBurstLimit"])
	}
	if p := ms["GET /manage/journeys"]; p["ThrottlingRateLimit"] != 20.0 {
		t.Errorf("manage throttle %v", p["ThrottlingRateLimit"])
	}
}

func TestThrottleOfAnUnknownRouteFailsSynthesis(t *testing.T) {
	// GIVEN a throttle for a route the API does not have (a typo)
	p := TargetLoaderStackProps{Stage: "dev", MethodThrottles: map[string]Throttle{"POST /journeys/{journeyId}/targets": {Rate: 5, Burst: 10}}}
	// WHEN synthesizing
	msg := ""
	func() {
		defer func() { msg = fmt.Sprint(recover()) }()
		if _, err := synthesize(p); err != nil {
			t.Fatal(err)
		}
	}()
	// THEN synthesis fails naming the route
	if !strings.Contains(msg, `method throttle "POST /journeys/{journeyId}/targets" names no method`) {
		t.Errorf("synthesis did not fail on the unknown route: %s", msg)
	}
}

func TestIngestHasReservedConcurrency(t *testing.T) {
	for _, tc := range []struct {
		name     string
		reserved int
		want     any
	}{
		{"default", 0, 50.0},
		{"set", 80, 80.0},
		{"unreserved", Unreserved, nil},
	} {
		// GIVEN a stack with that IngestReservedConcurrency
		r := synth(t, "dev")
		if tc.reserved != 0 {
			r = synthWith(t, "reserved-"+tc.name, TargetLoaderStackProps{Stage: "dev", IngestReservedConcurrency: tc.reserved})
		}
		// WHEN reading the functions' reserved concurrency
		fns := r.functionsByName(t, "dev")
		// THEN ingest has it, and no other function reserves any
		for _, def := range resources.Functions {
			got := fns[def.Name]["ReservedConcurrentExecutions"]
			want := tc.want
			if def.Name != resources.IngestFunction.Name {
				want = nil
			}
			if got != want {
				t.Errorf("%s: %s reserves %v, want %v", tc.name, def.Name, got, want)
			}
		}
	}
}

// webACL returns the stack's one web ACL's properties, or nil.
func (r *synthResult) webACL(t *testing.T) map[string]any {
	t.Helper()
	acls := r.resources("AWS::WAFv2::WebACL")
	if len(acls) > 1 {
		t.Fatalf("%d web ACLs", len(acls))
	}
	for _, a := range acls {
		return props(a)
	}
	return nil
}

func TestWAFIsOnInProdAndOffInDevByDefault(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *synthResult
		want bool
	}{
		{"prod", synth(t, "prod"), true},
		{"dev", synth(t, "dev"), false},
		{"prod, waf=false", variants(t)["imported-key"], false},
		{"dev, waf=true", variants(t)["all-on"], true},
	} {
		// GIVEN a stack WHEN looking for its web ACL and association
		acl := tc.r.webACL(t)
		assocs := tc.r.resources("AWS::WAFv2::WebACLAssociation")
		// THEN there is one, associated with the API stage, exactly when WAF is on
		if (acl != nil) != tc.want || len(assocs) != map[bool]int{true: 1, false: 0}[tc.want] {
			t.Errorf("%s: web ACL %v, %d associations, want WAF %v", tc.name, acl != nil, len(assocs), tc.want)
			continue
		}
		for _, a := range assocs {
			p := props(a)
			if ga, _ := p["WebACLArn"].(map[string]any)["Fn::GetAtt"].([]any); len(ga) != 2 || ga[1] != "Arn" {
				t.Errorf("%s: association's WebACLArn %v", tc.name, p["WebACLArn"])
			}
			if arn := fmt.Sprint(p["ResourceArn"]); !strings.Contains(arn, "/restapis/") || !strings.Contains(arn, "/stages/") {
				t.Errorf("%s: association's ResourceArn %s is not the API stage", tc.name, arn)
			}
		}
	}
}

func TestWebACLRules(t *testing.T) {
	// GIVEN the prod stack
	r := synth(t, "prod")
	acl := r.webACL(t)
	if acl == nil {
		t.Fatal("no web ACL")
	}
	// WHEN reading its rules
	// THEN it is regional, allows by default, and has the rules in this order
	if acl["Scope"] != "REGIONAL" || fmt.Sprint(acl["DefaultAction"]) != "map[Allow:map[]]" {
		t.Errorf("scope %v, default action %v", acl["Scope"], acl["DefaultAction"])
	}
	rules := map[string]map[string]any{}
	for i, rule := range asList(acl["Rules"]) {
		rm := rule.(map[string]any)
		rules[rm["Name"].(string)] = rm
		if rm["Priority"] != float64(i) || i >= len(WAFRuleNames) || rm["Name"] != WAFRuleNames[i] {
			t.Errorf("rule %d: %v priority %v, want %v", i, rm["Name"], rm["Priority"], WAFRuleNames)
		}
	}
	if len(rules) != len(WAFRuleNames) {
		t.Fatalf("rules %v, want %v", keysOf(rules), WAFRuleNames)
	}
	// AND one IP may send 6000 requests per 5 minutes, then gets 429 with Retry-After
	rate := rules["RateLimitPerIP"]
	matches := func(what string, got any, want map[string]any) {
		t.Helper()
		res := assertions.Match_ObjectLike(&want).Test(got)
		if *res.FailCount() > 0 {
			t.Errorf("%s: %s", what, *res.RenderMismatch())
		}
	}
	matches("rate rule", rate, map[string]any{
		"Statement": map[string]any{"RateBasedStatement": map[string]any{"Limit": 6000, "EvaluationWindowSec": 300, "AggregateKeyType": "IP"}},
		"Action": map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{
			"ResponseCode": 429, "CustomResponseBodyKey": "TooManyRequests",
			"ResponseHeaders": []any{map[string]any{"Name": "Retry-After", "Value": "60"}},
		}}},
	})
	// AND a Content-Length of 1,100,000 bytes or more gets 413
	matches("size rule", rules["ContentLengthLimit"], map[string]any{
		"Statement": map[string]any{"RegexMatchStatement": map[string]any{
			"RegexString":  contentLengthTooLarge,
			"FieldToMatch": map[string]any{"SingleHeader": map[string]any{"Name": "content-length"}},
		}},
		"Action": map[string]any{"Block": map[string]any{"CustomResponse": map[string]any{"ResponseCode": 413, "CustomResponseBodyKey": "ContentTooLarge"}}},
	})
	// AND the AWS managed groups block with their own rules' actions
	for _, name := range managedRuleGroups {
		matches(name, rules[name], map[string]any{
			"Statement":      map[string]any{"ManagedRuleGroupStatement": map[string]any{"VendorName": "AWS", "Name": name}},
			"OverrideAction": map[string]any{"None": map[string]any{}},
		})
	}
	// AND the response bodies are problem documents
	bodies := acl["CustomResponseBodies"].(map[string]any)
	for key, status := range map[string]int{"TooManyRequests": 429, "ContentTooLarge": 413} {
		b := bodies[key].(map[string]any)
		if b["ContentType"] != "APPLICATION_JSON" || !strings.Contains(b["Content"].(string), fmt.Sprintf(`"status":%d`, status)) {
			t.Errorf("body %s: %v", key, b)
		}
	}
}

func TestContentLengthRuleMatchesFromTheLimitOn(t *testing.T) {
	// GIVEN the size rule's pattern (RE2 reads this syntax as WAF does)
	re := regexp.MustCompile(contentLengthTooLarge)
	// WHEN / THEN it matches Content-Length values from MaxContentLength on, and none below
	for v, want := range map[string]bool{
		"0": false, "2": false, "8192": false, "1048576": false, "1048577": false, "1099999": false,
		"1100000": true, "1100001": true, "1999999": true, "2000000": true, "6291456": true, "9999999": true,
		"10485760": true, "123456789012": true, "0001100000": true, "00001099999": false, " 1200000 ": true,
		"abc": false, "": false, "-1100000": false, "1100000x": false,
	} {
		if got := re.MatchString(v); got != want {
			t.Errorf("Content-Length %q: match %v, want %v", v, got, want)
		}
	}
	if MaxContentLength <= 1<<20 {
		t.Errorf("MaxContentLength %d is not above the product's 1 MiB", MaxContentLength)
	}
}

func TestGatewayRefusalsAreProblems(t *testing.T) {
	// GIVEN the dev stack (no WAF: API Gateway's own refusals still apply)
	r := synth(t, "dev")
	// WHEN reading its gateway responses
	got := map[string]map[string]any{}
	for _, res := range r.resources("AWS::ApiGateway::GatewayResponse") {
		p := props(res)
		got[p["ResponseType"].(string)] = p
	}
	// THEN throttling, invocation failures, oversized bodies and WAF blocks answer problem+json
	for _, want := range GatewayProblems {
		p, ok := got[want.Type]
		if !ok {
			t.Errorf("no gateway response %s", want.Type)
			continue
		}
		headers, _ := p["ResponseParameters"].(map[string]any)
		if p["StatusCode"] != fmt.Sprint(want.Problem.Status) || headers["gatewayresponse.header.Content-Type"] != "'application/problem+json'" {
			t.Errorf("%s: status %v, headers %v", want.Type, p["StatusCode"], headers)
		}
		// AND those a caller should retry say when
		if ra := headers["gatewayresponse.header.Retry-After"]; (want.RetryAfter != "") != (ra != nil) {
			t.Errorf("%s: Retry-After %v", want.Type, ra)
		}
		body := fmt.Sprint(p["ResponseTemplates"].(map[string]any)["application/json"])
		if !strings.Contains(body, fmt.Sprintf(`"status":%d`, want.Problem.Status)) || !strings.Contains(body, `"type":"`+want.Problem.Type+`"`) {
			t.Errorf("%s: body %s", want.Type, body)
		}
	}
	// AND Lambda throttling (INTEGRATION_FAILURE) is a 503 the caller may retry, never a bare 500
	if p := got["INTEGRATION_FAILURE"]; p == nil || p["StatusCode"] != "503" {
		t.Errorf("integration failure: %v", p)
	}
}
