package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/signedin"
)

// The stack is synthesized once per stage and shared by all tests: a synth
// costs about a second of node time.
var (
	synthMu    sync.Mutex
	synthCache = map[string]*synthResult{}
)

type synthResult struct {
	tmpl        assertions.Template
	json        map[string]any
	annotations assertions.Annotations
}

// synth returns the template of the stack for stage with its default
// props, except that prod has an alarm email as prod must.
func synth(t *testing.T, stage string) *synthResult {
	t.Helper()
	p := TargetLoaderStackProps{Stage: stage}
	if stage == "prod" {
		p.AlarmEmail = "ops@example.com"
	}
	return synthWith(t, stage, p)
}

// synthWith returns the template of the stack with props p (cached under
// name), built with placeholder function assets (an empty bootstrap file)
// so no Go build happens in tests, and checked by cdk-nag as the app is.
func synthWith(t *testing.T, name string, p TargetLoaderStackProps) *synthResult {
	t.Helper()
	synthMu.Lock()
	defer synthMu.Unlock()
	if r, ok := synthCache[name]; ok {
		return r
	}
	r, err := synthesize(p)
	if err != nil {
		t.Fatal(err)
	}
	synthCache[name] = r
	return r
}

// synthesize builds the stack of p in an app of its own; a failed
// synthesis (a validation error) panics in the assertions library.
func synthesize(p TargetLoaderStackProps) (*synthResult, error) {
	assetRoot, err := os.MkdirTemp("", "tl-infra-assets-")
	if err != nil {
		return nil, err
	}
	dirs := map[string]string{}
	for _, def := range resources.Functions {
		name := def.Name
		dir := filepath.Join(assetRoot, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		// Distinct content per function so each gets its own asset.
		if err := os.WriteFile(filepath.Join(dir, "bootstrap"), []byte("placeholder "+name), 0o755); err != nil {
			return nil, err
		}
		dirs[name] = dir
	}
	outdir, err := os.MkdirTemp("", "tl-infra-cdkout-")
	if err != nil {
		return nil, err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(outdir)})
	p.StackProps = awscdk.StackProps{Env: &awscdk.Environment{
		Account: jsii.String("123456789012"), Region: jsii.String("eu-west-1"),
	}}
	p.AssetDirs = dirs
	stack := NewTargetLoaderStack(app, "TargetLoader-"+p.Stage, &p)
	CheckNag(app)
	tmpl := assertions.Template_FromStack(stack, nil)
	raw, err := json.Marshal(tmpl.ToJSON())
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	return &synthResult{tmpl: tmpl, json: m, annotations: assertions.Annotations_FromStack(stack)}, nil
}

// noPanic runs an assertions check, which panics on failure, as a test failure.
func noPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Errorf("%s: %v", what, r)
		}
	}()
	f()
}

// resources returns the resources of type typ, by logical id.
func (r *synthResult) resources(typ string) map[string]map[string]any {
	out := map[string]map[string]any{}
	for id, v := range r.json["Resources"].(map[string]any) {
		res := v.(map[string]any)
		if res["Type"] == typ {
			out[id] = res
		}
	}
	return out
}

func props(res map[string]any) map[string]any {
	p, _ := res["Properties"].(map[string]any)
	return p
}

// tableByName finds the table whose TableName is name.
func (r *synthResult) tableByName(t *testing.T, name string) map[string]any {
	t.Helper()
	for _, res := range r.resources("AWS::DynamoDB::Table") {
		if props(res)["TableName"] == name {
			return props(res)
		}
	}
	t.Fatalf("no table named %s", name)
	return nil
}

func TestFunctionsAreArmAL2023WithJSONLogs(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN looking at its Lambda functions
	fns := r.resources("AWS::Lambda::Function")
	// THEN there are exactly the service's functions, all provided.al2023 on arm64 with JSON logs
	if len(fns) != len(resources.Functions) {
		t.Fatalf("want %d functions, got %d", len(resources.Functions), len(fns))
	}
	for id, res := range fns {
		p := props(res)
		if p["Runtime"] != "provided.al2023" {
			t.Errorf("%s: Runtime %v", id, p["Runtime"])
		}
		if fmt.Sprint(p["Architectures"]) != "[arm64]" {
			t.Errorf("%s: Architectures %v", id, p["Architectures"])
		}
		if p["Handler"] != "bootstrap" {
			t.Errorf("%s: Handler %v", id, p["Handler"])
		}
		if lc, _ := p["LoggingConfig"].(map[string]any); lc["LogFormat"] != "JSON" {
			t.Errorf("%s: LoggingConfig %v", id, p["LoggingConfig"])
		}
	}
	noPanic(t, "all functions arm64", func() {
		r.tmpl.AllResourcesProperties(jsii.String("AWS::Lambda::Function"), &map[string]any{
			"Runtime":       "provided.al2023",
			"Architectures": []any{"arm64"},
		})
	})
}

// functionsByName returns the synthesized functions' properties by definition name.
func (r *synthResult) functionsByName(t *testing.T, stage string) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, res := range r.resources("AWS::Lambda::Function") {
		p := props(res)
		out[strings.TrimPrefix(p["FunctionName"].(string), resources.PhysicalName(stage, ""))] = p
	}
	if len(out) != len(resources.Functions) {
		t.Fatalf("want %d functions, got %v", len(resources.Functions), keysOf(out))
	}
	return out
}

func TestFunctionSizingMatchesDefinition(t *testing.T) {
	// GIVEN the synthesized dev stack
	fns := synth(t, "dev").functionsByName(t, "dev")
	for _, def := range resources.Functions {
		// WHEN looking at each function of shared/resources
		p := fns[def.Name]
		// THEN its memory and timeout are the definition's
		if p["MemorySize"] != float64(def.MemoryMB) || p["Timeout"] != def.Timeout.Seconds() {
			t.Errorf("%s: %v MB / %v s, want %d MB / %v", def.Name, p["MemorySize"], p["Timeout"], def.MemoryMB, def.Timeout)
		}
	}
}

func TestFunctionEnvironmentMatchesDefinition(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	fns := r.functionsByName(t, "dev")
	logical := r.logicalIDs()
	for _, def := range resources.Functions {
		// WHEN reading each function's environment variables
		vars := fns[def.Name]["Environment"].(map[string]any)["Variables"].(map[string]any)
		// THEN their names are exactly the ones its definition declares (and shared/config reads)
		if got, want := keysOf(vars), sortedCopy(def.Env()); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s env = %v, want %v", def.Name, got, want)
		}
		// AND each table's and queue's variable refers to that table or queue
		for _, a := range def.Tables {
			if got := refTo(vars[a.Table.EnvVar], logical); got != "table:"+a.Table.ID {
				t.Errorf("%s: %s refers to %v", def.Name, a.Table.EnvVar, got)
			}
		}
		for _, a := range def.Queues {
			if got := refTo(vars[a.Queue.EnvVar], logical); got != "queue:"+a.Queue.ID {
				t.Errorf("%s: %s refers to %v", def.Name, a.Queue.EnvVar, got)
			}
		}
	}
}

func TestTablesArePayPerRequestWithPITRAndKeys(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN looking at every table of shared/resources
	if n := len(r.resources("AWS::DynamoDB::Table")); n != len(resources.All) {
		t.Fatalf("want %d tables, got %d", len(resources.All), n)
	}
	for _, def := range resources.All {
		p := r.tableByName(t, resources.PhysicalName("dev", def.ID))
		// THEN it is on-demand, has PITR, and its keys/GSIs/TTL come from the definition
		if p["BillingMode"] != "PAY_PER_REQUEST" {
			t.Errorf("%s: BillingMode %v", def.ID, p["BillingMode"])
		}
		pitr, _ := p["PointInTimeRecoverySpecification"].(map[string]any)
		if pitr["PointInTimeRecoveryEnabled"] != true {
			t.Errorf("%s: PITR %v", def.ID, p["PointInTimeRecoverySpecification"])
		}
		if got, want := keySchema(p["KeySchema"]), defKeys(def.PartitionKey, def.SortKey); got != want {
			t.Errorf("%s: keys %s, want %s", def.ID, got, want)
		}
		gsis := map[string]string{}
		for _, g := range asList(p["GlobalSecondaryIndexes"]) {
			gm := g.(map[string]any)
			gsis[gm["IndexName"].(string)] = keySchema(gm["KeySchema"]) + " " + projection(gm["Projection"])
		}
		if len(gsis) != len(def.Indexes) {
			t.Errorf("%s: %d GSIs, want %d", def.ID, len(gsis), len(def.Indexes))
		}
		for _, ix := range def.Indexes {
			want := defKeys(ix.PartitionKey, ix.SortKey) + " ALL[]"
			if len(ix.Include) > 0 {
				want = defKeys(ix.PartitionKey, ix.SortKey) + fmt.Sprintf(" INCLUDE%v", ix.Include)
			}
			if gsis[ix.Name] != want {
				t.Errorf("%s: GSI %s is %s, want %s", def.ID, ix.Name, gsis[ix.Name], want)
			}
		}
		ttl, _ := p["TimeToLiveSpecification"].(map[string]any)
		if def.TTLAttribute == "" && ttl != nil {
			t.Errorf("%s: unexpected TTL %v", def.ID, ttl)
		}
		if def.TTLAttribute != "" && (ttl["AttributeName"] != def.TTLAttribute || ttl["Enabled"] != true) {
			t.Errorf("%s: TTL %v, want %s", def.ID, ttl, def.TTLAttribute)
		}
	}
}

func TestTokensTableTTL(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN / THEN the tokens table expires items on resources.Tokens.TTLAttribute
	noPanic(t, "tokens TTL", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::DynamoDB::Table"), &map[string]any{
			"TableName": resources.PhysicalName("dev", resources.Tokens.ID),
			"TimeToLiveSpecification": map[string]any{
				"AttributeName": resources.Tokens.TTLAttribute,
				"Enabled":       true,
			},
		})
	})
}

func TestRemovalPolicyByStage(t *testing.T) {
	// GIVEN the dev and prod stacks
	for stage, want := range map[string]string{"dev": "Delete", "prod": "Retain"} {
		r := synth(t, stage)
		// WHEN looking at the tables' deletion policy
		for id, res := range r.resources("AWS::DynamoDB::Table") {
			// THEN prod retains its data and dev does not
			if res["DeletionPolicy"] != want {
				t.Errorf("%s %s: DeletionPolicy %v, want %s", stage, id, res["DeletionPolicy"], want)
			}
		}
	}
}

func TestQueueRedriveAndVisibility(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN looking at the queues
	noPanic(t, "redrive", func() {
		// THEN the targets queue is FIFO, deduplicating and limiting throughput
		// per message group (journey), and moves messages to the DLQ after
		// MaxReceiveCount receives
		r.tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
			"QueueName":                 "targetloader-dev-targets.fifo",
			"FifoQueue":                 true,
			"ContentBasedDeduplication": assertions.Match_Absent(),
			"DeduplicationScope":        "messageGroup",
			"FifoThroughputLimit":       "perMessageGroupId",
			"RedrivePolicy":             assertions.Match_ObjectLike(&map[string]any{"maxReceiveCount": resources.MaxReceiveCount}),
		})
		// AND its DLQ is FIFO too, as SQS requires
		r.tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
			"QueueName":              "targetloader-dev-targets-dlq.fifo",
			"FifoQueue":              true,
			"MessageRetentionPeriod": 14 * 24 * 3600,
			"SqsManagedSseEnabled":   true,
		})
	})
	for _, res := range r.resources("AWS::SQS::Queue") {
		p := props(res)
		if p["SqsManagedSseEnabled"] != true {
			t.Errorf("%v: SSE not enabled", p["QueueName"])
		}
	}
	// AND each queue a function is fed from hides a message as long as that
	// function needs, and moves it to its DLQ after its receive count
	for _, def := range resources.Queues {
		if def.DLQ == nil {
			continue
		}
		noPanic(t, def.ID, func() {
			r.tmpl.HasResourceProperties(jsii.String("AWS::SQS::Queue"), &map[string]any{
				"QueueName":         def.Name("dev"),
				"VisibilityTimeout": resources.FedBy(def).QueueVisibilityTimeout().Seconds(),
				"RedrivePolicy":     assertions.Match_ObjectLike(&map[string]any{"maxReceiveCount": def.MaxReceiveCount}),
			})
		})
	}
	// AND the webhooks queue keeps a message past its last attempt
	if span := (resources.WebhookMaxReceiveCount - 1); span != len(domain.WebhookRetryDelays) || domain.WebhookRetrySpan() >= 4*24*time.Hour {
		t.Errorf("webhooks: %d receives for %d delays over %s", resources.WebhookMaxReceiveCount, len(domain.WebhookRetryDelays), domain.WebhookRetrySpan())
	}
}

func TestEventSources(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	n := 0
	for _, def := range resources.Functions {
		es := def.EventSource
		if es == nil {
			continue
		}
		n++
		// WHEN / THEN each queue-fed function reads batches as its definition says, with partial batch failures
		want := map[string]any{
			"FunctionResponseTypes": []any{"ReportBatchItemFailures"},
			"BatchSize":             es.BatchSize,
			"ScalingConfig":         map[string]any{"MaximumConcurrency": es.MaxConcurrency},
		}
		if es.MaxBatchingWindow > 0 {
			want["MaximumBatchingWindowInSeconds"] = es.MaxBatchingWindow.Seconds()
		} else {
			want["MaximumBatchingWindowInSeconds"] = assertions.Match_Absent() // FIFO queues take none
		}
		noPanic(t, def.Name+" event source mapping", func() {
			r.tmpl.HasResourceProperties(jsii.String("AWS::Lambda::EventSourceMapping"), &want)
		})
	}
	noPanic(t, "event source mappings", func() {
		r.tmpl.ResourceCountIs(jsii.String("AWS::Lambda::EventSourceMapping"), jsii.Number(n))
	})
}

func TestWebhookMasterKey(t *testing.T) {
	for stage, policy := range map[string]string{"dev": "Delete", "prod": "Retain"} {
		// GIVEN the synthesized stack of stage
		r := synth(t, stage)
		// WHEN looking at its secrets
		secrets := r.resources("AWS::SecretsManager::Secret")
		// THEN there is the webhook master key, generated by Secrets Manager, kept in prod
		if len(secrets) != 1 {
			t.Fatalf("%s: %d secrets", stage, len(secrets))
		}
		for id, res := range secrets {
			p := props(res)
			gen, _ := p["GenerateSecretString"].(map[string]any)
			if p["Name"] != resources.PhysicalName(stage, resources.WebhookMasterKey.ID) || num(gen["PasswordLength"]) < 64 || res["DeletionPolicy"] != policy {
				t.Errorf("%s %s: %v", stage, id, res)
			}
		}
	}
	// AND only the functions that derive webhook secrets may read it (TestFunctionPoliciesAreExactlyTheAccessTable)
}

// statements returns every IAM statement of identity policies in the template.
func (r *synthResult) statements() []map[string]any {
	var out []map[string]any
	for _, typ := range []string{"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"} {
		for _, res := range r.resources(typ) {
			doc := props(res)["PolicyDocument"].(map[string]any)
			for _, s := range asList(doc["Statement"]) {
				out = append(out, s.(map[string]any))
			}
		}
	}
	for _, res := range r.resources("AWS::IAM::Role") {
		for _, pol := range asList(props(res)["Policies"]) {
			doc := pol.(map[string]any)["PolicyDocument"].(map[string]any)
			for _, s := range asList(doc["Statement"]) {
				out = append(out, s.(map[string]any))
			}
		}
	}
	return out
}

func TestLeastPrivilege(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	stmts := r.statements()
	if len(stmts) == 0 {
		t.Fatal("no IAM statements found")
	}
	// WHEN looking at every allow statement of every IAM policy
	for _, s := range stmts {
		actions := strs(s["Action"])
		for _, a := range actions {
			// THEN no action is a wildcard over everything or over a whole service
			if a == "*" || a == "dynamodb:*" || a == "sqs:*" || a == "lambda:*" || a == "iam:*" {
				t.Errorf("wildcard action %q in %v", a, s)
			}
		}
		// AND no DynamoDB/SQS statement applies to every resource
		dataPlane := false
		for _, a := range actions {
			if strings.HasPrefix(a, "dynamodb:") || strings.HasPrefix(a, "sqs:") {
				dataPlane = true
			}
		}
		if dataPlane {
			for _, res := range asList(s["Resource"]) {
				if res == "*" {
					t.Errorf("statement %v applies to Resource *", s)
				}
			}
		}
	}
}

// logicalIDs maps the logical id of each table and queue to "table:<id>" or
// "queue:<id>" (resources.Table.ID, resources.Queue.ID), of each named log
// group to "logs:<name>" and of the KMS key to "kms:key".
func (r *synthResult) logicalIDs() map[string]string {
	out := map[string]string{}
	for lid, res := range r.resources("AWS::DynamoDB::Table") {
		out[lid] = "table:" + strings.TrimPrefix(props(res)["TableName"].(string), cdkPrefix)
	}
	for lid, res := range r.resources("AWS::SQS::Queue") {
		out[lid] = "queue:" + strings.TrimSuffix(strings.TrimPrefix(props(res)["QueueName"].(string), cdkPrefix), ".fifo")
	}
	for lid, res := range r.resources("AWS::SecretsManager::Secret") {
		out[lid] = "secret:" + strings.TrimPrefix(props(res)["Name"].(string), cdkPrefix)
	}
	for lid, res := range r.resources("AWS::Logs::LogGroup") {
		if name, ok := props(res)["LogGroupName"].(string); ok {
			out[lid] = "logs:" + name
		}
	}
	for lid := range r.resources("AWS::KMS::Key") {
		out[lid] = "kms:key"
	}
	return out
}

var subArn = regexp.MustCompile(`^\$\{(\w+)\.Arn\}(.*)$`)

// refTo names what a Ref, Fn::GetAtt Arn, Fn::Join of an Arn and a suffix,
// or Fn::Sub "${X.Arn}suffix" points to: "table:<id>", "queue:<id>", or
// "table:<id>/index/<name>" for an index ARN. Anything else is returned as
// its JSON so that a comparison shows it.
func refTo(v any, logical map[string]string) string {
	m, _ := v.(map[string]any)
	if id, ok := m["Ref"].(string); ok && logical[id] != "" {
		return logical[id]
	}
	if ga, ok := m["Fn::GetAtt"].([]any); ok && len(ga) == 2 && ga[1] == "Arn" {
		if id := logical[fmt.Sprint(ga[0])]; id != "" {
			return id
		}
	}
	if j, ok := m["Fn::Join"].([]any); ok && len(j) == 2 && j[0] == "" {
		if parts, _ := j[1].([]any); len(parts) == 2 {
			if base, suffix := refTo(parts[0], logical), fmt.Sprint(parts[1]); strings.Contains(base, ":") {
				return base + suffix
			}
		}
	}
	if sub, ok := m["Fn::Sub"].(string); ok {
		if g := subArn.FindStringSubmatch(sub); g != nil && logical[g[1]] != "" {
			return logical[g[1]] + g[2]
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// access lists, per resource (see refTo), the sorted actions allowed by statements.
func access(t *testing.T, statements []any, logical map[string]string) map[string]string {
	t.Helper()
	byRes := map[string]map[string]bool{}
	for _, s := range statements {
		sm := s.(map[string]any)
		if sm["Effect"] != "Allow" {
			t.Errorf("statement %v is not an Allow", sm)
		}
		for _, res := range asList(sm["Resource"]) {
			key := refTo(res, logical)
			if byRes[key] == nil {
				byRes[key] = map[string]bool{}
			}
			for _, a := range strs(sm["Action"]) {
				byRes[key][a] = true
			}
		}
	}
	out := map[string]string{}
	for res, acts := range byRes {
		out[res] = strings.Join(keysOf(acts), ",")
	}
	return out
}

// wantAccess is what a function may do according to its access table.
func wantAccess(def resources.Function) map[string]string {
	out := map[string]string{}
	join := func(actions []resources.Action) string {
		var s []string
		for _, a := range actions {
			s = append(s, string(a))
		}
		return actionSet(s...)
	}
	for _, a := range def.Tables {
		if len(a.Actions) > 0 {
			out["table:"+a.Table.ID] = join(a.Actions)
		}
		for _, ix := range a.QueriedIndexes {
			out["table:"+a.Table.ID+"/index/"+ix] = string(resources.Query)
		}
	}
	for _, a := range def.Queues {
		out["queue:"+a.Queue.ID] = join(a.Actions)
	}
	for _, a := range def.Secrets {
		out["secret:"+a.Secret.ID] = join(a.Actions)
	}
	return out
}

// actionSet joins comma-separated lists of actions into one, sorted and
// without duplicates.
func actionSet(lists ...string) string {
	set := map[string]bool{}
	for _, l := range lists {
		for _, a := range strings.Split(l, ",") {
			if a != "" {
				set[a] = true
			}
		}
	}
	return strings.Join(keysOf(set), ",")
}

// compareAccess reports each table, index or queue on which a template
// (got) allows other actions than the access table (want).
func compareAccess(t *testing.T, who string, got, want map[string]string) {
	t.Helper()
	all := map[string]bool{}
	for k := range got {
		all[k] = true
	}
	for k := range want {
		all[k] = true
	}
	for _, res := range keysOf(all) {
		if got[res] != want[res] {
			t.Errorf("%s on %s: template allows [%s], access table says [%s]", who, res, got[res], want[res])
		}
	}
}

// pollerActions are what the SQS event source grants the function's role
// on its queue, for Lambda to poll it (not used by the function's code).
const pollerActions = "sqs:ChangeMessageVisibility,sqs:DeleteMessage,sqs:GetQueueAttributes,sqs:GetQueueUrl,sqs:ReceiveMessage"

// logWriteActions are what a function needs on its log group.
const logWriteActions = "logs:CreateLogStream,logs:PutLogEvents"

// rolePolicies returns, per function name, the statements of the policies
// attached to the function's role.
func (r *synthResult) rolePolicies(t *testing.T) map[string][]any {
	t.Helper()
	fnOfRole := map[string]string{}
	for _, res := range r.resources("AWS::Lambda::Function") {
		p := props(res)
		for _, def := range resources.Functions {
			if strings.HasSuffix(p["FunctionName"].(string), "-"+def.Name) {
				fnOfRole[p["Role"].(map[string]any)["Fn::GetAtt"].([]any)[0].(string)] = def.Name
			}
		}
	}
	out := map[string][]any{}
	for _, res := range r.resources("AWS::IAM::Policy") {
		p := props(res)
		for _, role := range asList(p["Roles"]) {
			if fn := fnOfRole[role.(map[string]any)["Ref"].(string)]; fn != "" {
				out[fn] = append(out[fn], asList(p["PolicyDocument"].(map[string]any)["Statement"])...)
			}
		}
	}
	return out
}

func TestFunctionPoliciesAreExactlyTheAccessTable(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	policies := r.rolePolicies(t)
	logical := r.logicalIDs()
	for _, def := range resources.Functions {
		// WHEN collecting, per table, index and queue, the actions its role allows
		got := access(t, policies[def.Name], logical)
		// THEN they are exactly the actions of its access table
		want := wantAccess(def)
		// AND, on the queue of its event source, what Lambda needs to poll it
		if es := def.EventSource; es != nil {
			key := "queue:" + es.Queue.ID
			want[key] = actionSet(want[key], pollerActions)
		}
		// AND writing to its own log group
		want["logs:/aws/lambda/"+resources.PhysicalName("dev", def.Name)] = logWriteActions
		compareAccess(t, "CDK "+def.Name, got, want)
	}
	// AND only the two ways in may send to the targets queue: ingest (the
	// API) and upload (admins' files)
	for _, def := range resources.Functions {
		sends := strings.Contains(access(t, policies[def.Name], logical)["queue:"+resources.TargetsQueue.ID], string(resources.SendMessage))
		if sends != (def.Name == resources.IngestFunction.Name || def.Name == resources.UploadFunction.Name) {
			t.Errorf("%s may send to the queue: %v", def.Name, sends)
		}
	}
}

func TestNoIAMPolicyForMarketers(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN looking for managed policies
	// THEN there are none: marketers and admins sign in to the user pool and
	// need no AWS credentials
	if mps := r.resources("AWS::IAM::ManagedPolicy"); len(mps) != 0 {
		t.Errorf("managed policies %v", keysOf(mps))
	}
}

func TestUserPool(t *testing.T) {
	for _, stage := range []string{"dev", "prod"} {
		// GIVEN the synthesized stack of stage
		r := synth(t, stage)
		// WHEN looking at its user pool
		pools := r.resources("AWS::Cognito::UserPool")
		if len(pools) != 1 {
			t.Fatalf("%s: want one user pool, got %d", stage, len(pools))
		}
		// THEN users are created by ops only, sign in with their email and a
		// strong password, and may add TOTP MFA
		noPanic(t, stage+" pool", func() {
			r.tmpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPool"), &map[string]any{
				"UserPoolName":          resources.UserPoolName(stage),
				"AdminCreateUserConfig": map[string]any{"AllowAdminCreateUserOnly": true},
				"UsernameAttributes":    []any{"email"},
				"Policies": map[string]any{"PasswordPolicy": map[string]any{
					"MinimumLength": resources.PasswordMinLength, "RequireLowercase": true, "RequireUppercase": true,
					"RequireNumbers": true, "RequireSymbols": true, "TemporaryPasswordValidityDays": 3,
				}},
				"MfaConfiguration": "OPTIONAL",
				"EnabledMfas":      []any{"SOFTWARE_TOKEN_MFA"},
			})
		})
		// AND prod keeps the pool (and its users) when the stack is deleted
		for id, res := range pools {
			want, protection := "Delete", "INACTIVE"
			if stage == "prod" {
				want, protection = "Retain", "ACTIVE"
			}
			if res["DeletionPolicy"] != want || props(res)["DeletionProtection"] != protection {
				t.Errorf("%s %s: DeletionPolicy %v, DeletionProtection %v; want %s, %s", stage, id, res["DeletionPolicy"], props(res)["DeletionProtection"], want, protection)
			}
		}
		// AND the groups are exactly marketers and admins
		var groups []string
		for _, g := range r.resources("AWS::Cognito::UserPoolGroup") {
			groups = append(groups, props(g)["GroupName"].(string))
		}
		if fmt.Sprint(sortedCopy(groups)) != fmt.Sprint(sortedCopy(resources.Groups)) {
			t.Errorf("%s groups %v", stage, groups)
		}
		// AND the one app client is public and signs in with a password, SRP or a refresh token
		noPanic(t, stage+" client", func() {
			r.tmpl.ResourceCountIs(jsii.String("AWS::Cognito::UserPoolClient"), jsii.Number(1))
			r.tmpl.HasResourceProperties(jsii.String("AWS::Cognito::UserPoolClient"), &map[string]any{
				"GenerateSecret":             false,
				"ExplicitAuthFlows":          []any{"ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"},
				"IdTokenValidity":            resources.IDTokenValidity.Minutes(),
				"RefreshTokenValidity":       resources.RefreshTokenValidity.Minutes(),
				"ReadAttributes":             []any{"email", "email_verified"},
				"PreventUserExistenceErrors": "ENABLED",
			})
		})
	}
}

func TestAlarms(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	alarms := r.resources("AWS::CloudWatch::Alarm")
	// WHEN / THEN there are at least the four operational alarms
	if len(alarms) < 4 {
		t.Fatalf("want >= 4 alarms, got %d", len(alarms))
	}
	metrics := map[string]bool{}
	for _, a := range alarms {
		metrics[props(a)["MetricName"].(string)] = true
	}
	for _, m := range []string{"ApproximateNumberOfMessagesVisible", "Errors", "5XXError", "ApproximateAgeOfOldestMessage"} {
		if !metrics[m] {
			t.Errorf("no alarm on %s (have %v)", m, metrics)
		}
	}
}

func TestOutputs(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	outs, _ := r.json["Outputs"].(map[string]any)
	// WHEN / THEN the outputs ops and the CLI need exist
	want := []string{"ApiUrl", "ConsoleUrl", "UserPoolId", "UserPoolClientId", "ManageFunctionName", "QueueUrl", "DlqUrl"}
	for _, def := range resources.All {
		want = append(want, constructID("TableName", def.ID))
	}
	for _, o := range want {
		if _, ok := outs[o]; !ok {
			t.Errorf("missing output %s", o)
		}
	}
	for _, gone := range []string{"TokensFunctionName", "MarketerPolicyArn"} {
		if _, ok := outs[gone]; ok {
			t.Errorf("output %s is still there", gone)
		}
	}
}

func TestAPIRoutes(t *testing.T) {
	// GIVEN the synthesized dev stack
	r := synth(t, "dev")
	// WHEN listing the API's methods with their full resource paths,
	// authorization and function
	got := apiRoutes(r)
	// THEN they are exactly resources.Routes: every /manage method behind
	// the Cognito authorizer, no ingest method (and not the console's
	// configuration) behind it, each proxied to its function
	var want []string
	for _, rt := range resources.Routes {
		want = append(want, routeDesc(rt))
	}
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("routes\n  %v\nwant\n  %v", got, want)
	}
	// AND admins' uploads (PRODUCT.md §10) are behind it too
	if up := "POST /manage/journeys/{journey_id}/loader-records COGNITO_USER_POOLS upload"; !slices.Contains(got, up) {
		t.Errorf("routes %v lack %q", got, up)
	}
	for _, g := range got {
		if strings.Contains(g, " /manage/") != strings.Contains(g, " COGNITO_USER_POOLS ") {
			t.Errorf("route %s: a /manage route must have the Cognito authorizer, and no other", g)
		}
	}
	// AND the web console (page, configuration, assets) is served by the
	// manage function without an authorizer: the page signs in itself
	for _, want := range []string{"GET /console NONE manage", "GET /console/config.json NONE manage", "GET /console/{proxy+} NONE manage"} {
		if !slices.Contains(got, want) {
			t.Errorf("routes %v lack %q", got, want)
		}
	}
	noPanic(t, "authorizer, proxy integration and throttling", func() {
		r.tmpl.ResourceCountIs(jsii.String("AWS::ApiGateway::Authorizer"), jsii.Number(1))
		r.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Authorizer"), &map[string]any{
			"Type":           "COGNITO_USER_POOLS",
			"IdentitySource": "method.request.header.Authorization",
			"ProviderARNs":   []any{map[string]any{"Fn::GetAtt": []any{r.logicalID(t, "AWS::Cognito::UserPool"), "Arn"}}},
		})
		r.tmpl.AllResourcesProperties(jsii.String("AWS::ApiGateway::Method"), &map[string]any{
			"Integration": assertions.Match_ObjectLike(&map[string]any{"Type": "AWS_PROXY"}),
		})
		r.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::Stage"), &map[string]any{
			"StageName": APIStageName,
			"MethodSettings": assertions.Match_ArrayWith(&[]any{assertions.Match_ObjectLike(&map[string]any{
				"ThrottlingRateLimit":  100,
				"ThrottlingBurstLimit": 200,
			})}),
			"AccessLogSetting": assertions.Match_ObjectLike(&map[string]any{
				"DestinationArn": assertions.Match_AnyValue(),
			}),
		})
	})
	// AND the authorizer's refusals are the functions' problem document, with the request id
	body, _ := json.Marshal(signedin.SignInRequired())
	if tmpl := UnauthorizedTemplate(); !strings.HasPrefix(tmpl, strings.TrimSuffix(string(body), "}")+",") || !strings.HasSuffix(tmpl, `"request_id":"$context.requestId"}`) {
		t.Errorf("401 template %s", tmpl)
	}
	noPanic(t, "401 gateway response", func() {
		r.tmpl.HasResourceProperties(jsii.String("AWS::ApiGateway::GatewayResponse"), &map[string]any{
			"ResponseType": "UNAUTHORIZED",
			"StatusCode":   "401",
			"ResponseParameters": map[string]any{
				"gatewayresponse.header.Content-Type":     "'application/problem+json'",
				"gatewayresponse.header.WWW-Authenticate": "'" + signedin.WWWAuthenticate + "'",
				"gatewayresponse.header.X-Request-Id":     "context.requestId",
			},
			"ResponseTemplates": map[string]any{"application/json": UnauthorizedTemplate()},
		})
	})
}

// routeDesc is "METHOD path authorization function" of a route.
func routeDesc(rt resources.Route) string {
	auth := "NONE"
	if rt.SignedIn {
		auth = "COGNITO_USER_POOLS"
	}
	return fmt.Sprintf("%s %s %s %s", rt.Method, rt.Path, auth, rt.Function)
}

// logicalID is the logical id of the one resource of type typ.
func (r *synthResult) logicalID(t *testing.T, typ string) string {
	t.Helper()
	res := r.resources(typ)
	if len(res) != 1 {
		t.Fatalf("want one %s, got %d", typ, len(res))
	}
	return keysOf(res)[0]
}

// apiRoutes returns "METHOD /path AUTHORIZATION function" for every API
// method, sorted.
func apiRoutes(r *synthResult) []string {
	res := r.resources("AWS::ApiGateway::Resource")
	var path func(ref any) string
	path = func(ref any) string {
		m, ok := ref.(map[string]any)
		if !ok {
			return ""
		}
		if id, ok := m["Ref"].(string); ok {
			if rr, ok := res[id]; ok {
				p := props(rr)
				return path(p["ParentId"]) + "/" + p["PathPart"].(string)
			}
		}
		return "" // Fn::GetAtt RootResourceId
	}
	fnName := map[string]string{}
	for id, f := range r.resources("AWS::Lambda::Function") {
		fnName[id] = strings.TrimPrefix(props(f)["FunctionName"].(string), cdkPrefix)
	}
	var out []string
	for _, m := range r.resources("AWS::ApiGateway::Method") {
		p := props(m)
		if p["HttpMethod"] == "OPTIONS" {
			continue
		}
		// The integration's URI names the function with Fn::GetAtt.
		uri, _ := json.Marshal(p["Integration"].(map[string]any)["Uri"])
		fn := "?"
		for id, name := range fnName {
			if strings.Contains(string(uri), `"`+id+`"`) {
				fn = name
			}
		}
		out = append(out, fmt.Sprintf("%s %s %s %s", p["HttpMethod"], path(p["ResourceId"]), p["AuthorizationType"], fn))
	}
	sort.Strings(out)
	return out
}

func keySchema(v any) string {
	var parts []string
	for _, k := range asList(v) {
		km := k.(map[string]any)
		parts = append(parts, fmt.Sprintf("%s:%s", km["AttributeName"], km["KeyType"]))
	}
	return strings.Join(parts, ",")
}

func defKeys(pk resources.Key, sk *resources.Key) string {
	s := pk.Name + ":HASH"
	if sk != nil {
		s += "," + sk.Name + ":RANGE"
	}
	return s
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	default:
		return []any{x}
	}
}

func strs(v any) []string {
	var out []string
	for _, x := range asList(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func keysOf[V any](m map[string]V) []string {
	out := []string{}
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedCopy(s []string) []string {
	out := append([]string{}, s...)
	sort.Strings(out)
	return out
}

func TestAlarmTopic(t *testing.T) {
	// GIVEN a stack deployed with an SNS topic for alarms
	topic := "arn:aws:sns:eu-west-1:123456789012:pager"
	// WHEN synthesized
	r := synthWith(t, "alarm-topic", TargetLoaderStackProps{Stage: "alarms", AlarmTopicArn: topic})
	// THEN every alarm notifies the topic on alarm and on recovery
	noPanic(t, "alarm actions", func() {
		r.tmpl.AllResourcesProperties(jsii.String("AWS::CloudWatch::Alarm"), &map[string]any{
			"AlarmActions": []any{topic},
			"OKActions":    []any{topic},
		})
	})
}

// functionNames lists the names of resources.Functions, sorted.
func functionNames() []string {
	var out []string
	for _, def := range resources.Functions {
		out = append(out, def.Name)
	}
	return sortedCopy(out)
}
