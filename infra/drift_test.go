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

// samResources returns template.yaml's resources of type typ with the
// parameters' defaults (see samWith).
func samResources(t *testing.T, typ string) map[string]map[string]any {
	return samResourcesIn(samWith(t, nil), typ)
}

func samResourcesIn(tmpl map[string]any, typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, v := range tmpl["Resources"].(map[string]any) {
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

// ---- parameters and conditions ----

var (
	samWithMu    sync.Mutex
	samWithCache = map[string]map[string]any{}
)

// samWith returns template.yaml as CloudFormation would use it with params
// (the others at their defaults): its conditions evaluated, resources whose
// condition is false left out, Fn::If resolved, AWS::NoValue dropped and
// references to parameters replaced by their values.
func samWith(t *testing.T, params map[string]any) map[string]any {
	t.Helper()
	raw := loadSAM(t)
	values := map[string]any{}
	for name, p := range raw["Parameters"].(map[string]any) {
		values[name] = p.(map[string]any)["Default"]
	}
	for k, v := range params {
		if _, ok := values[k]; !ok {
			t.Fatalf("template.yaml has no parameter %s", k)
		}
		values[k] = v
	}
	key := fmt.Sprint(values)
	samWithMu.Lock()
	defer samWithMu.Unlock()
	if r, ok := samWithCache[key]; ok {
		return r
	}
	e := &cfnEval{params: values, conditions: raw["Conditions"].(map[string]any), done: map[string]bool{}}
	out := map[string]any{}
	for k, v := range raw {
		if k != "Resources" {
			out[k] = v
		}
	}
	res := map[string]any{}
	for id, v := range raw["Resources"].(map[string]any) {
		if c, ok := v.(map[string]any)["Condition"].(string); ok && !e.condition(c) {
			continue
		}
		res[id] = e.resolve(v)
	}
	out["Resources"] = res
	samWithCache[key] = out
	return out
}

// cfnEval evaluates CloudFormation conditions and resolves Fn::If.
type cfnEval struct {
	params     map[string]any
	conditions map[string]any
	done       map[string]bool
}

type noValue struct{}

func (e *cfnEval) condition(name string) bool {
	if v, ok := e.done[name]; ok {
		return v
	}
	v := e.truth(e.conditions[name])
	e.done[name] = v
	return v
}

// truth evaluates a condition expression (Fn::Equals/Not/And/Or, Condition).
func (e *cfnEval) truth(expr any) bool {
	m, _ := expr.(map[string]any)
	args := asList(m["Fn::Equals"])
	switch {
	case len(args) == 2:
		return fmt.Sprint(e.resolve(args[0])) == fmt.Sprint(e.resolve(args[1]))
	case m["Fn::Not"] != nil:
		return !e.truth(asList(m["Fn::Not"])[0])
	case m["Fn::And"] != nil:
		for _, c := range asList(m["Fn::And"]) {
			if !e.truth(c) {
				return false
			}
		}
		return true
	case m["Fn::Or"] != nil:
		for _, c := range asList(m["Fn::Or"]) {
			if e.truth(c) {
				return true
			}
		}
		return false
	case m["Condition"] != nil:
		return e.condition(m["Condition"].(string))
	}
	panic(fmt.Sprintf("condition %v", expr))
}

func (e *cfnEval) resolve(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["Ref"].(string); ok && len(x) == 1 {
			if ref == "AWS::NoValue" {
				return noValue{}
			}
			if p, ok := e.params[ref]; ok {
				return p
			}
			return x
		}
		if args, ok := x["Fn::If"].([]any); ok && len(x) == 1 {
			if e.condition(args[0].(string)) {
				return e.resolve(args[1])
			}
			return e.resolve(args[2])
		}
		out := map[string]any{}
		for k, vv := range x {
			if r := e.resolve(vv); r != (noValue{}) {
				out[k] = r
			}
		}
		return out
	case []any:
		out := []any{}
		for _, vv := range x {
			if r := e.resolve(vv); r != (noValue{}) {
				out = append(out, r)
			}
		}
		return out
	}
	return v
}

// subParams replaces the parameters in Fn::Sub strings that name only
// parameters (e.g. "targetloader-${Stage}-api") by their values.
func subParams(v any, params map[string]any) any {
	switch x := v.(type) {
	case map[string]any:
		if sub, ok := x["Fn::Sub"].(string); ok && len(x) == 1 {
			out := sub
			for k, p := range params {
				out = strings.ReplaceAll(out, "${"+k+"}", fmt.Sprint(p))
			}
			if !strings.Contains(out, "${") {
				return out
			}
		}
		out := map[string]any{}
		for k, vv := range x {
			out[k] = subParams(vv, params)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, vv := range x {
			out[i] = subParams(vv, params)
		}
		return out
	}
	return v
}

// ---- tables ----

// projection is a GSI's projection type and non-key attributes, e.g. "INCLUDE[a b]".
func projection(p any) string {
	m, _ := p.(map[string]any)
	var attrs []string
	for _, a := range asList(m["NonKeyAttributes"]) {
		attrs = append(attrs, fmt.Sprint(a))
	}
	return fmt.Sprintf("%v%v", m["ProjectionType"], attrs)
}

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
		gsis = append(gsis, fmt.Sprintf("%s(%s;%s)", gm["IndexName"], keySchema(gm["KeySchema"]), projection(gm["Projection"])))
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
	return samFunctionsIn(t, samWith(t, nil))
}

func samFunctionsIn(t *testing.T, tmpl map[string]any) (map[string]map[string]any, map[string]string) {
	globals := map[string]any{}
	if g, ok := tmpl["Globals"].(map[string]any); ok {
		globals, _ = g["Function"].(map[string]any)
	}
	out := map[string]map[string]any{}
	logical := map[string]string{}
	for id, res := range samResourcesIn(tmpl, "AWS::Serverless::Function") {
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
		out[lid] = "queue:" + strings.TrimSuffix(samName(props(res)["QueueName"]), ".fifo")
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
	SSE, FIFO, ContentDedup                bool
	DedupScope, ThroughputLimit            any
}

func describeQueue(p map[string]any) queueDesc {
	d := queueDesc{Visibility: num(p["VisibilityTimeout"]), Retention: num(p["MessageRetentionPeriod"]), SSE: p["SqsManagedSseEnabled"] == true,
		FIFO: p["FifoQueue"] == true, ContentDedup: p["ContentBasedDeduplication"] == true,
		DedupScope: p["DeduplicationScope"], ThroughputLimit: p["FifoThroughputLimit"]}
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
	// WHEN / THEN the queues have the same redrive, visibility, retention,
	// encryption and FIFO settings
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
	// AND SAM's authorizer is the user pool's
	apis := samResources(t, "AWS::Serverless::Api")
	for _, api := range apis {
		p := props(api)
		authz, _ := p["Auth"].(map[string]any)["Authorizers"].(map[string]any)["CognitoAuthorizer"].(map[string]any)
		if fmt.Sprint(authz["UserPoolArn"]) != fmt.Sprint(map[string]any{"Fn::GetAtt": []any{"UserPool", "Arn"}}) {
			t.Errorf("SAM authorizer %v", authz)
		}
		// AND API Gateway's own refusals (the 401, throttling, ...) are the same problem documents
		cdkGR := map[string]string{}
		for _, res := range r.resources("AWS::ApiGateway::GatewayResponse") {
			gr := props(res)
			cdkGR[gr["ResponseType"].(string)] = fmt.Sprint(num(gr["StatusCode"]), gr["ResponseParameters"], gr["ResponseTemplates"])
		}
		samGR := map[string]string{}
		for typ, v := range p["GatewayResponses"].(map[string]any) {
			gr := v.(map[string]any)
			headers := map[string]any{}
			for k, h := range gr["ResponseParameters"].(map[string]any)["Headers"].(map[string]any) {
				headers["gatewayresponse.header."+k] = h
			}
			samGR[typ] = fmt.Sprint(num(gr["StatusCode"]), headers, gr["ResponseTemplates"])
		}
		compareMaps(t, "gateway response", cdkGR, samGR)
	}
	// AND the same stage name
	params := loadSAM(t)["Parameters"].(map[string]any)
	def := func(p string) float64 { return num(params[p].(map[string]any)["Default"]) }
	for _, res := range r.resources("AWS::ApiGateway::Stage") {
		for _, api := range samResources(t, "AWS::Serverless::Api") {
			if props(api)["StageName"] != props(res)["StageName"] {
				t.Errorf("stage name: CDK %v, SAM %v", props(res)["StageName"], props(api)["StageName"])
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

type alarmDesc struct {
	Namespace, Metric, Statistic string
	Period, Threshold            float64
	Actions                      int
}

func describeAlarms(t *testing.T, alarms map[string]map[string]any, name func(any) string) map[string]alarmDesc {
	out := map[string]alarmDesc{}
	for _, a := range alarms {
		p := props(a)
		out[name(p["AlarmName"])] = alarmDesc{
			fmt.Sprint(p["Namespace"]), fmt.Sprint(p["MetricName"]), fmt.Sprint(p["Statistic"]),
			num(p["Period"]), num(p["Threshold"]), len(asList(p["AlarmActions"])),
		}
		if len(asList(p["AlarmActions"])) != len(asList(p["OKActions"])) {
			t.Errorf("alarm %s: alarm and OK actions differ", name(p["AlarmName"]))
		}
	}
	return out
}

func TestDriftAlarms(t *testing.T) {
	// GIVEN the CDK prod stack with an alarm email and template.yaml with the same parameters
	r := synth(t, "prod")
	sam := samWith(t, map[string]any{"Stage": "prod", "AlarmEmail": "ops@example.com"})
	// WHEN / THEN they have the same alarms, on the same metrics, thresholds and periods, each notifying the email topic
	cdk := describeAlarms(t, r.resources("AWS::CloudWatch::Alarm"), func(v any) string {
		return strings.TrimPrefix(v.(string), resources.PhysicalName("prod", ""))
	})
	compareMaps(t, "alarm", cdk, describeAlarms(t, samResourcesIn(sam, "AWS::CloudWatch::Alarm"), samName))
	// AND both subscribe the address to a topic of their own that refuses publishing without TLS
	for who, tmpl := range map[string]map[string]any{"CDK": r.json, "SAM": sam} {
		subs := fmt.Sprint(samResourcesIn(tmpl, "AWS::SNS::Subscription"), samResourcesIn(tmpl, "AWS::SNS::Topic"))
		if !strings.Contains(subs, "Endpoint:ops@example.com") || !strings.Contains(subs, "Protocol:email") {
			t.Errorf("%s: no email subscription in %s", who, subs)
		}
		if n := len(samResourcesIn(tmpl, "AWS::SNS::TopicPolicy")); n != 1 {
			t.Errorf("%s: %d topic policies", who, n)
		}
	}
	// AND without a target, SAM's rule refuses prod (as the CDK app's synthesis error does) and accepts other stages
	rule := loadSAM(t)["Rules"].(map[string]any)["ProdAlarmsNotifySomeone"].(map[string]any)
	for _, tc := range []struct {
		params map[string]any
		ok     bool
	}{
		{map[string]any{"Stage": "prod"}, false},
		{map[string]any{"Stage": "prod", "AlarmEmail": "ops@example.com"}, true},
		{map[string]any{"Stage": "prod", "AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:pager"}, true},
		{map[string]any{"Stage": "dev"}, true},
	} {
		values := map[string]any{"Stage": "dev", "AlarmEmail": "", "AlarmTopicArn": ""}
		for k, v := range tc.params {
			values[k] = v
		}
		e := &cfnEval{params: values, done: map[string]bool{}}
		ok := !e.truth(rule["RuleCondition"])
		for _, a := range asList(rule["Assertions"]) {
			ok = ok || e.truth(a.(map[string]any)["Assert"])
		}
		if ok != tc.ok {
			t.Errorf("SAM rule with %v: passes %v, want %v", tc.params, ok, tc.ok)
		}
	}
}

func TestDriftOutputs(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml
	r := synth(t, "dev")
	// WHEN / THEN they have the same outputs
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

// ---- edge ----

func TestDriftMethodSettings(t *testing.T) {
	// GIVEN the CDK dev stack and template.yaml with its defaults
	cdk := map[string]string{}
	for route, m := range synth(t, "dev").methodSettings(t) {
		cdk[route] = describeMethodSetting(m)
	}
	sam := map[string]string{}
	for _, api := range samResources(t, "AWS::Serverless::Api") {
		for _, ms := range asList(props(api)["MethodSettings"]) {
			m := ms.(map[string]any)
			sam[fmt.Sprintf("%s %s", m["HttpMethod"], unescapePath(m["ResourcePath"].(string)))] = describeMethodSetting(m)
		}
	}
	// WHEN / THEN every route has the same throttle and logging
	compareMaps(t, "method setting", cdk, sam)
}

func describeMethodSetting(m map[string]any) string {
	return fmt.Sprintf("rate %v burst %v logging %v data trace %v metrics %v",
		num(m["ThrottlingRateLimit"]), num(m["ThrottlingBurstLimit"]), m["LoggingLevel"], m["DataTraceEnabled"], m["MetricsEnabled"])
}

func TestDriftReservedConcurrency(t *testing.T) {
	for _, tc := range []struct {
		cdk *synthResult
		sam map[string]any
	}{
		// GIVEN the default, and no reservation (CDK Unreserved, SAM 0)
		{synth(t, "dev"), nil},
		{synthWith(t, "reserved-unreserved", TargetLoaderStackProps{Stage: "dev", IngestReservedConcurrency: Unreserved}), map[string]any{"IngestReservedConcurrency": 0}},
	} {
		samFns, _ := samFunctionsIn(t, samWith(t, tc.sam))
		cdkFns := tc.cdk.functionsByName(t, "dev")
		// WHEN / THEN each function reserves the same concurrency
		for _, def := range resources.Functions {
			c, s := cdkFns[def.Name]["ReservedConcurrentExecutions"], samFns[def.Name]["ReservedConcurrentExecutions"]
			if fmt.Sprint(c) != fmt.Sprint(s) && !(c != nil && s != nil && num(c) == num(s)) {
				t.Errorf("%v: %s reserves CDK %v, SAM %v", tc.sam, def.Name, c, s)
			}
		}
	}
}

func TestDriftWebACL(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		// GIVEN the CDK stack and template.yaml of a stage (web ACL on in prod only)
		r := synth(t, stage)
		params := map[string]any{"Stage": stage, "AlarmEmail": "ops@example.com"}
		sam := samWith(t, params)
		acls := samResourcesIn(sam, "AWS::WAFv2::WebACL")
		// WHEN / THEN both have a web ACL and its association exactly in prod
		if c, s := len(r.resources("AWS::WAFv2::WebACL")), len(acls); c != s {
			t.Errorf("%s: web ACLs CDK %d, SAM %d", stage, c, s)
		}
		if c, s := len(r.resources("AWS::WAFv2::WebACLAssociation")), len(samResourcesIn(sam, "AWS::WAFv2::WebACLAssociation")); c != s {
			t.Errorf("%s: associations CDK %d, SAM %d", stage, c, s)
		}
		cdkACL := r.webACL(t)
		if cdkACL == nil {
			continue
		}
		// AND the same rules, responses and visibility
		for _, a := range acls {
			values := map[string]any{}
			for k, v := range samWith(t, params)["Parameters"].(map[string]any) {
				values[k] = v.(map[string]any)["Default"]
			}
			for k, v := range params {
				values[k] = v
			}
			samACL := subParams(props(a), values).(map[string]any)
			for _, k := range []string{"Name", "Scope", "DefaultAction", "VisibilityConfig", "CustomResponseBodies", "Rules"} {
				if c, s := canonical(cdkACL[k]), canonical(samACL[k]); c != s {
					t.Errorf("%s: web ACL %s differs:\n  CDK %s\n  SAM %s", stage, k, c, s)
				}
			}
		}
	}
}

// canonical renders v as JSON with numbers as numbers (YAML gives ints,
// the CDK template floats) and map keys sorted.
func canonical(v any) string {
	b, _ := json.Marshal(v)
	var x any
	_ = json.Unmarshal(b, &x)
	b, _ = json.Marshal(x)
	return string(b)
}

// ---- retention and encryption ----

func TestDriftDefaults(t *testing.T) {
	// GIVEN template.yaml's parameters
	params := loadSAM(t)["Parameters"].(map[string]any)
	p := func(name, field string) float64 { return num(params[name].(map[string]any)[field]) }
	// WHEN / THEN their defaults and bounds are the CDK app's
	for _, c := range []struct {
		name, field string
		want        float64
	}{
		{"RetentionDays", "Default", resources.DefaultRetentionDays},
		{"RetentionDays", "MinValue", resources.MinRetentionDays},
		{"IngestReservedConcurrency", "Default", num(synth(t, "dev").functionsByName(t, "dev")["ingest"]["ReservedConcurrentExecutions"])},
		{"WafRateLimit", "Default", num(asList(synth(t, "prod").webACL(t)["Rules"])[0].(map[string]any)["Statement"].(map[string]any)["RateBasedStatement"].(map[string]any)["Limit"])},
	} {
		if got := p(c.name, c.field); got != c.want {
			t.Errorf("%s %s = %v, want %v", c.name, c.field, got, c.want)
		}
	}
	// AND the functions get the retention period from the parameter, as the CDK stack sets it
	samFns, _ := samFunctions(t)
	for name, fn := range synth(t, "dev").functionsByName(t, "dev") {
		c := fn["Environment"].(map[string]any)["Variables"].(map[string]any)[resources.EnvRetentionDays]
		s := samFns[name]["Environment"].(map[string]any)["Variables"].(map[string]any)[resources.EnvRetentionDays]
		if fmt.Sprint(c) != fmt.Sprint(s) {
			t.Errorf("%s %s: CDK %v, SAM %v", name, resources.EnvRetentionDays, c, s)
		}
	}
}

func TestDriftKMSKey(t *testing.T) {
	// GIVEN the CDK prod stack with an imported key and template.yaml with the same key
	r := variants(t)["imported-key"]
	sam := samWith(t, map[string]any{"Stage": "prod", "KmsKeyArn": importedKeyArn, "AlarmEmail": "ops@example.com", "WafEnabled": "false"})
	encrypted := func(tmpl map[string]any) string {
		var out []string
		for _, typ := range []string{"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::Logs::LogGroup", "AWS::SNS::Topic"} {
			n := 0
			for _, res := range samResourcesIn(tmpl, typ) {
				p := props(res)
				sse, _ := p["SSESpecification"].(map[string]any)
				if sse["KMSMasterKeyId"] == importedKeyArn || p["KmsMasterKeyId"] == importedKeyArn || p["KmsKeyId"] == importedKeyArn {
					n++
				}
				if p["SqsManagedSseEnabled"] != nil {
					out = append(out, fmt.Sprintf("%v also SSE-SQS", p["QueueName"]))
				}
			}
			out = append(out, fmt.Sprintf("%s %d of %d", typ, n, len(samResourcesIn(tmpl, typ))))
		}
		return strings.Join(out, "; ")
	}
	// WHEN / THEN the same tables, queues and log groups are encrypted with it (the topic in neither)
	if c, s := encrypted(r.json), encrypted(sam); c != s {
		t.Errorf("encrypted with the key:\n  CDK %s\n  SAM %s", c, s)
	}
	// AND each function may use it for the same things
	policies := r.rolePolicies(t)
	samFns, _ := samFunctionsIn(t, sam)
	for _, def := range resources.Functions {
		var statements []any
		for _, pol := range asList(samFns[def.Name]["Policies"]) {
			statements = append(statements, asList(pol.(map[string]any)["Statement"])...)
		}
		c, s := kmsGrants(t, policies[def.Name], r.logicalIDs()), kmsGrants(t, statements, samLogicalIDs(t))
		if fmt.Sprint(c) != fmt.Sprint(s) || len(c) == 0 {
			t.Errorf("%s KMS grants: CDK %v, SAM %v", def.Name, c, s)
		}
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
