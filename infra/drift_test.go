package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/targetloader/targetloader/shared/resources"
)

// The drift tests compare the SAM template (template.yaml at the repository
// root) with the CDK stack: a change to one that is not made to the other
// fails here.

const samPrefix = "targetloader-${Stage}-"
const cdkPrefix = "targetloader-dev-"

var (
	samOnce sync.Once
	samTmpl map[string]any
	samErr  error
)

func loadSAM(t *testing.T) map[string]any {
	t.Helper()
	samOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("..", "template.yaml"))
		if err != nil {
			samErr = err
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			samErr = err
			return
		}
		v, err := cfnYAML(&doc)
		if err != nil {
			samErr = err
			return
		}
		samTmpl, _ = v.(map[string]any)
	})
	if samErr != nil {
		t.Fatalf("template.yaml: %v", samErr)
	}
	return samTmpl
}

// cfnYAML converts a YAML node to JSON-like values, turning CloudFormation's
// short-form tags (!Ref, !Sub, !GetAtt, !If, ...) into their long forms.
func cfnYAML(n *yaml.Node) (any, error) {
	var v any
	switch n.Kind {
	case yaml.DocumentNode:
		return cfnYAML(n.Content[0])
	case yaml.AliasNode:
		return cfnYAML(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			val, err := cfnYAML(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = val
		}
		v = m
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			val, err := cfnYAML(c)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		if isCfnTag(n.Tag) {
			v = n.Value
		} else if err := n.Decode(&v); err != nil {
			return nil, err
		}
	}
	if !isCfnTag(n.Tag) {
		return v, nil
	}
	fn := strings.TrimPrefix(n.Tag, "!")
	switch fn {
	case "Ref", "Condition":
		return map[string]any{fn: v}, nil
	case "GetAtt":
		if s, ok := v.(string); ok {
			res, attr, _ := strings.Cut(s, ".")
			v = []any{res, attr}
		}
	}
	return map[string]any{"Fn::" + fn: v}, nil
}

// isCfnTag reports whether tag is a local tag such as !Ref (not a YAML core tag like !!bool).
func isCfnTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

func samResources(t *testing.T, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, v := range loadSAM(t)["Resources"].(map[string]any) {
		res := v.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

// samName returns the suffix of a !Sub "targetloader-${Stage}-<suffix>" name.
func samName(v any) string {
	m, _ := v.(map[string]any)
	s, _ := m["Fn::Sub"].(string)
	if !strings.HasPrefix(s, samPrefix) {
		return ""
	}
	return strings.TrimPrefix(s, samPrefix)
}

func num(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	case string:
		var f float64
		fmt.Sscan(x, &f)
		return f
	}
	return -1
}

// ---- tables ----

type tableDesc struct {
	Keys, AttrDefs, GSIs, TTL, Billing string
	PITR                               bool
}

func describeTable(p map[string]any) tableDesc {
	var attrs []string
	for _, a := range asList(p["AttributeDefinitions"]) {
		am := a.(map[string]any)
		attrs = append(attrs, fmt.Sprintf("%s:%s", am["AttributeName"], am["AttributeType"]))
	}
	sort.Strings(attrs)
	var gsis []string
	for _, g := range asList(p["GlobalSecondaryIndexes"]) {
		gm := g.(map[string]any)
		gsis = append(gsis, fmt.Sprintf("%s(%s;%v)", gm["IndexName"], keySchema(gm["KeySchema"]),
			gm["Projection"].(map[string]any)["ProjectionType"]))
	}
	sort.Strings(gsis)
	d := tableDesc{
		Keys: keySchema(p["KeySchema"]), AttrDefs: strings.Join(attrs, ","), GSIs: strings.Join(gsis, ","),
		Billing: fmt.Sprint(p["BillingMode"]),
	}
	if ttl, ok := p["TimeToLiveSpecification"].(map[string]any); ok && ttl["Enabled"] == true {
		d.TTL = fmt.Sprint(ttl["AttributeName"])
	}
	if pitr, ok := p["PointInTimeRecoverySpecification"].(map[string]any); ok {
		d.PITR = pitr["PointInTimeRecoveryEnabled"] == true
	}
	return d
}

func TestDriftTables(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	cdk := map[string]tableDesc{}
	for _, res := range r.resources("AWS::DynamoDB::Table") {
		p := props(res)
		cdk[strings.TrimPrefix(p["TableName"].(string), cdkPrefix)] = describeTable(p)
	}
	sam := map[string]tableDesc{}
	for id, res := range samResources(t, "AWS::DynamoDB::Table") {
		p := props(res)
		name := samName(p["TableName"])
		if name == "" {
			t.Errorf("SAM table %s: TableName must be !Sub %s<id>", id, samPrefix)
		}
		sam[name] = describeTable(p)
	}
	// WHEN / THEN both declare the same tables with the same keys, GSIs, TTL, billing and PITR
	compareMaps(t, "table", cdk, sam)
}

// ---- functions ----

type fnDesc struct {
	Runtime, Arch, Handler, LogFormat string
	Memory, Timeout                   float64
	Env                               string
}

func describeFn(p map[string]any) fnDesc {
	d := fnDesc{
		Runtime: fmt.Sprint(p["Runtime"]), Arch: fmt.Sprint(p["Architectures"]), Handler: fmt.Sprint(p["Handler"]),
		Memory: num(p["MemorySize"]), Timeout: num(p["Timeout"]),
	}
	if lc, ok := p["LoggingConfig"].(map[string]any); ok {
		d.LogFormat = fmt.Sprint(lc["LogFormat"])
	}
	var env []string
	if e, ok := p["Environment"].(map[string]any); ok {
		for k := range e["Variables"].(map[string]any) {
			env = append(env, k)
		}
	}
	sort.Strings(env)
	d.Env = strings.Join(env, ",")
	return d
}

// samFunctions returns the SAM functions by name suffix, with Globals merged
// in (one level deep, as SAM does for maps such as LoggingConfig).
func samFunctions(t *testing.T) (map[string]map[string]any, map[string]string) {
	globals := map[string]any{}
	if g, ok := loadSAM(t)["Globals"].(map[string]any); ok {
		globals, _ = g["Function"].(map[string]any)
	}
	out := map[string]map[string]any{}
	logical := map[string]string{}
	for id, res := range samResources(t, "AWS::Serverless::Function") {
		merged := map[string]any{}
		for k, v := range globals {
			merged[k] = v
		}
		for k, v := range props(res) {
			gm, gok := merged[k].(map[string]any)
			vm, vok := v.(map[string]any)
			if gok && vok {
				mm := map[string]any{}
				for kk, vv := range gm {
					mm[kk] = vv
				}
				for kk, vv := range vm {
					mm[kk] = vv
				}
				v = mm
			}
			merged[k] = v
		}
		name := samName(merged["FunctionName"])
		if name == "" {
			t.Errorf("SAM function %s: FunctionName must be !Sub %s<name>", id, samPrefix)
		}
		out[name] = merged
		logical[name] = id
	}
	return out, logical
}

func TestDriftFunctions(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	cdk := map[string]fnDesc{}
	for _, res := range r.resources("AWS::Lambda::Function") {
		p := props(res)
		cdk[strings.TrimPrefix(p["FunctionName"].(string), cdkPrefix)] = describeFn(p)
	}
	samFns, logical := samFunctions(t)
	sam := map[string]fnDesc{}
	for name, p := range samFns {
		sam[name] = describeFn(p)
	}
	// WHEN / THEN the functions have the same runtime, architecture, handler, sizing, log format and env names
	compareMaps(t, "function", cdk, sam)

	// AND each SAM function is built by `make build-<LogicalId>` with the Makefile's one Lambda build recipe
	for name, p := range samFns {
		id := logical[name]
		res := loadSAM(t)["Resources"].(map[string]any)[id].(map[string]any)
		meta, _ := res["Metadata"].(map[string]any)
		if meta["BuildMethod"] != "makefile" || p["CodeUri"] != "." {
			t.Errorf("SAM %s: want CodeUri . and Metadata.BuildMethod makefile", id)
		}
		if got, want := makeDryRun(t, "build-"+id, "ARTIFACTS_DIR=/artifacts"), lambdaBuild(name, "/artifacts"); got != want {
			t.Errorf("make build-%s runs\n  %s\nwant\n  %s", id, got, want)
		}
		if !slices.Contains(functionNames(), name) {
			t.Errorf("SAM function %s is not one of %v", name, functionNames())
		}
	}
}

// TestMakeBuildsEveryFunction: `make build` (which deploy and synth run)
// builds exactly the functions of shared/resources, each with the one recipe.
func TestMakeBuildsEveryFunction(t *testing.T) {
	var want []string
	for _, name := range functionNames() {
		want = append(want, lambdaBuild(name, "dist/"+name))
	}
	var got []string
	for _, line := range strings.Split(makeDryRun(t, "build"), "\n") {
		if strings.Contains(line, " go build ") {
			got = append(got, line)
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("make build runs\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// lambdaBuild is the build command of function name into dir: linux/arm64,
// static, no RPC shim, no HTTP/2 client, stripped (provided.al2023).
func lambdaBuild(name, dir string) string {
	return `GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -tags lambda.norpc,nethttpomithttp2 -trimpath -ldflags "-s -w" -o ` + dir + `/bootstrap ./functions/` + name
}

// makeDryRun is what `make -n target vars...` would run in the repository root.
func makeDryRun(t *testing.T, target string, vars ...string) string {
	t.Helper()
	out, err := exec.Command("make", append([]string{"-s", "-n", "-C", "..", target, "GO=go"}, vars...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	return strings.TrimSpace(string(out))
}

// samLogicalIDs maps the logical id of each SAM table and queue to
// "table:<id>" or "queue:<id>", as logicalIDs does for the CDK stack.
func samLogicalIDs(t *testing.T) map[string]string {
	out := map[string]string{}
	for lid, res := range samResources(t, "AWS::DynamoDB::Table") {
		out[lid] = "table:" + samName(props(res)["TableName"])
	}
	for lid, res := range samResources(t, "AWS::SQS::Queue") {
		out[lid] = "queue:" + samName(props(res)["QueueName"])
	}
	for lid, res := range samResources(t, "AWS::SecretsManager::Secret") {
		out[lid] = "secret:" + samName(props(res)["Name"])
	}
	return out
}

func TestDriftFunctionsMatchDefinitions(t *testing.T) {
	// GIVEN template.yaml's functions
	samFns, _ := samFunctions(t)
	logical := samLogicalIDs(t)
	if got, want := keysOf(samFns), functionNames(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("SAM functions %v, want %v", got, want)
	}
	for _, def := range resources.Functions {
		// WHEN looking at the one with each definition's name
		p, ok := samFns[def.Name]
		if !ok {
			continue
		}
		// THEN its memory and timeout are the definition's
		if num(p["MemorySize"]) != float64(def.MemoryMB) || num(p["Timeout"]) != def.Timeout.Seconds() {
			t.Errorf("SAM %s: %v MB / %v s, want %d MB / %v", def.Name, p["MemorySize"], p["Timeout"], def.MemoryMB, def.Timeout)
		}
		// AND its environment names exactly the definition's variables
		vars, _ := p["Environment"].(map[string]any)["Variables"].(map[string]any)
		if got, want := keysOf(vars), sortedCopy(def.Env()); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("SAM %s env = %v, want %v", def.Name, got, want)
		}
		for _, a := range def.Tables {
			if got := refTo(vars[a.Table.EnvVar], logical); got != "table:"+a.Table.ID {
				t.Errorf("SAM %s: %s refers to %v", def.Name, a.Table.EnvVar, got)
			}
		}
		for _, a := range def.Queues {
			if got := refTo(vars[a.Queue.EnvVar], logical); got != "queue:"+a.Queue.ID {
				t.Errorf("SAM %s: %s refers to %v", def.Name, a.Queue.EnvVar, got)
			}
		}
	}
}

func TestDriftPolicies(t *testing.T) {
	// GIVEN template.yaml's functions
	samFns, _ := samFunctions(t)
	logical := samLogicalIDs(t)
	for _, def := range resources.Functions {
		// WHEN collecting the actions its inline policies allow per table, index and queue
		var statements []any
		for _, pol := range asList(samFns[def.Name]["Policies"]) {
			doc, ok := pol.(map[string]any)
			if !ok || doc["Statement"] == nil {
				t.Errorf("SAM %s: policy %v is not an inline policy document", def.Name, pol)
				continue
			}
			statements = append(statements, asList(doc["Statement"])...)
		}
		// THEN they are exactly its access table (the SQS event adds the
		// poller's permissions on the queue by itself)
		compareAccess(t, "SAM "+def.Name, access(t, statements, logical), wantAccess(def))
	}
}

// ---- queues and the event source ----

type queueDesc struct {
	MaxReceiveCount, Visibility, Retention float64
	SSE                                    bool
}

func describeQueue(p map[string]any) queueDesc {
	d := queueDesc{Visibility: num(p["VisibilityTimeout"]), Retention: num(p["MessageRetentionPeriod"]), SSE: p["SqsManagedSseEnabled"] == true}
	if rp, ok := p["RedrivePolicy"].(map[string]any); ok {
		d.MaxReceiveCount = num(rp["maxReceiveCount"])
	}
	return d
}

func TestDriftQueues(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	cdk := map[string]queueDesc{}
	for _, res := range r.resources("AWS::SQS::Queue") {
		p := props(res)
		cdk[strings.TrimPrefix(p["QueueName"].(string), cdkPrefix)] = describeQueue(p)
	}
	sam := map[string]queueDesc{}
	for _, res := range samResources(t, "AWS::SQS::Queue") {
		p := props(res)
		sam[samName(p["QueueName"])] = describeQueue(p)
	}
	// WHEN / THEN the queues have the same redrive, visibility, retention and encryption
	compareMaps(t, "queue", cdk, sam)
}

type esmDesc struct {
	BatchSize, Window, MaxConcurrency float64
	ResponseTypes                     string
}

// window reads MaximumBatchingWindowInSeconds, absent meaning 0.
func window(v any) float64 {
	if v == nil {
		return 0
	}
	return num(v)
}

func TestDriftEventSource(t *testing.T) {
	// GIVEN the CDK event source mappings and the functions' SQS events in template.yaml
	r := synth(t, "dev")
	fnName := map[string]string{}
	for id, f := range r.resources("AWS::Lambda::Function") {
		fnName[id] = strings.TrimPrefix(props(f)["FunctionName"].(string), cdkPrefix)
	}
	cdk := map[string]esmDesc{}
	for _, res := range r.resources("AWS::Lambda::EventSourceMapping") {
		p := props(res)
		sc, _ := p["ScalingConfig"].(map[string]any)
		name := fnName[fmt.Sprint(p["FunctionName"].(map[string]any)["Ref"])]
		cdk[name] = esmDesc{num(p["BatchSize"]), window(p["MaximumBatchingWindowInSeconds"]), num(sc["MaximumConcurrency"]), fmt.Sprint(p["FunctionResponseTypes"])}
	}
	sam := map[string]esmDesc{}
	samFns, _ := samFunctions(t)
	for name, p := range samFns {
		events, _ := p["Events"].(map[string]any)
		for _, ev := range events {
			em := ev.(map[string]any)
			if em["Type"] != "SQS" {
				continue
			}
			ep := em["Properties"].(map[string]any)
			sc, _ := ep["ScalingConfig"].(map[string]any)
			sam[name] = esmDesc{num(ep["BatchSize"]), window(ep["MaximumBatchingWindowInSeconds"]), num(sc["MaximumConcurrency"]), fmt.Sprint(ep["FunctionResponseTypes"])}
		}
	}
	// WHEN / THEN batch size, window, max concurrency and ReportBatchItemFailures agree
	compareMaps(t, "event source of", cdk, sam)
	// AND are each function's definition
	for _, def := range resources.Functions {
		es := def.EventSource
		if es == nil {
			continue
		}
		if want := (esmDesc{float64(es.BatchSize), es.MaxBatchingWindow.Seconds(), float64(es.MaxConcurrency), "[ReportBatchItemFailures]"}); sam[def.Name] != want {
			t.Errorf("event source of %s: SAM %+v, definition %+v", def.Name, sam[def.Name], want)
		}
	}
}

// ---- API ----

func TestDriftAPI(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	cdk := apiRoutes(r)
	var sam []string
	samFns, _ := samFunctions(t)
	for name, p := range samFns {
		events, _ := p["Events"].(map[string]any)
		for _, ev := range events {
			em := ev.(map[string]any)
			if em["Type"] != "Api" {
				continue
			}
			ep := em["Properties"].(map[string]any)
			auth := "NONE"
			if a, _ := ep["Auth"].(map[string]any); a["Authorizer"] == "CognitoAuthorizer" {
				auth = "COGNITO_USER_POOLS"
			}
			sam = append(sam, fmt.Sprintf("%s %s %s %s", strings.ToUpper(fmt.Sprint(ep["Method"])), ep["Path"], auth, name))
		}
	}
	sort.Strings(sam)
	// WHEN / THEN both serve the same routes, with the same authorization, by the same functions
	if fmt.Sprint(cdk) != fmt.Sprint(sam) {
		t.Errorf("routes:\n  CDK %v\n  SAM %v", cdk, sam)
	}
	// AND SAM's authorizer is the user pool's, and its 401 the same problem document
	apis := samResources(t, "AWS::Serverless::Api")
	for _, api := range apis {
		p := props(api)
		authz, _ := p["Auth"].(map[string]any)["Authorizers"].(map[string]any)["CognitoAuthorizer"].(map[string]any)
		if fmt.Sprint(authz["UserPoolArn"]) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"UserPool", "Arn"}}) {
			t.Errorf("SAM authorizer %v", authz)
		}
		var gr map[string]any
		for _, res := range r.resources("AWS::ApiGateway::GatewayResponse") {
			gr = props(res)
		}
		samGR := p["GatewayResponses"].(map[string]any)["UNAUTHORIZED"].(map[string]any)
		if fmt.Sprint(samGR["ResponseTemplates"]) != fmt.Sprint(gr["ResponseTemplates"]) || fmt.Sprint(num(samGR["StatusCode"])) != fmt.Sprint(num(gr["StatusCode"])) {
			t.Errorf("401 response: CDK %v %v, SAM %v %v", gr["StatusCode"], gr["ResponseTemplates"], samGR["StatusCode"], samGR["ResponseTemplates"])
		}
		headers := samGR["ResponseParameters"].(map[string]any)["Headers"].(map[string]any)
		for k, v := range headers {
			if gr["ResponseParameters"].(map[string]any)["gatewayresponse.header."+k] != v {
				t.Errorf("401 header %s: CDK %v, SAM %v", k, gr["ResponseParameters"], v)
			}
		}
	}
	// AND the same stage name and default throttling
	params := loadSAM(t)["Parameters"].(map[string]any)
	def := func(p string) float64 { return num(params[p].(map[string]any)["Default"]) }
	for _, res := range r.resources("AWS::ApiGateway::Stage") {
		p := props(res)
		ms := asList(p["MethodSettings"])[0].(map[string]any)
		if num(ms["ThrottlingRateLimit"]) != def("ApiRateLimit") || num(ms["ThrottlingBurstLimit"]) != def("ApiBurstLimit") {
			t.Errorf("throttling: CDK %v/%v, SAM defaults %v/%v", ms["ThrottlingRateLimit"], ms["ThrottlingBurstLimit"], def("ApiRateLimit"), def("ApiBurstLimit"))
		}
		for _, api := range samResources(t, "AWS::Serverless::Api") {
			if props(api)["StageName"] != p["StageName"] {
				t.Errorf("stage name: CDK %v, SAM %v", p["StageName"], props(api)["StageName"])
			}
		}
	}
	// AND the same per-token rate limit defaults
	for _, res := range r.resources("AWS::Lambda::Function") {
		vars := props(res)["Environment"].(map[string]any)["Variables"].(map[string]any)
		if v, ok := vars["RATE_LIMIT_PER_SECOND"]; ok && (num(v) != def("TokenRateLimit") || num(vars["RATE_LIMIT_BURST"]) != def("TokenBurstLimit")) {
			t.Errorf("token rate limit: CDK %v/%v, SAM defaults %v/%v", v, vars["RATE_LIMIT_BURST"], def("TokenRateLimit"), def("TokenBurstLimit"))
		}
	}
}

func TestDriftUserPool(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	// WHEN comparing their user pools, app clients and groups on what
	// decides who signs in and how
	pick := func(p map[string]any, keys ...string) string {
		out := map[string]any{}
		for _, k := range keys {
			out[k] = p[k]
		}
		b, _ := json.Marshal(out)
		return string(b)
	}
	one := func(res map[string]map[string]any) map[string]any {
		for _, v := range res {
			return props(v)
		}
		return nil
	}
	poolKeys := []string{"AdminCreateUserConfig", "UsernameAttributes", "AutoVerifiedAttributes", "Schema", "Policies", "MfaConfiguration", "EnabledMfas", "AccountRecoverySetting"}
	clientKeys := []string{"GenerateSecret", "ExplicitAuthFlows", "ReadAttributes", "WriteAttributes", "IdTokenValidity", "AccessTokenValidity", "RefreshTokenValidity", "TokenValidityUnits", "PreventUserExistenceErrors", "EnableTokenRevocation", "AllowedOAuthFlowsUserPoolClient", "SupportedIdentityProviders"}
	// THEN they agree
	if c, s := pick(one(r.resources("AWS::Cognito::UserPool")), poolKeys...), pick(one(samResources(t, "AWS::Cognito::UserPool")), poolKeys...); c != s {
		t.Errorf("user pool:\n  CDK %s\n  SAM %s", c, s)
	}
	if c, s := pick(one(r.resources("AWS::Cognito::UserPoolClient")), clientKeys...), pick(one(samResources(t, "AWS::Cognito::UserPoolClient")), clientKeys...); c != s {
		t.Errorf("app client:\n  CDK %s\n  SAM %s", c, s)
	}
	groups := func(res map[string]map[string]any) []string {
		var out []string
		for _, g := range res {
			out = append(out, props(g)["GroupName"].(string)+": "+props(g)["Description"].(string))
		}
		return sortedCopy(out)
	}
	if c, s := groups(r.resources("AWS::Cognito::UserPoolGroup")), groups(samResources(t, "AWS::Cognito::UserPoolGroup")); fmt.Sprint(c) != fmt.Sprint(s) {
		t.Errorf("groups: CDK %v, SAM %v", c, s)
	}
}

func TestDriftAlarmsAndOutputs(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	alarmMetrics := func(res map[string]map[string]any) []string {
		var out []string
		for _, a := range res {
			out = append(out, fmt.Sprint(props(a)["MetricName"]))
		}
		sort.Strings(out)
		return out
	}
	// WHEN / THEN they alarm on the same metrics
	if c, s := alarmMetrics(r.resources("AWS::CloudWatch::Alarm")), alarmMetrics(samResources(t, "AWS::CloudWatch::Alarm")); fmt.Sprint(c) != fmt.Sprint(s) {
		t.Errorf("alarms: CDK %v, SAM %v", c, s)
	}
	// AND have the same outputs
	var c, s []string
	for k := range r.json["Outputs"].(map[string]any) {
		c = append(c, k)
	}
	for k := range loadSAM(t)["Outputs"].(map[string]any) {
		s = append(s, k)
	}
	sort.Strings(c)
	sort.Strings(s)
	if fmt.Sprint(c) != fmt.Sprint(s) {
		t.Errorf("outputs: CDK %v, SAM %v", c, s)
	}
}

func TestCfnLintSAMTemplate(t *testing.T) {
	// GIVEN template.yaml WHEN linting it THEN cfn-lint reports no errors
	cfnLint(t, filepath.Join("..", "template.yaml"))
}

func compareMaps[T comparable](t *testing.T, what string, cdk, sam map[string]T) {
	t.Helper()
	names := map[string]bool{}
	for k := range cdk {
		names[k] = true
	}
	for k := range sam {
		names[k] = true
	}
	if len(names) == 0 {
		t.Fatalf("no %ss found", what)
	}
	for k := range names {
		c, cok := cdk[k]
		s, sok := sam[k]
		switch {
		case !cok:
			t.Errorf("%s %s is in template.yaml but not in the CDK stack", what, k)
		case !sok:
			t.Errorf("%s %s is in the CDK stack but not in template.yaml", what, k)
		case c != s:
			t.Errorf("%s %s differs:\n  CDK %+v\n  SAM %+v", what, k, c, s)
		}
	}
}

func TestDriftSecrets(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	describe := func(p map[string]any) string {
		b, _ := json.Marshal(p["GenerateSecretString"])
		return string(b)
	}
	cdk := map[string]string{}
	for _, res := range r.resources("AWS::SecretsManager::Secret") {
		p := props(res)
		cdk[strings.TrimPrefix(p["Name"].(string), cdkPrefix)] = describe(p)
	}
	sam := map[string]string{}
	for _, res := range samResources(t, "AWS::SecretsManager::Secret") {
		p := props(res)
		sam[samName(p["Name"])] = describe(p)
	}
	// WHEN / THEN both create the same secrets, generated the same way
	compareMaps(t, "secret", cdk, sam)
}
