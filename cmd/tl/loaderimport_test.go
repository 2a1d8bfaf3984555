package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

var exampleTargets = filepath.Join("..", "..", "examples", "targets.csv")

// drain processes every queued message with the consumer, as in AWS.
func (h *harness) drain() {
	h.t.Helper()
	handlers := h.stack.Wire(h.t, slog.New(slog.DiscardHandler), testenv.Clients{})
	h.stack.Drain(h.t, handlers.Consumer.Handle)
}

// The shipped example through tl: its bad row is reported with its line and
// skipped, the others queued as one request and processed as API targets
// are; importing it again queues nothing and says so.
func TestLoaderImportExample(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J-DEMO", "--name", "Demo")
	h.tl("accounts", "import", filepath.Join("..", "..", "examples", "accounts.csv")) // one bad row: exit 1

	r := h.fails("1 of 8 rows was bad and skipped (see above); the other rows are imported", "loader", "import", "--journey", "J-DEMO", exampleTargets)
	if want := exampleTargets + ":9: email must be a plain email address such as name@example.com"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr %q lacks %q", r.stderr, want)
	}
	lines := strings.Split(r.stdout, "\n")
	if lines[0] != "8 rows: 7 queued in 1 new request, 0 already imported, 1 bad" || !strings.HasPrefix(lines[1], "REQUEST") || !strings.Contains(lines[2], "2-9") || !strings.Contains(lines[2], "queued") {
		t.Errorf("stdout:\n%s", r.stdout)
	}

	// Again, as JSON: the same request, already imported; nothing queued.
	again := decodeJSON[loaderImport](t, h.fails("1 of 8 rows was bad", "loader", "import", "--journey", "J-DEMO", exampleTargets, "--json").stdout)
	if again.Rows != 8 || again.Queued != 0 || again.AlreadyImported != 7 || again.Bad != 1 || len(again.Requests) != 1 || !again.Requests[0].Replayed ||
		again.Requests[0].FirstLine != 2 || again.Requests[0].LastLine != 9 || !slices.Equal(again.BadRows, []badRow{{Line: 9, Message: "email must be a plain email address such as name@example.com"}}) {
		t.Errorf("re-import %+v", again)
	}
	if !strings.Contains(r.stdout, again.Requests[0].RequestUUID) {
		t.Errorf("the re-import names another request than %s", r.stdout)
	}
	if h.stack.QueueDepth(t, h.stack.Resources.QueueURL) != 1 {
		t.Errorf("queue depth %d, want the one message of the first import", h.stack.QueueDepth(t, h.stack.Resources.QueueURL))
	}

	// Processed as API targets are: 5 successes join the journey, added via Target Loader.
	h.drain()
	records := decodeJSON[[]domain.LoaderRecord](t, h.ok("loader", "list", "--request", again.Requests[0].RequestUUID, "--json").stdout)
	outcomes := map[domain.MatchingOutcome]int{}
	for _, rec := range records {
		outcomes[rec.MatchingOutcome]++
	}
	if len(records) != 7 || outcomes[domain.OutcomeMatchedAccountID] != 3 || outcomes[domain.OutcomeMatchedEmail] != 2 ||
		outcomes[domain.OutcomeMultipleMatches] != 1 || outcomes[domain.OutcomeNoMatch] != 1 {
		t.Errorf("records %d, outcomes %v", len(records), outcomes)
	}
	targets := decodeJSON[[]domain.JourneyTarget](t, h.ok("targets", "list", "--journey", "J-DEMO", "--json").stdout)
	if len(targets) != 5 {
		t.Fatalf("targets %+v", targets)
	}
	for _, tg := range targets {
		if tg.AddedVia != domain.AddedViaTargetLoader || tg.SourceSystemID != "congress-2026" {
			t.Errorf("target %+v", tg)
		}
	}
	if table := h.ok("targets", "list", "--journey", "J-DEMO").stdout; !strings.Contains(table, "Target Loader") {
		t.Errorf("targets table:\n%s", table)
	}
}

// A file bigger than one upload goes in parts of 500 rows, from standard
// input too; the bad rows of every part are reported with their file lines.
func TestLoaderImportInParts(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J1", "--name", "Journey")
	var b strings.Builder
	for i := range 1_201 {
		if i == 700 {
			b.WriteString("\n") // a blank line: skipped, but counted in line numbers
		}
		if i%400 == 399 {
			fmt.Fprintf(&b, "{\"source_system_id\":\"s%d\",\"email\":%d}\n", i, i)
			continue
		}
		fmt.Fprintf(&b, "{\"source_system_id\":\"s%d\",\"account_id\":\"A%d\"}\n", i, i)
	}
	r := h.tlIn(b.String(), "loader", "import", "--journey", "J1", "-", "--json")
	if r.code != exitError {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	sum := decodeJSON[loaderImport](t, r.stdout)
	var spans [][2]int
	for _, req := range sum.Requests {
		spans = append(spans, [2]int{req.FirstLine, req.LastLine})
	}
	if sum.Format != "jsonl" || sum.Rows != 1_201 || sum.Queued != 1_198 || sum.Bad != 3 || !slices.Equal(spans, [][2]int{{1, 500}, {501, 1001}, {1002, 1202}}) {
		t.Errorf("summary %+v, spans %v", sum, spans)
	}
	var badLines []int
	for _, bad := range sum.BadRows {
		badLines = append(badLines, bad.Line)
	}
	if !slices.Equal(badLines, []int{400, 801, 1201}) || sum.BadRows[0].Message != "email must be a string" {
		t.Errorf("bad rows %+v", sum.BadRows)
	}
	if n := h.stack.QueueDepth(t, h.stack.Resources.QueueURL); n != 3 {
		t.Errorf("%d messages queued, want one per part", n)
	}
}

func TestLoaderImportRefusals(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J1", "--name", "Journey")
	h.ok("journeys", "put", "--id", "OLD", "--name", "Old", "--end", "2020-01-01")
	h.misuse("give the FILE to import", "loader", "import", "--journey", "J1")
	h.fails("cannot read /no/such.csv: no such file or directory", "loader", "import", "--journey", "J1", "/no/such.csv")
	h.fails("holds no targets", "loader", "import", "--journey", "J1", writeFile(t, "empty.csv", "source_system_id,account_id\n\n"))
	h.fails("The CSV header must name the columns source_system_id,account_id,email,first_name,last_name", "loader", "import", "--journey", "J1",
		writeFile(t, "accounts.csv", "account_id,email,status\nA1,a@example.com,active\n"))
	h.fails("Journey OLD ended on 2020-01-01; it accepts no more targets. (HTTP 409)", "loader", "import", "--journey", "OLD", exampleTargets)
	r := h.fails("holds no valid targets: all 2 rows are bad", "loader", "import", "--journey", "J1", writeFile(t, "bad.csv", "source_system_id,email\n,a@example.com\ns,nope\n"))
	if r.stdout != "2 rows: 0 queued in 0 new requests, 0 already imported, 2 bad\n" {
		t.Errorf("all bad: %q", r.stdout)
	}

	// More than 100,000 rows: refused before anything is sent.
	var b strings.Builder
	b.WriteString("source_system_id,account_id\n")
	for i := range domain.MaxImportRows + 1 {
		fmt.Fprintf(&b, "s,A%d\n", i)
	}
	h.fails("holds 100001 rows; tl loader import takes at most 100000 at once", "loader", "import", "--journey", "J1", writeFile(t, "big.csv", b.String()))
	if n := h.stack.QueueDepth(t, h.stack.Resources.QueueURL); n != 0 {
		t.Errorf("%d messages queued", n)
	}

	// Importing is for admins.
	h.login("marketer@example.com")
	h.fails("Only members of the admins group may do this. (HTTP 403)", "loader", "import", "--journey", "J1", exampleTargets)
}
