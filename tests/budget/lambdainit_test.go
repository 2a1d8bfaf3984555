package budget

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/resources"
)

// TestLambdaInitMakesNoNetworkCalls builds each function's main for the host
// and runs it with its configuration but outside Lambda: init (config, SDK
// clients, wiring) runs, then lambda.Start fails for want of
// AWS_LAMBDA_RUNTIME_API. AWS_ENDPOINT_URL points at a listener that records
// connections: a cold start must not call AWS before the first event.
func TestLambdaInitMakesNoNetworkCalls(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	functions, err := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	if err != nil || len(functions) == 0 {
		t.Fatalf("no functions/*/main.go under %s: %v", root, err)
	}
	bin := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-tags", "lambda.norpc,nethttpomithttp2", "-o", bin+string(os.PathSeparator), "./functions/...")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./functions/...: %v\n%s", err, out)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var connections atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			connections.Add(1)
			c.Close()
		}
	}()
	endpoint := "http://" + ln.Addr().String()
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=" + filepath.Join(home, "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(home, "none"),
		"AWS_LAMBDA_FUNCTION_NAME=init-test",
		resources.WebhookMasterKey.EnvVar + "=init-test-webhook-key",
		resources.EnvWebhookAllowPrivate + "=false",
		resources.EnvUserPoolID + "=us-east-1_InitTest",
		resources.EnvUserPoolClientID + "=init-test",
		resources.EnvCognitoEndpoint + "=" + endpoint,
	}
	for _, q := range resources.Queues {
		env = append(env, q.EnvVar+"="+endpoint+"/000000000000/"+q.ID)
	}
	for _, tb := range resources.All {
		env = append(env, tb.EnvVar+"=init-test-"+tb.ID)
	}

	for _, main := range functions {
		name := filepath.Base(filepath.Dir(main))
		t.Run(name, func(t *testing.T) {
			exe := filepath.Join(bin, name)
			if runtime.GOOS == "windows" {
				exe += ".exe"
			}
			before := connections.Load()
			// Several runs: one process start is noise on a loaded machine.
			var times []time.Duration
			for range initRuns {
				times = append(times, runInit(t, ctx, name, exe, env))
			}
			// Let any stray asynchronous dial land before counting.
			time.Sleep(100 * time.Millisecond)
			if n := connections.Load() - before; n != 0 {
				t.Errorf("%s opened %d connection(s) to the AWS endpoint during init", name, n)
			}
			slices.Sort(times)
			t.Logf("%s: init then lambda.Start exit in %s (median of %d runs, fastest %s), no AWS connection",
				name, times[len(times)/2].Round(100*time.Microsecond), len(times), times[0].Round(100*time.Microsecond))
		})
	}
}

// initRuns is how many times each function's init is run and timed.
const initRuns = 25

// runInit runs one function's main outside Lambda and returns how long it
// took from start to exit: its init, then lambda.Start's failure.
func runInit(t *testing.T, ctx context.Context, name, exe string, env []string) time.Duration {
	t.Helper()
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(runCtx, exe)
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if runCtx.Err() != nil {
		t.Fatalf("%s did not exit within 30s outside Lambda:\n%s", name, out.String())
	}
	if err == nil {
		t.Fatalf("%s exited 0 outside Lambda; expected lambda.Start to fail:\n%s", name, out.String())
	}
	if !strings.Contains(out.String(), "AWS_LAMBDA_RUNTIME_API") {
		t.Fatalf("%s failed before lambda.Start (configuration?): %v\n%s", name, err, out.String())
	}
	return elapsed
}
