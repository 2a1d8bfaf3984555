// Command infra is the CDK app of Target Loader. Run it through the CDK CLI
// (see Makefile and infra/README.md):
//
//	cdk synth|deploy|destroy -c stage=dev
//
// Context keys: stage (default "dev"), apiRateLimit / apiBurstLimit (API stage
// throttling, default 100 / 200), tokenRateLimit / tokenBurstLimit (per-token
// limit enforced by ingest, default 10 / 20), tracing ("true" for X-Ray),
// alarmTopicArn (SNS topic the alarms notify; none by default).
//
// Before synthesis the app runs `make build` (the one Lambda build recipe:
// linux/arm64 into <repo>/dist/<name>/bootstrap); the Go build cache makes
// this fast after the first time. Set TL_SKIP_BUILD=1 to use binaries
// already in dist/ (the Makefile's synth and deploy build first).
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

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
	})

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
