// Package browser drives the web console in the system's Chromium, headless,
// against the local stack as `make dev` starts it (free ports, a
// moto_server of its own). Controls are found by their visible labels, as
// PRODUCT.md §8 says tools find them. Each test saves a screenshot of each
// page it sees in its artifact directory (kept with go test -artifacts).
package browser

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/testsupport/hookreceiver"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

var (
	stack *devstack.Stack
	// browser is the one Chromium of the package; each test opens its own
	// tabs in browser contexts of their own (no shared storage).
	browser context.Context
	logs    testenv.SyncBuffer
	// hooks receives the completion webhooks of the tests' callback URLs.
	hooks *hookreceiver.Receiver
)

// EnvChromium names the Chromium (or Chrome) binary to use instead of the
// first of chromiumNames on PATH.
const EnvChromium = "TL_CHROMIUM"

var chromiumNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// errNoChromium is the one line that says how to get Chromium.
var errNoChromium = errors.New("chromium is missing: install it with `apt-get install -y chromium` (as root; make test does that itself), or set " + EnvChromium + " to a Chromium or Chrome binary")

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("browser: skipped in -short mode")
		return 0
	}
	chromium, err := findChromium()
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser:", err)
		return 1
	}
	hooks = hookreceiver.Start()
	defer hooks.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stop func()
	stack, stop, err = testenv.LocalStack(ctx, "browser", slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		func(o *devstack.Options) { o.WebhookRootCAs = hooks.RootCAs() })
	if err != nil {
		fmt.Fprintln(os.Stderr, "browser: start the local stack:", err)
		return 1
	}
	defer stop()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-gpu", true),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox) // Chromium refuses to run as root with its sandbox
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	var cancelBrowser context.CancelFunc
	browser, cancelBrowser = chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		fmt.Fprintf(os.Stderr, "browser: start %s: %v\n", chromium, err)
		return 1
	}
	return testenv.RunShowingLog(m, &logs)
}

func findChromium() (string, error) {
	if p := os.Getenv(EnvChromium); p != "" {
		return exec.LookPath(p)
	}
	for _, name := range chromiumNames {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errNoChromium
}
