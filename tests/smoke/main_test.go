// Package smoke runs each function's real bootstrap, built the way it is
// deployed (CGO_ENABLED=0, -tags lambda.norpc,nethttpomithttp2, -trimpath) for the host
// architecture, under the AWS Lambda runtime interface emulator (RIE),
// configured only through its environment as the stack configures it, and
// drives it with the sample events in events/ against moto_server.
//
// The emulator is the Go module github.com/aws/aws-lambda-runtime-interface-emulator,
// installed once with `go install` into a stable temp path (it is not a
// dependency of this module). If it cannot be installed (no module proxy),
// the tests skip and say why.
package smoke

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

const (
	rieModule  = "github.com/aws/aws-lambda-runtime-interface-emulator"
	rieVersion = "v0.0.0-20261030222936-bef5c4ba774d"
)

var (
	// repoRoot is the module root (functions/ and events/ live there).
	repoRoot string
	// prepared is closed when the emulator and the bootstraps are ready
	// (or failed); they are prepared while moto_server starts.
	prepared = make(chan struct{})
	rieBin   string
	rieErr   error
	// bootstraps maps a function name to its built bootstrap.
	bootstraps = map[string]string{}
	buildErr   error
	prepTimes  string
	logPrep    sync.Once
)

var functions = []string{"ingest", "consumer", "manage", "webhooks", "upload"}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	var err error
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "tl-smoke-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	go prepare(tmp)
	code := testenv.Run(m)
	<-prepared // never remove tmp under a running build
	return code
}

// prepare installs the emulator and builds the bootstraps in
// parallel, then closes prepared.
func prepare(tmp string) {
	defer close(prepared)
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var rieTook time.Duration
	wg.Go(func() {
		rieBin, rieErr = installRIE()
		rieTook = time.Since(start)
	})
	for _, name := range functions {
		out := filepath.Join(tmp, name, "bootstrap")
		mu.Lock()
		bootstraps[name] = out
		mu.Unlock()
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-tags", "lambda.norpc,nethttpomithttp2", "-trimpath", "-o", out, "./functions/"+name)
			cmd.Dir = repoRoot
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH)
			if b, err := cmd.CombinedOutput(); err != nil {
				mu.Lock()
				buildErr = fmt.Errorf("go build ./functions/%s: %v\n%s", name, err, b)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	prepTimes = fmt.Sprintf("emulator ready in %s, bootstraps built in %s", rieTook.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
}

// installRIE returns the emulator binary, installing it on first use into a
// stable path under the temp directory so that reruns skip even the link.
func installRIE() (string, error) {
	dir := filepath.Join(os.TempDir(), "targetloader-smoke-rie", rieVersion)
	bin := filepath.Join(dir, "aws-lambda-rie")
	if fi, err := os.Stat(bin); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
		return bin, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	// Install into a private directory and rename, so that concurrent runs
	// never see a half-written binary.
	gobin, err := os.MkdirTemp(dir, "install-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(gobin)
	cmd := exec.Command("go", "install", rieModule+"/cmd/aws-lambda-rie@"+rieVersion)
	cmd.Dir = gobin // outside this module: the emulator is not one of its dependencies
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "CGO_ENABLED=0", "GOOS="+runtime.GOOS, "GOARCH="+runtime.GOARCH, "GOFLAGS=")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go install %s/cmd/aws-lambda-rie@%s: %v\n%s", rieModule, rieVersion, err, out.String())
	}
	if err := os.Rename(filepath.Join(gobin, "aws-lambda-rie"), bin); err != nil {
		return "", err
	}
	return bin, nil
}

// ready waits for the emulator and the bootstraps; it skips the test if the
// emulator cannot be installed and fails it if a bootstrap does not build.
func ready(t *testing.T) {
	t.Helper()
	<-prepared
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	if rieErr != nil {
		t.Skipf("SKIP: the Lambda runtime interface emulator could not be installed (no module proxy?): %v", rieErr)
	}
	logPrep.Do(func() { t.Log(prepTimes) })
}
