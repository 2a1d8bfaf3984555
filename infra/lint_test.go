package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// cfnLint runs cfn-lint on path and fails the test on errors. cfn-lint's exit
// code is a bit set: 2 = error, 4 = warning, 8 = informational; only errors
// fail (warnings such as W3005 on CDK's redundant DependsOn are fine).
func cfnLint(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint not on PATH")
	}
	out, err := exec.Command(bin, "--format", "parseable", path).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		if exit.ExitCode()&2 != 0 || exit.ExitCode()&1 != 0 {
			t.Fatalf("cfn-lint %s: errors (exit %d):\n%s", path, exit.ExitCode(), out)
		}
		if len(out) > 0 {
			t.Logf("cfn-lint %s: warnings (exit %d):\n%s", path, exit.ExitCode(), out)
		}
	default:
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}

func TestCfnLintCDKTemplate(t *testing.T) {
	// GIVEN the synthesized dev and prod templates written to a temp dir
	for _, stage := range []string{"dev", "prod"} {
		r := synth(t, stage)
		b, err := json.MarshalIndent(r.json, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "TargetLoader-"+stage+".template.json")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		// WHEN linting it THEN cfn-lint reports no errors
		cfnLint(t, path)
	}
}
