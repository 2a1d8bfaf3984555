package main

import (
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestJourneysPutChangesOnlyWhatIsGiven(t *testing.T) {
	h := newHarness(t)
	r := h.ok("journeys", "put", "--id", "J1", "--name", "Spring launch", "--end", "2030-06-30")
	if want := "created journey J1\njourney_id: J1\nname: Spring launch\nend_date: 2030-06-30\n"; r.stdout != want {
		t.Errorf("create output %q, want %q", r.stdout, want)
	}
	get := func() domain.Journey {
		t.Helper()
		return decodeJSON[domain.Journey](t, h.ok("journeys", "get", "--id", "J1", "--json").stdout)
	}

	// A new name keeps the end date.
	r = h.ok("journeys", "put", "--id", "J1", "--name", "Spring launch, extended")
	if !strings.HasPrefix(r.stdout, "updated journey J1\n") {
		t.Errorf("update output %q", r.stdout)
	}
	if j := get(); j.Name != "Spring launch, extended" || j.EndDate != "2030-06-30" {
		t.Errorf("after --name: %+v", j)
	}
	// A new end date keeps the name.
	h.ok("journeys", "put", "--id", "J1", "--end", "2031-01-31")
	if j := get(); j.Name != "Spring launch, extended" || j.EndDate != "2031-01-31" {
		t.Errorf("after --end: %+v", j)
	}
	// --no-end removes the end date on purpose.
	j := decodeJSON[domain.Journey](t, h.ok("journeys", "put", "--id", "J1", "--no-end", "--json").stdout)
	if j.Name != "Spring launch, extended" || j.EndDate != "" {
		t.Errorf("put --no-end --json = %+v", j)
	}
	if j := get(); j.EndDate != "" || j.Name != "Spring launch, extended" {
		t.Errorf("after --no-end: %+v", j)
	}
	if out := h.ok("journeys", "get", "--id", "J1").stdout; !strings.Contains(out, "end_date: none") {
		t.Errorf("get output %q", out)
	}

	h.misuse("--end needs a date, YYYY-MM-DD; --no-end removes the end date", "journeys", "put", "--id", "J1", "--end", "")
	h.misuse("if any flags in the group [end no-end] are set none of the others can be", "journeys", "put", "--id", "J1", "--end", "2030-01-01", "--no-end")
	h.misuse("nothing to change: give --name, --end or --no-end", "journeys", "put", "--id", "J1")
	h.fails("is not a date in the form YYYY-MM-DD", "journeys", "put", "--id", "J1", "--end", "30/06/2030")
	h.fails("journey name is required", "journeys", "put", "--id", "J1", "--name", " ")
	h.misuse(`required flag(s) "id" not set`, "journeys", "put", "--name", "x")
	if j := get(); j.Name != "Spring launch, extended" || j.EndDate != "" {
		t.Errorf("refused changes changed the journey: %+v", j)
	}

	// Creating needs a name: an end date alone does not create a journey.
	h.fails("journey J2 does not exist; give it a name to create it", "journeys", "put", "--id", "J2", "--end", "2030-01-01")
	h.fails("journey J2 does not exist", "journeys", "get", "--id", "J2")
	h.fails("journey NOPE does not exist", "journeys", "get", "--id", "NOPE")
}

func TestJourneysList(t *testing.T) {
	h := newHarness(t)
	if out := h.ok("journeys", "list", "--json").stdout; strings.TrimSpace(out) != "[]" {
		t.Errorf("empty list --json = %q", out)
	}
	if out := h.ok("journeys", "list").stdout; out != "stage "+h.stack.Resources.Stage+" has no journeys\n" {
		t.Errorf("empty list = %q", out)
	}
	h.ok("journeys", "put", "--id", "J-B", "--name", "Beta", "--end", "2020-01-31")
	h.ok("journeys", "put", "--id", "J-A", "--name", "Alpha")
	h.ok("journeys", "put", "--id", "J-C", "--name", "Gamma", "--end", "2099-12-31")

	got := decodeJSON[[]domain.Journey](t, h.ok("journeys", "list", "--json").stdout)
	want := []domain.Journey{{ID: "J-A", Name: "Alpha"}, {ID: "J-B", Name: "Beta", EndDate: "2020-01-31"}, {ID: "J-C", Name: "Gamma", EndDate: "2099-12-31"}}
	if len(got) != len(want) {
		t.Fatalf("list --json = %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("journey %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	lines := strings.Split(strings.TrimSpace(h.ok("journeys", "list").stdout), "\n")
	if len(lines) != 4 || strings.Fields(lines[0])[0] != "JOURNEY" ||
		!strings.HasPrefix(lines[1], "J-A") || !strings.HasSuffix(lines[1], "open") || !strings.Contains(lines[1], " - ") ||
		!strings.HasSuffix(lines[2], "ended") || !strings.HasSuffix(lines[3], "open") {
		t.Errorf("list table:\n%s", strings.Join(lines, "\n"))
	}
}
