package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

const importedKeyArn = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"

// variants are the stacks the security tests check: both stages with their
// defaults, every option on, and an imported key.
func variants(t *testing.T) map[string]*synthResult {
	t.Helper()
	return map[string]*synthResult{
		"dev":  synth(t, "dev"),
		"prod": synth(t, "prod"),
		"all-on": synthWith(t, "all-on", TargetLoaderStackProps{
			Stage: "dev", WAF: jsii.Bool(true), TracingEnabled: true, CreateKMSKey: true,
			AlarmEmail: "ops@example.com", AlarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:pager",
		}),
		"imported-key": synthWith(t, "imported-key", TargetLoaderStackProps{
			Stage: "prod", WAF: jsii.Bool(false), KMSKeyArn: importedKeyArn, AlarmEmail: "ops@example.com",
		}),
	}
}

func TestNoUnsuppressedNagFindings(t *testing.T) {
	for name, r := range variants(t) {
		// GIVEN a variant of the stack checked by cdk-nag's AwsSolutions rules
		nag := assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-"))
		// WHEN / THEN it has no error or warning annotation from cdk-nag: each
		// rule passes or is suppressed with a reason (the failure lists them)
		noPanic(t, name+": unsuppressed cdk-nag errors", func() { r.annotations.HasNoError(jsii.String("*"), nag) })
		noPanic(t, name+": unsuppressed cdk-nag warnings", func() { r.annotations.HasNoWarning(jsii.String("*"), nag) })
	}
}

// nagSuppressions lists "rule: reason" of every suppression in the template
// (cdk-nag keeps them in each resource's Metadata.cdk_nag).
func (r *synthResult) nagSuppressions() map[string]string {
	out := map[string]string{}
	for id, v := range r.json["Resources"].(map[string]any) {
		meta, _ := v.(map[string]any)["Metadata"].(map[string]any)
		nag, _ := meta["cdk_nag"].(map[string]any)
		for _, s := range asList(nag["rules_to_suppress"]) {
			sm := s.(map[string]any)
			out[fmt.Sprintf("%s %s%v", sm["id"], id, strs(sm["applies_to"]))] = fmt.Sprint(sm["reason"])
		}
	}
	return out
}

// hashSuffix is the hash CDK appends to logical ids.
var hashSuffix = regexp.MustCompile(`[0-9A-F]{8}$`)

func TestNagSuppressionsAreTheReviewedOnes(t *testing.T) {
	// Every suppression a reviewer accepted, by rule and resource; a new one
	// must be added here (and to infra/README.md) with its reason.
	always := []string{
		"AwsSolutions-APIG2 Api",
		"AwsSolutions-APIG4 ApijourneysjourneyidrequestsrequestuuidGET",
		"AwsSolutions-APIG4 ApijourneysjourneyidtargetsPOST",
		"AwsSolutions-COG4 ApijourneysjourneyidrequestsrequestuuidGET",
		"AwsSolutions-COG4 ApijourneysjourneyidtargetsPOST",
		"AwsSolutions-APIG4 ApiconsoleconfigjsonGET",
		"AwsSolutions-APIG4 ApiconsoleGET",
		"AwsSolutions-APIG4 ApiconsoleproxyGET",
		"AwsSolutions-COG4 ApiconsoleGET",
		"AwsSolutions-COG4 ApiconsoleproxyGET",
		"AwsSolutions-COG2 UserPool",
		"AwsSolutions-COG8 UserPool",
		"AwsSolutions-COG4 ApiconsoleconfigjsonGET",
		"AwsSolutions-APIG4 ApiopenapijsonGET",
		"AwsSolutions-COG4 ApiopenapijsonGET",
		"AwsSolutions-SMG4 WebhookMasterKey",
		"AwsSolutions-IAM4 ApiCloudWatchRole[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]",
	}
	wafOff := "AwsSolutions-APIG3 ApiDeploymentStagev1"
	unencryptedTopic := "AwsSolutions-SNS2 AlarmEmailTopic"
	var xray []string
	for _, def := range resources.Functions {
		xray = append(xray, "AwsSolutions-IAM5 "+constructID("Role", def.Name)+"DefaultPolicy[Resource::*]")
	}
	want := map[string][]string{
		"dev":          append([]string{wafOff}, always...),
		"prod":         append([]string{unencryptedTopic}, always...),
		"all-on":       append(xray, always...),
		"imported-key": append([]string{wafOff, unencryptedTopic}, always...),
	}
	for name, r := range variants(t) {
		// GIVEN a variant of the stack
		// WHEN listing its cdk-nag suppressions
		var got []string
		for k, reason := range r.nagSuppressions() {
			rule, rest, _ := strings.Cut(k, " ")
			id, applies, _ := strings.Cut(rest, "[")
			label := rule + " " + hashSuffix.ReplaceAllString(id, "")
			if applies != "]" {
				label += "[" + applies
			}
			got = append(got, label)
			// THEN each has a reason a reviewer can judge
			if len(reason) < 60 {
				t.Errorf("%s: %s: reason %q is too short to judge", name, k, reason)
			}
		}
		// AND they are exactly the reviewed ones
		sort.Strings(got)
		w := sortedCopy(want[name])
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("%s: suppressions\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(w, "\n  "))
		}
	}
}

func TestFunctionPermissionsAreExactlyThese(t *testing.T) {
	// GIVEN the dev stack
	r := synth(t, "dev")
	policies := r.rolePolicies(t)
	logical := r.logicalIDs()
	logs := func(fn string) string { return "logs:/aws/lambda/" + resources.PhysicalName("dev", fn) }
	// WHEN collecting, per function, the actions its role allows on each resource
	// THEN they are exactly what its code calls, listed here by hand (a change
	// to an access table must change this list too, so a reviewer sees it)
	want := map[string]map[string]string{
		"ingest": {
			"table:tokens":              "dynamodb:BatchGetItem",
			"table:journeys":            "dynamodb:BatchGetItem",
			"table:requests":            "dynamodb:BatchGetItem,dynamodb:PutItem,dynamodb:UpdateItem",
			"table:loader-record-parts": "dynamodb:BatchGetItem,dynamodb:Query",
			"table:idempotency":         "dynamodb:GetItem,dynamodb:PutItem",
			"table:rate-limits":         "dynamodb:UpdateItem",
			"queue:targets":             "sqs:SendMessage",
			"table:accounts":            "dynamodb:BatchGetItem", // dry runs
			"table:account-emails":      "dynamodb:BatchGetItem",
			logs("ingest"):              logWriteActions,
		},
		"consumer": {
			"table:journeys":            "dynamodb:BatchGetItem",
			"table:accounts":            "dynamodb:BatchGetItem",
			"table:account-emails":      "dynamodb:BatchGetItem",
			"table:requests":            "dynamodb:BatchGetItem,dynamodb:UpdateItem",
			"table:loader-record-parts": "dynamodb:BatchWriteItem,dynamodb:PutItem",      // a part item; a split part's continuations
			"table:journey-targets":     "dynamodb:BatchGetItem,dynamodb:BatchWriteItem", // consistent read, then the absent ones (FIFO: one writer per journey)
			"queue:targets":             pollerActions,
			"queue:targets-dlq":         "sqs:SendMessage", // messages refused for good go there at once
			"queue:webhooks":            "sqs:SendMessage",
			logs("consumer"):            logWriteActions,
		},
		"manage": {
			"table:tokens":                               "dynamodb:GetItem,dynamodb:PutItem,dynamodb:UpdateItem",
			"table:tokens/index/by_journey":              "dynamodb:Query",
			"table:tokens/index/by_token_id":             "dynamodb:Query",
			"table:journeys":                             "dynamodb:GetItem,dynamodb:Scan",
			"table:journey-targets":                      "dynamodb:Query",
			"table:loader-record-parts":                  "dynamodb:BatchGetItem,dynamodb:Query",
			"table:loader-record-parts/index/by_journey": "dynamodb:Query",
			"table:webhook-deliveries":                   "dynamodb:Query",
			"secret:webhook-master-key":                  "secretsmanager:GetSecretValue",
			logs("manage"):                               logWriteActions,
		},
		// Admins' uploads, queued as ingest queues the API's (shared/submit).
		"upload": {
			"table:journeys":    "dynamodb:GetItem",
			"table:requests":    "dynamodb:BatchGetItem,dynamodb:PutItem,dynamodb:UpdateItem",
			"table:idempotency": "dynamodb:GetItem,dynamodb:PutItem",
			"queue:targets":     "sqs:SendMessage",
			logs("upload"):      logWriteActions,
		},
		"webhooks": {
			"table:webhook-deliveries":  "dynamodb:GetItem,dynamodb:UpdateItem",
			"queue:webhooks":            pollerActions,
			"secret:webhook-master-key": "secretsmanager:GetSecretValue",
			logs("webhooks"):            logWriteActions,
		},
	}
	if got, w := functionNames(), keysOf(want); fmt.Sprint(got) != fmt.Sprint(w) {
		t.Fatalf("functions %v, this list has %v", got, w)
	}
	for fn, w := range want {
		compareAccess(t, fn, access(t, policies[fn], logical), w)
	}
	// AND no function role has a managed policy (no AWSLambdaBasicExecutionRole's logs on *)
	for id, res := range r.resources("AWS::IAM::Role") {
		if strings.HasPrefix(id, "Role") && props(res)["ManagedPolicyArns"] != nil {
			t.Errorf("%s has managed policies %v", id, props(res)["ManagedPolicyArns"])
		}
	}
	// AND nothing may delete (the tokens' audit trail, records and requests
	// go only by TTL), and only the journey list is ever scanned
	for _, s := range r.statements() {
		for _, a := range strs(s["Action"]) {
			if strings.HasPrefix(a, "dynamodb:") && (strings.Contains(a, "Delete") || strings.HasPrefix(a, "dynamodb:PartiQL")) {
				t.Errorf("statement allows %s: %v", a, s)
			}
			if a == "dynamodb:Scan" && refTo(s["Resource"], logical) != "table:"+resources.Journeys.ID {
				t.Errorf("statement scans %v", s["Resource"])
			}
		}
	}
}

// kmsGrants lists a function's KMS statements as "actions via <service>" or
// "actions" when unconditioned, sorted.
func kmsGrants(t *testing.T, statements []any, logical map[string]string) []string {
	t.Helper()
	var out []string
	for _, s := range statements {
		sm := s.(map[string]any)
		actions := strs(sm["Action"])
		if len(actions) == 0 || !strings.HasPrefix(actions[0], "kms:") {
			continue
		}
		if res := refTo(sm["Resource"], logical); res != "kms:key" && sm["Resource"] != importedKeyArn {
			t.Errorf("KMS statement on %s, not the key", res)
		}
		g := strings.Join(sortedCopy(actions), ",")
		if c, ok := sm["Condition"].(map[string]any); ok {
			via := c["StringEquals"].(map[string]any)["kms:ViaService"].(map[string]any)["Fn::Sub"].(string)
			g += " via " + strings.Split(via, ".")[0]
		}
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

func TestCustomerManagedKey(t *testing.T) {
	const rw = "kms:Decrypt,kms:DescribeKey,kms:Encrypt,kms:GenerateDataKey via dynamodb"
	wantGrants := map[string][]string{
		"ingest": {rw, "kms:Decrypt,kms:GenerateDataKey via sqs"},
		// the first: polling the queue (the event source's grant); the last: sending to the DLQ and webhooks
		"consumer": {"kms:Decrypt", rw, "kms:Decrypt,kms:GenerateDataKey via sqs"},
		"manage":   {rw},
		"upload":   {rw, "kms:Decrypt,kms:GenerateDataKey via sqs"},
		"webhooks": {"kms:Decrypt", rw},
	}
	for _, tc := range []struct {
		name    string
		r       *synthResult
		key     func(r *synthResult) string // what a resource's key property holds
		created bool
	}{
		{"created", variants(t)["all-on"], func(r *synthResult) string {
			for id := range r.resources("AWS::KMS::Key") {
				return fmt.Sprintf("map[Fn::GetAtt:[%s Arn]]", id)
			}
			return "no key"
		}, true},
		{"imported", variants(t)["imported-key"], func(*synthResult) string { return importedKeyArn }, false},
	} {
		// GIVEN a stack with a customer managed key
		r := tc.r
		key := tc.key(r)
		// WHEN / THEN the key exists only when created, with rotation on
		if n := len(r.resources("AWS::KMS::Key")); n != map[bool]int{true: 1, false: 0}[tc.created] {
			t.Errorf("%s: %d keys", tc.name, n)
		}
		for _, k := range r.resources("AWS::KMS::Key") {
			if props(k)["EnableKeyRotation"] != true {
				t.Errorf("%s: key rotation off", tc.name)
			}
		}
		// AND every table is encrypted with it
		for _, res := range r.resources("AWS::DynamoDB::Table") {
			p := props(res)
			sse, _ := p["SSESpecification"].(map[string]any)
			if sse["SSEEnabled"] != true || sse["SSEType"] != "KMS" || fmt.Sprint(sse["KMSMasterKeyId"]) != key {
				t.Errorf("%s: table %v: SSE %v, want the key %s", tc.name, p["TableName"], sse, key)
			}
		}
		// AND both queues
		for _, res := range r.resources("AWS::SQS::Queue") {
			p := props(res)
			if fmt.Sprint(p["KmsMasterKeyId"]) != key || p["SqsManagedSseEnabled"] != nil {
				t.Errorf("%s: queue %v: key %v", tc.name, p["QueueName"], p["KmsMasterKeyId"])
			}
		}
		// AND every log group (functions', API access and execution logs)
		groups := r.resources("AWS::Logs::LogGroup")
		if len(groups) != len(resources.Functions)+2 {
			t.Errorf("%s: %d log groups", tc.name, len(groups))
		}
		for id, res := range groups {
			if got := fmt.Sprint(props(res)["KmsKeyId"]); got != key {
				t.Errorf("%s: log group %s: key %s", tc.name, id, got)
			}
		}
		// AND the alarm topic when the stack owns the key (it can grant CloudWatch)
		for _, res := range r.resources("AWS::SNS::Topic") {
			if got, encrypted := fmt.Sprint(props(res)["KmsMasterKeyId"]), tc.created; (got == key) != encrypted {
				t.Errorf("%s: alarm topic key %s", tc.name, got)
			}
		}
		// AND each function may use the key only for what it reads and writes, only through DynamoDB and SQS
		policies := r.rolePolicies(t)
		logical := r.logicalIDs()
		for fn, want := range wantGrants {
			if got := kmsGrants(t, policies[fn], logical); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: %s KMS grants %v, want %v", tc.name, fn, got, want)
			}
		}
	}
	// AND the created key lets CloudWatch Logs of this account and CloudWatch alarms use it
	for _, k := range variants(t)["all-on"].resources("AWS::KMS::Key") {
		var sids []string
		for _, s := range asList(props(k)["KeyPolicy"].(map[string]any)["Statement"]) {
			if sid, ok := s.(map[string]any)["Sid"].(string); ok {
				sids = append(sids, sid)
			}
		}
		if fmt.Sprint(sortedCopy(sids)) != "[AllowCloudWatchAlarmsToPublish AllowCloudWatchLogsOfThisAccount]" {
			t.Errorf("key policy statements %v", sids)
		}
	}
}

func TestWithoutKeyAWSKeysEncrypt(t *testing.T) {
	// GIVEN the dev stack without kmsKey
	r := synth(t, "dev")
	// WHEN / THEN there is no key; tables use DynamoDB's AWS owned key, queues SSE-SQS, log groups CloudWatch's own
	if n := len(r.resources("AWS::KMS::Key")); n != 0 {
		t.Errorf("%d keys", n)
	}
	for _, res := range r.resources("AWS::DynamoDB::Table") {
		if sse := props(res)["SSESpecification"]; sse != nil {
			t.Errorf("table %v: SSE %v", props(res)["TableName"], sse)
		}
	}
	for _, res := range r.resources("AWS::SQS::Queue") {
		if p := props(res); p["SqsManagedSseEnabled"] != true || p["KmsMasterKeyId"] != nil {
			t.Errorf("queue %v: %v", p["QueueName"], p)
		}
	}
	for id, res := range r.resources("AWS::Logs::LogGroup") {
		if k := props(res)["KmsKeyId"]; k != nil {
			t.Errorf("log group %s: key %v", id, k)
		}
	}
	// AND no function has a KMS permission
	for fn, stmts := range r.rolePolicies(t) {
		if g := kmsGrants(t, stmts, r.logicalIDs()); len(g) > 0 {
			t.Errorf("%s: KMS grants %v", fn, g)
		}
	}
}

func TestRetentionOfPersonalData(t *testing.T) {
	// GIVEN the dev stack and one with retentionDays 730
	for stage, want := range map[string]string{"dev": "400", "retention-730": "730"} {
		r := synth(t, "dev")
		if stage != "dev" {
			r = synthWith(t, stage, TargetLoaderStackProps{Stage: "dev", RetentionDays: 730})
		}
		fns := r.functionsByName(t, "dev")
		// WHEN / THEN the functions that write requests and loader records get the period
		for _, def := range resources.Functions {
			vars := fns[def.Name]["Environment"].(map[string]any)["Variables"].(map[string]any)
			if v, ok := vars[resources.EnvRetentionDays]; ok != slices.Contains(def.Settings, resources.EnvRetentionDays) || (ok && v != want) {
				t.Errorf("%s: %s %s=%v, want %s", stage, def.Name, resources.EnvRetentionDays, v, want)
			}
		}
		// AND those tables delete on the attribute they write (DynamoDB TTL)
		for _, table := range []resources.Table{resources.Requests, resources.LoaderRecords} {
			ttl, _ := r.tableByName(t, resources.PhysicalName("dev", table.ID))["TimeToLiveSpecification"].(map[string]any)
			if ttl["AttributeName"] != resources.AttrDeleteAfter || ttl["Enabled"] != true {
				t.Errorf("%s: %s TTL %v", stage, table.ID, ttl)
			}
		}
	}
	// AND the journey's own target list is kept
	if ttl := synth(t, "dev").tableByName(t, resources.PhysicalName("dev", resources.JourneyTargets.ID))["TimeToLiveSpecification"]; ttl != nil {
		t.Errorf("journey targets TTL %v", ttl)
	}
	// AND a period shorter than a message can wait in the queues is a synthesis error
	short := synthWith(t, "retention-short", TargetLoaderStackProps{Stage: "dev", RetentionDays: 14})
	noPanic(t, "short retention", func() {
		short.annotations.HasError(jsii.String("/TargetLoader-dev"), assertions.Match_StringLikeRegexp(jsii.String("retentionDays must be at least 30")))
	})
}
