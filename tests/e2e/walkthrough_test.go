package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/testsupport/readme"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// TestREADMEWalkthrough runs README's five-minute walkthrough as written:
// its first shell block (make dev) with every port moved by the environment
// variables the walkthrough names, its second with bash -e from the
// repository root, with tl on PATH and the variables the walkthrough says to
// export for it, and without any AWS credentials or configuration. It checks
// what the walkthrough promises, and every output line its comments show.
func TestREADMEWalkthrough(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the walkthrough is a POSIX shell script")
	}
	for _, tool := range []string{"bash", "make", "curl", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the walkthrough needs %s: %v", tool, err)
		}
	}
	w := readWalkthrough(t)

	// The documented port-moving commands, on free ports instead of theirs.
	ports := map[string]string{}
	for _, p := range regexp.MustCompile(`127\.0\.0\.1:(\d+)`).FindAllStringSubmatch(strings.Join(append(w.devEnv, w.tlEnv...), " "), -1) {
		if _, ok := ports[p[1]]; !ok {
			free, err := localaws.FreePort()
			if err != nil {
				t.Fatal(err)
			}
			ports[p[1]] = strconv.Itoa(free)
		}
	}
	moved := func(assignments []string) (env []string, byName map[string]string) {
		byName = map[string]string{}
		for _, a := range assignments {
			name, value, _ := strings.Cut(a, "=")
			for doc, free := range ports {
				value = strings.ReplaceAll(value, "127.0.0.1:"+doc, "127.0.0.1:"+free)
			}
			env, byName[name] = append(env, name+"="+value), value
		}
		return env, byName
	}
	devEnv, dev := moved(w.devEnv)
	tlEnv, tlVars := moved(w.tlEnv)
	for _, name := range []string{"TL_API_ADDR", "TL_LAMBDA_ADDR", "TL_ENDPOINT"} {
		if dev[name] == "" {
			t.Fatalf("the walkthrough's make dev with moved ports does not set %s: %q", name, w.devEnv)
		}
	}
	for _, name := range []string{"TL_API_URL", "TL_ENDPOINT"} {
		if tlVars[name] == "" {
			t.Fatalf("the walkthrough does not export %s for tl: %q", name, w.tlEnv)
		}
	}
	apiURL := tlVars["TL_API_URL"]
	if apiURL != "http://"+dev["TL_API_ADDR"] || tlVars["TL_ENDPOINT"] != dev["TL_ENDPOINT"] {
		t.Fatalf("tl's settings %q do not point at make dev's %q", tlEnv, devEnv)
	}

	// Terminal 1: make dev.
	var devLog testenv.SyncBuffer
	makeDev := exec.Command("bash", "-c", w.makeDev)
	makeDev.Dir = repoRoot
	makeDev.Env = append(environ("AWS_", "TL_", "MAKE", "MFLAGS"), devEnv...)
	makeDev.Stdout, makeDev.Stderr = &devLog, &devLog
	localaws.ConfigureChild(makeDev)
	if err := makeDev.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = makeDev.Wait(); close(exited) }()
	defer func() {
		localaws.StopChild(makeDev, exited, 20*time.Second)
		if t.Failed() {
			t.Logf("make dev:\n%s", devLog.String())
		}
	}()
	waitForAPI(t, apiURL, exited, &devLog)
	// The API answers a moment before make dev prints its banner.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(devLog.String(), "Press Ctrl-C to stop.") && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{apiURL, "http://" + dev["TL_LAMBDA_ADDR"], dev["TL_ENDPOINT"] + "  (moto_server started by devstack)"} {
		if !strings.Contains(devLog.String(), want) {
			t.Errorf("make dev's banner lacks %q", want)
		}
	}

	// Terminal 2: the walkthrough's commands.
	home := t.TempDir()
	env := append(environ("AWS_", "TL_", "MAKE", "MFLAGS", "HOME=", "XDG_CONFIG_HOME=", "PATH="),
		"HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"),
		"PATH="+filepath.Dir(tlBin)+string(os.PathListSeparator)+os.Getenv("PATH"))
	env = append(env, tlEnv...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	script := exec.CommandContext(ctx, "bash", "-e", "-c", w.commands)
	script.Dir = repoRoot
	script.Env = env
	var stdout, stderr strings.Builder
	script.Stdout, script.Stderr = &stdout, &stderr
	err := script.Run()
	defer func() {
		if t.Failed() {
			t.Logf("the walkthrough's stdout:\n%s\nits stderr:\n%s", stdout.String(), stderr.String())
		}
	}()
	if err != nil {
		t.Fatalf("the walkthrough failed under bash -e: %v", err)
	}
	out := stdout.String() + stderr.String()

	// What the walkthrough says happens.
	for _, want := range []string{
		"examples/accounts.csv:17: email \"Dr. Noor Aziz <noor.aziz@example.com>\" is not a plain email address",
		"tl: 1 of 21 rows was bad and skipped",
		"created journey J-DEMO",
		"endpoint: " + apiURL + "/journeys/J-DEMO/targets",
		"HTTP 202\n",
		`"accepted":5`,
		`"status":"completed"`,
		"signed in to " + apiURL + " as marketer@example.com (groups: marketers)",
		"email: marketer@example.com",
		"tl: Only members of the admins group may do this. (HTTP 403)",
		"signed out of " + apiURL + " (marketer@example.com)",
		"8 rows: 7 queued in 1 new request, 0 already imported, 1 bad",
		"8 rows: 0 queued in 0 new requests, 7 already imported, 1 bad",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the walkthrough's output lacks %q", want)
		}
	}
	// Every output line its comments show (… stands for anything; the
	// documented API address for the moved one).
	for _, shown := range w.shownOutput {
		pattern := strings.ReplaceAll(regexp.QuoteMeta(strings.ReplaceAll(shown, "http://127.0.0.1:3000", apiURL)), "…", ".*")
		if !regexp.MustCompile(`(?m)^` + pattern + `$`).MatchString(out) {
			t.Errorf("the walkthrough shows the output line %q, which its run did not print", shown)
		}
	}

	// The five outcomes of the walkthrough's narrative, in the loader list.
	wantRecords := map[string][2]string{
		"cdp-1": {"matched_account_id__v", "success__v"}, // on account id
		"cdp-2": {"matched_email__v", "success__v"},      // on email, case-insensitive
		"cdp-3": {"multiple_matches__v", "failed__v"},    // two accounts share that email
		"cdp-4": {"matched_account_id__v", "failed__v"},  // matched, inactive
		"cdp-5": {"no_match__v", "failed__v"},            // no match
	}
	for source, want := range wantRecords {
		if !hasRow(stdout.String(), source, want[0], want[1]) {
			t.Errorf("tl loader list shows no row of %s with %s and %s", source, want[0], want[1])
		}
	}
	// Only the two successes join the target list, with Added via API and
	// their source system: the admin's listing and the marketer's.
	var targetRows []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "V4T") {
			targetRows = append(targetRows, strings.Join(strings.Fields(line)[:3], " "))
		}
	}
	slices.Sort(targetRows)
	if want := []string{"V4T000000000101 API cdp-1", "V4T000000000101 API cdp-1", "V4T000000000110 API cdp-2", "V4T000000000110 API cdp-2"}; !slices.Equal(targetRows, want) {
		t.Errorf("target list rows %q, want %q", targetRows, want)
	}

	// The same, as JSON, after the walkthrough (tl is the local admin
	// again), with the records of step 6's file once they are processed,
	// a moment after the import: the outcomes API targets get.
	wantImported := map[string][2]string{
		"V4T000000000105":                        {"matched_account_id__v", "success__v"},
		"h.tanaka@keio-example.jp":               {"matched_email__v", "success__v"},
		"Sofia.Rossi@Gemelli-Example.it":         {"matched_email__v", "success__v"},
		"V4T000000000113":                        {"matched_account_id__v", "success__v"},
		"V4T000000000101":                        {"matched_account_id__v", "success__v"},
		"reception@riverside-clinic-example.com": {"multiple_matches__v", "failed__v"},
		"V4T000000000999":                        {"no_match__v", "failed__v"},
	}
	tlJSON := func(out any, args ...string) {
		t.Helper()
		cmd := exec.Command(tlBin, append(args, "--json")...)
		cmd.Env = env
		b, err := cmd.Output()
		if err != nil {
			t.Fatalf("tl %s --json after the walkthrough: %v", strings.Join(args, " "), err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatal(err)
		}
	}
	var records []loaderRecord
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		tlJSON(&records, "loader", "list", "--journey", "J-DEMO")
		if len(records) >= len(wantRecords)+len(wantImported) || time.Now().After(deadline) {
			break
		}
	}
	if len(records) != len(wantRecords)+len(wantImported) {
		t.Errorf("%d loader records, want %d: %+v", len(records), len(wantRecords)+len(wantImported), records)
	}
	for _, r := range records {
		want := wantRecords[r.SourceSystem]
		if r.SourceSystem == "congress-2026" {
			want = wantImported[r.SubmittedAccountID]
			if r.SubmittedAccountID == "" {
				want = wantImported[r.SubmittedEmail]
			}
		}
		if r.Outcome != want[0] || r.Status != want[1] {
			t.Errorf("record of %s (%s%s): %s %s, want %v", r.SourceSystem, r.SubmittedAccountID, r.SubmittedEmail, r.Outcome, r.Status, want)
		}
	}
	// The journey has each matched account once: the file's new ones added
	// via Target Loader, the one the API added in step 3 as it was.
	var targets []struct {
		AccountID      string `json:"account_id"`
		AddedVia       string `json:"added_via"`
		SourceSystemID string `json:"source_system_id"`
	}
	tlJSON(&targets, "targets", "list", "--journey", "J-DEMO")
	var got []string
	for _, tg := range targets {
		got = append(got, tg.AccountID+" "+tg.AddedVia+" "+tg.SourceSystemID)
	}
	slices.Sort(got)
	if want := []string{
		"V4T000000000101 API cdp-1", "V4T000000000105 Target Loader congress-2026", "V4T000000000108 Target Loader congress-2026",
		"V4T000000000109 Target Loader congress-2026", "V4T000000000110 API cdp-2", "V4T000000000113 Target Loader congress-2026",
	}; !slices.Equal(got, want) {
		t.Errorf("target list after the import\n  %q\nwant\n  %q", got, want)
	}
}

// walkthrough is what README's "Five-minute walkthrough" section holds.
type walkthrough struct {
	makeDev, commands string
	// devEnv and tlEnv are the assignments it gives to move the ports:
	// before make dev, and to export where tl runs.
	devEnv, tlEnv []string
	// shownOutput are the output lines its comments show ("#   line").
	shownOutput []string
}

func readWalkthrough(t *testing.T) walkthrough {
	t.Helper()
	section := readme.Section(t, filepath.Join(repoRoot, "README.md"), "## Five-minute walkthrough")
	blocks := readme.ShellBlocks(section)
	if len(blocks) != 2 || strings.TrimSpace(blocks[0]) != "make dev" {
		t.Fatalf("the walkthrough should have two sh blocks, `make dev` and the commands; it has %d", len(blocks))
	}
	w := walkthrough{makeDev: blocks[0], commands: blocks[1]}
	assignments := `((?:TL_[A-Z_]+=\S+\s+)+)`
	if m := regexp.MustCompile("`" + assignments + "make dev`").FindStringSubmatch(section); m != nil {
		w.devEnv = strings.Fields(m[1])
	}
	if m := regexp.MustCompile("export `" + `((?:TL_[A-Z_]+=[^\s` + "`" + `]+\s*)+)` + "`").FindStringSubmatch(section); m != nil {
		w.tlEnv = strings.Fields(m[1])
	}
	for _, line := range strings.Split(w.commands, "\n") {
		// "#   output", where prose goes on with "#    more words".
		if shown, ok := strings.CutPrefix(line, "#   "); ok && !strings.HasPrefix(shown, " ") {
			w.shownOutput = append(w.shownOutput, shown)
		}
	}
	return w
}

// environ is this process's environment less the variables that begin
// with one of drop.
func environ(drop ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(drop, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			env = append(env, kv)
		}
	}
	return env
}

// waitForAPI waits until the local stack's API answers, failing the test
// when make dev exits first or after three minutes (make dev may build).
func waitForAPI(t *testing.T, apiURL string, exited <-chan struct{}, log *testenv.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	c := http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := c.Get(apiURL + "/console/config.json"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-exited:
			t.Fatalf("make dev exited:\n%s", log.String())
		case <-time.After(250 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the local stack did not answer at %s within 3 minutes", apiURL)
		}
	}
}

// hasRow tells whether a line of a table in out holds every one of cells.
func hasRow(out string, cells ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		fields := strings.Fields(line)
		if !slices.ContainsFunc(cells, func(c string) bool { return !slices.Contains(fields, c) }) {
			return true
		}
	}
	return false
}

// TestVersion checks that the version make install stamps (-X
// main.buildVersion, as the Makefile does) is what tl --version shows.
func TestVersion(t *testing.T) {
	makefile, err := os.ReadFile(filepath.Join(repoRoot, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(makefile), `install -ldflags "-X main.buildVersion=$(TL_VERSION)" ./cmd/tl`) {
		t.Error("make install does not stamp main.buildVersion")
	}
	out := tl(t, "--version")
	if want := "tl " + tlVersion + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")\n"; out != want {
		t.Errorf("tl --version = %q, want %q", out, want)
	}
}
