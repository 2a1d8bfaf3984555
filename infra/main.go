// Command infra is the CDK app of Target Loader. Run it through the CDK CLI
// (see Makefile and infra/README.md):
//
//	cdk synth|deploy|destroy -c stage=dev
//
// Context keys (infra/README.md explains each): stage (default "dev"),
// apiRateLimit / apiBurstLimit (API stage throttling, default 100 / 200),
// methodThrottles (JSON {"METHOD /path": {"rate": r, "burst": b}}),
// tokenRateLimit / tokenBurstLimit (per-token limit enforced by ingest,
// default 10 / 20), ingestReservedConcurrency (default 50, 0 for none),
// waf (true/false; default on in prod only), wafRateLimit (per IP and 5
// minutes, default 6000), tracing ("true" for X-Ray), alarmTopicArn (SNS
// topic the alarms notify), alarmEmail (address subscribed to a topic of
// the stack's own; prod needs one of the two), retentionDays (requests and
// loader records, default 400), kmsKey ("true" for a customer managed key
// of the stack's own, or an existing key's ARN).
//
// The app checks the stack with cdk-nag's AwsSolutions rules: an
// unsuppressed finding fails synth and deploy.
//
// Before synthesis the app runs `make build` (the one Lambda build recipe:
// linux/arm64 into <repo>/dist/<name>/bootstrap); the Go build cache makes
// this fast after the first time. Set TL_SKIP_BUILD=1 to use binaries
// already in dist/ (the Makefile's synth and deploy build first).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	stage := contextString(app, "stage", "dev")

	root, err := repoRoot()
	if err != nil {
		fail(err)
	}
	if os.Getenv("TL_SKIP_BUILD") == "" {
		if err := buildFunctions(root); err != nil {
			fail(err)
		}
	}
	dirs := map[string]string{}
	for _, def := range resources.Functions {
		name := def.Name
		dir := filepath.Join(root, "dist", name)
		if _, err := os.Stat(filepath.Join(dir, "bootstrap")); err != nil {
			fail(fmt.Errorf("function %s: %w (run make build)", name, err))
		}
		dirs[name] = dir
	}

	createKey, keyArn := contextKMSKey(app, "kmsKey")
	NewTargetLoaderStack(app, "TargetLoader-"+stage, &TargetLoaderStackProps{
		StackProps: awscdk.StackProps{
			Env: &awscdk.Environment{
				Account: envOrNil("CDK_DEFAULT_ACCOUNT"),
				Region:  envOrNil("CDK_DEFAULT_REGION"),
			},
			Description: jsii.String("Target Loader (" + stage + ")"),
		},
		Stage:           stage,
		AssetDirs:       dirs,
		APIRateLimit:    contextNumber(app, "apiRateLimit", 100),
		APIBurstLimit:   contextNumber(app, "apiBurstLimit", 200),
		TokenRateLimit:  int(contextNumber(app, "tokenRateLimit", 10)),
		TokenBurstLimit: int(contextNumber(app, "tokenBurstLimit", 20)),
		TracingEnabled:  contextString(app, "tracing", "false") == "true",
		AlarmTopicArn:   contextString(app, "alarmTopicArn", ""),
		AlarmEmail:      contextString(app, "alarmEmail", ""),
		MethodThrottles: contextThrottles(app, "methodThrottles"),
		// 0 reserves nothing (the props' zero value means the default).
		IngestReservedConcurrency: int(contextCount(app, "ingestReservedConcurrency", 50, Unreserved)),
		WAF:                       contextBool(app, "waf"),
		WAFRateLimit:              int(contextNumber(app, "wafRateLimit", 6000)),
		RetentionDays:             int(contextNumber(app, "retentionDays", float64(resources.DefaultRetentionDays))),
		CreateKMSKey:              createKey,
		KMSKeyArn:                 keyArn,
	})

	CheckNag(app)
	app.Synth(nil)
}

// buildFunctions runs `make build` in the repository root.
func buildFunctions(root string) error {
	cmd := exec.Command("make", "-C", root, "build")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("make build: %w", err)
	}
	return nil
}

// repoRoot is the directory above infra/ (the app runs with infra/ as its
// working directory); TL_REPO_ROOT overrides it.
func repoRoot() (string, error) {
	if r := os.Getenv("TL_REPO_ROOT"); r != "" {
		return filepath.Abs(r)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root not found above %s (set TL_REPO_ROOT)", wd)
	}
	return root, nil
}

func contextString(app awscdk.App, key, def string) string {
	v := app.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return def
	}
	if s := fmt.Sprint(v); s != "" {
		return s
	}
	return def
}

func contextNumber(app awscdk.App, key string, def float64) float64 {
	s := contextString(app, key, "")
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		fail(fmt.Errorf("context %s: want a positive number, got %q", key, s))
	}
	return f
}

// contextCount is a whole number >= 0; 0 becomes zero.
func contextCount(app awscdk.App, key string, def, zero float64) float64 {
	s := contextString(app, key, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		fail(fmt.Errorf("context %s: want a whole number >= 0, got %q", key, s))
	}
	if n == 0 {
		return zero
	}
	return float64(n)
}

// contextBool is nil when key is not set.
func contextBool(app awscdk.App, key string) *bool {
	s := contextString(app, key, "")
	if s == "" {
		return nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		fail(fmt.Errorf("context %s: want true or false, got %q", key, s))
	}
	return &b
}

// contextThrottles reads a JSON object {"METHOD /path": {"rate": r, "burst": b}},
// given on the command line (a string) or in cdk.json (an object).
func contextThrottles(app awscdk.App, key string) map[string]Throttle {
	v := app.Node().TryGetContext(jsii.String(key))
	if v == nil {
		return nil
	}
	raw, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			fail(fmt.Errorf("context %s: %w", key, err))
		}
		raw = string(b)
	}
	var out map[string]Throttle
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		fail(fmt.Errorf(`context %s: want {"METHOD /path": {"rate": r, "burst": b}}: %w`, key, err))
	}
	for route, t := range out {
		if t.Rate <= 0 || t.Burst < t.Rate {
			fail(fmt.Errorf("context %s: %s: rate must be positive and burst at least the rate", key, route))
		}
	}
	return out
}

// contextKMSKey reads "true" (create a key), "false" (none, the default) or
// the ARN of an existing key.
func contextKMSKey(app awscdk.App, key string) (create bool, arn string) {
	switch s := contextString(app, key, "false"); {
	case s == "true" || s == "false":
		return s == "true", ""
	case strings.HasPrefix(s, "arn:") && strings.Contains(s, ":key/"):
		return false, s
	default:
		fail(fmt.Errorf("context %s: want true, false or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), got %q", key, s))
		return false, ""
	}
}

func envOrNil(name string) *string {
	if v := os.Getenv(name); v != "" {
		return jsii.String(v)
	}
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "infra:", err)
	os.Exit(1)
}
