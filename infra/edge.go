package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsapigateway"
	"github.com/aws/aws-cdk-go/awscdk/v2/awswafv2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
)

// EdgeProps configure NewEdge.
type EdgeProps struct {
	Stage string
	API   *API
	// WAF turns on the web ACL of the API stage.
	WAF bool
	// WAFRateLimit is how many requests one IP address may send in
	// WAFRateWindowSeconds before the web ACL answers 429.
	WAFRateLimit int
}

// WAFRateWindowSeconds is the window of the per-IP rate rule.
const WAFRateWindowSeconds = 300

// MaxContentLength: the web ACL refuses bodies from this size on, a margin
// above the product's 1 MiB limit (1,048,576 bytes), which the ingest
// function enforces exactly (413 problem) for everything smaller.
const MaxContentLength = 1_100_000

// contentLengthTooLarge matches a Content-Length header of MaxContentLength
// (1,100,000) or more: 1,100,000-1,999,999, 2,000,000-9,999,999, or 8+ digits.
// WAF compares header sizes in bytes of text, not numbers, so the number is
// compared as text.
const contentLengthTooLarge = `^ *0*(1[1-9][0-9]{5}|[2-9][0-9]{6}|[1-9][0-9]{7,}) *$`

// The AWS managed rule groups of the web ACL, and why only these:
//   - AWSManagedRulesAmazonIpReputationList: addresses Amazon threat
//     intelligence saw in attacks and bot networks; no legitimate
//     integration calls from them.
//   - AWSManagedRulesKnownBadInputsRuleSet: exploit probes (Log4j/JNDI,
//     Java deserialization, localhost Host headers, exploitable paths) that
//     no valid request contains.
//
// Not used: AWSManagedRulesCommonRuleSet (its SizeRestrictions_BODY blocks
// bodies over 8 KB, i.e. most valid requests; its XSS/LFI body rules judge
// free-text names the product accepts and validates itself);
// AWSManagedRulesAnonymousIpList (it blocks hosting providers, where the
// integrating CDPs and form backends run); AWSManagedRulesSQLiRuleSet (no
// SQL anywhere behind the API).
var managedRuleGroups = []string{"AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesKnownBadInputsRuleSet"}

// NewEdge protects the API at its edge: problem+json answers for the
// refusals API Gateway makes itself, and, when props.WAF, a web ACL on the
// stage with a rate limit per IP, a request size limit and AWS managed rules.
func NewEdge(scope constructs.Construct, props *EdgeProps) {
	gatewayProblems(props.API.RestAPI)
	if !props.WAF {
		suppressNag(props.API.RestAPI.DeploymentStage(), "AwsSolutions-APIG3",
			"The web ACL is off for this stage (context waf=false; stages other than prod default to off): "+
				"the stage and method throttles and the per-token rate limit still apply")
		return
	}
	acl := awswafv2.NewCfnWebACL(scope, jsii.String("WebAcl"), &awswafv2.CfnWebACLProps{
		Name:             jsii.String(resources.PhysicalName(props.Stage, "api")),
		Description:      jsii.String("Target Loader API: per-IP rate limit, request size limit, AWS managed rules"),
		Scope:            jsii.String("REGIONAL"),
		DefaultAction:    &awswafv2.CfnWebACL_DefaultActionProperty{Allow: &awswafv2.CfnWebACL_AllowActionProperty{}},
		VisibilityConfig: visibility(props.Stage, "api"),
		CustomResponseBodies: &map[string]*awswafv2.CfnWebACL_CustomResponseBodyProperty{
			"TooManyRequests": problemBody(problem.New(http.StatusTooManyRequests, "throttled", fmt.Sprintf(
				"This address sent more than %d requests in %d minutes. Retry after the time in Retry-After.", props.WAFRateLimit, WAFRateWindowSeconds/60))),
			"ContentTooLarge": problemBody(problem.New(http.StatusRequestEntityTooLarge, "body-too-large", "The body is over 1 MiB.")),
		},
		Rules: wafRules(props),
	})
	awswafv2.NewCfnWebACLAssociation(scope, jsii.String("WebAclAssociation"), &awswafv2.CfnWebACLAssociationProps{
		ResourceArn: props.API.RestAPI.DeploymentStage().StageArn(),
		WebAclArn:   acl.AttrArn(),
	})
}

// WAFRuleNames are the web ACL's rules in priority order.
var WAFRuleNames = append([]string{"RateLimitPerIP", "ContentLengthLimit"}, managedRuleGroups...)

func wafRules(props *EdgeProps) *[]*awswafv2.CfnWebACL_RuleProperty {
	block := func(status int, body, retryAfter string) *awswafv2.CfnWebACL_RuleActionProperty {
		resp := &awswafv2.CfnWebACL_CustomResponseProperty{ResponseCode: jsii.Number(status), CustomResponseBodyKey: jsii.String(body)}
		if retryAfter != "" {
			resp.ResponseHeaders = &[]*awswafv2.CfnWebACL_CustomHTTPHeaderProperty{{Name: jsii.String("Retry-After"), Value: jsii.String(retryAfter)}}
		}
		return &awswafv2.CfnWebACL_RuleActionProperty{Block: &awswafv2.CfnWebACL_BlockActionProperty{CustomResponse: resp}}
	}
	rules := []*awswafv2.CfnWebACL_RuleProperty{
		{
			Name: jsii.String(WAFRuleNames[0]),
			Statement: &awswafv2.CfnWebACL_StatementProperty{RateBasedStatement: &awswafv2.CfnWebACL_RateBasedStatementProperty{
				Limit: jsii.Number(props.WAFRateLimit), EvaluationWindowSec: jsii.Number(WAFRateWindowSeconds), AggregateKeyType: jsii.String("IP"),
			}},
			Action: block(429, "TooManyRequests", "60"),
		},
		{
			// WAF inspects at most the first 8 KB of an API Gateway body, so
			// it cannot measure a 1 MiB body; API Gateway frames the body by
			// its Content-Length, so that header is the body's size.
			Name: jsii.String(WAFRuleNames[1]),
			Statement: &awswafv2.CfnWebACL_StatementProperty{RegexMatchStatement: &awswafv2.CfnWebACL_RegexMatchStatementProperty{
				RegexString:         jsii.String(contentLengthTooLarge),
				FieldToMatch:        &awswafv2.CfnWebACL_FieldToMatchProperty{SingleHeader: map[string]any{"Name": "content-length"}},
				TextTransformations: &[]*awswafv2.CfnWebACL_TextTransformationProperty{{Priority: jsii.Number(0), Type: jsii.String("NONE")}},
			}},
			Action: block(413, "ContentTooLarge", ""),
		},
	}
	for _, name := range managedRuleGroups {
		rules = append(rules, &awswafv2.CfnWebACL_RuleProperty{
			Name: jsii.String(name),
			Statement: &awswafv2.CfnWebACL_StatementProperty{ManagedRuleGroupStatement: &awswafv2.CfnWebACL_ManagedRuleGroupStatementProperty{
				VendorName: jsii.String("AWS"), Name: jsii.String(name),
			}},
			OverrideAction: &awswafv2.CfnWebACL_OverrideActionProperty{None: map[string]any{}},
		})
	}
	for i, r := range rules {
		r.Priority = jsii.Number(i)
		r.VisibilityConfig = visibility(props.Stage, *r.Name)
	}
	return &rules
}

func visibility(stage, name string) *awswafv2.CfnWebACL_VisibilityConfigProperty {
	return &awswafv2.CfnWebACL_VisibilityConfigProperty{
		CloudWatchMetricsEnabled: jsii.Bool(true),
		MetricName:               jsii.String(resources.PhysicalName(stage, name)),
		SampledRequestsEnabled:   jsii.Bool(true),
	}
}

// problemBody is a problem document as a WAF response body (WAF can label
// it application/json only).
func problemBody(p problem.Details) *awswafv2.CfnWebACL_CustomResponseBodyProperty {
	return &awswafv2.CfnWebACL_CustomResponseBodyProperty{ContentType: jsii.String("APPLICATION_JSON"), Content: jsii.String(problemJSON(p))}
}

func problemJSON(p problem.Details) string {
	b, _ := json.Marshal(p) // strings and an int: cannot fail
	return string(b)
}

// GatewayProblems are the refusals API Gateway answers itself, before any
// function runs, as problem documents, by gateway response type: a
// throttled method (429), a function that could not be invoked, e.g.
// throttled at its reserved concurrency (503: it never ran, so nothing was
// accepted and the caller may retry), a body over API Gateway's 10 MB (413),
// and a request the web ACL's managed rules blocked (403).
var GatewayProblems = []struct {
	Type       string // awsapigateway.ResponseType
	Problem    problem.Details
	RetryAfter string
}{
	{"THROTTLED", problem.New(http.StatusTooManyRequests, "throttled", "The API receives more requests on this route than it accepts. Retry after the time in Retry-After."), "1"},
	{"INTEGRATION_FAILURE", problem.New(http.StatusServiceUnavailable, "unavailable", "The service could not take the request; nothing was accepted. Retry after the time in Retry-After."), "1"},
	{"REQUEST_TOO_LARGE", problem.New(http.StatusRequestEntityTooLarge, "body-too-large", "The body is over 1 MiB."), ""},
	{"WAF_FILTERED", problem.New(http.StatusForbidden, "blocked", "The API's firewall refused the request."), ""},
}

// GatewayRequestID maps API Gateway's request id into a gateway response's
// X-Request-Id header, as the functions answer every request.
const GatewayRequestID = "context.requestId"

// withRequestID is a problem document's JSON with API Gateway's request id
// as its request_id (a gateway response template variable).
func withRequestID(problemJSON string) string {
	return strings.TrimSuffix(problemJSON, "}") + `,"request_id":"$context.requestId"}`
}

func gatewayProblems(api awsapigateway.RestApi) {
	for _, p := range GatewayProblems {
		headers := map[string]*string{"Content-Type": jsii.String("'" + problem.ContentType + "'"), "X-Request-Id": jsii.String(GatewayRequestID)}
		if p.RetryAfter != "" {
			headers["Retry-After"] = jsii.String("'" + p.RetryAfter + "'")
		}
		api.AddGatewayResponse(jsii.String(constructID("Problem", strings.ToLower(p.Type))), &awsapigateway.GatewayResponseOptions{
			Type:            awsapigateway.ResponseType_Of(jsii.String(p.Type)),
			StatusCode:      jsii.String(fmt.Sprint(p.Problem.Status)),
			ResponseHeaders: &headers,
			Templates:       &map[string]*string{"application/json": jsii.String(withRequestID(problemJSON(p.Problem)))},
		})
	}
}
