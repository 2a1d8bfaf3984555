// Package boundaries holds the layout's rules to what each package may link,
// checked with `go list -deps`, so that the architecture README describes
// stays true as the code grows.
package boundaries

import (
	"maps"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/targetloader/targetloader"

// lambdas maps each Lambda main to the one handler package it serves.
var lambdas = map[string]string{
	"functions/ingest":   "shared/ingest",
	"functions/consumer": "shared/consumer",
	"functions/manage":   "shared/manage",
	"functions/webhooks": "shared/webhooks",
	"functions/upload":   "shared/upload",
}

// adapters are the packages that talk to AWS on the handlers' behalf.
var adapters = []string{"shared/store", "shared/queue", "shared/secret"}

// deps lists every package pkg links, itself included, with the module
// prefix trimmed from the project's own packages.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"/"+pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	var list []string
	for _, p := range strings.Fields(string(out)) {
		list = append(list, strings.TrimPrefix(p, module+"/"))
	}
	return list
}

func matching(list []string, pred func(string) bool) []string {
	var out []string
	for _, p := range list {
		if pred(p) {
			out = append(out, p)
		}
	}
	return out
}

func under(prefixes ...string) func(string) bool {
	return func(p string) bool {
		for _, pre := range prefixes {
			if p == pre || strings.HasPrefix(p, pre+"/") {
				return true
			}
		}
		return false
	}
}

// A Lambda binary carries what the function runs and nothing else: not the
// local stack, not test support or ops tooling, not the testing package,
// and no other function's handler.
func TestLambdaMainsLinkOnlyTheirOwnHandler(t *testing.T) {
	for main, handler := range lambdas {
		t.Run(main, func(t *testing.T) {
			linked := deps(t, main)
			if bad := matching(linked, under("shared/local", "shared/testsupport", "shared/ops", "cmd", "tests", "testing")); len(bad) > 0 {
				t.Errorf("%s links %v", main, bad)
			}
			if !slices.Contains(linked, handler) {
				t.Errorf("%s does not link its handler %s", main, handler)
			}
			for _, other := range lambdas {
				if other != handler && slices.Contains(linked, other) {
					t.Errorf("%s links another function's handler %s", main, other)
				}
			}
		})
	}
}

// The rules live in domain, which knows nothing of AWS, nor does the
// reading of files (linefile) that tl shares with the service.
func TestDomainImportsNoAWS(t *testing.T) {
	for _, pkg := range []string{"shared/domain", "shared/linefile"} {
		if bad := matching(deps(t, pkg), under("github.com/aws")); len(bad) > 0 {
			t.Errorf("%s links %v", pkg, bad)
		}
	}
}

// Handlers depend on their ports; the adapters (and the AWS SDK clients they
// wrap) are wired in by the wire packages, so handlers stay unit-testable.
func TestHandlersImportNoAdapter(t *testing.T) {
	// shared/submit queues targets for two handlers (ingest, manage): a
	// handler's code too.
	for _, handler := range append(slices.Collect(maps.Values(lambdas)), "shared/submit") {
		t.Run(handler, func(t *testing.T) {
			if bad := matching(deps(t, handler), under(append(adapters, "github.com/aws/aws-sdk-go-v2")...)); len(bad) > 0 {
				t.Errorf("%s links %v", handler, bad)
			}
		})
	}
}

// Commands people run (tl, devstack, the load harness) never link the
// testing package through test support.
func TestCommandsDoNotLinkTesting(t *testing.T) {
	for _, cmd := range []string{"cmd/tl", "cmd/devstack", "cmd/loadtest"} {
		if slices.Contains(deps(t, cmd), "testing") {
			t.Errorf("%s links the testing package", cmd)
		}
	}
}
