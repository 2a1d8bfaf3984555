package integration

import (
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/store"
)

func TestAccountImportKeepsEmailLookupInStep(t *testing.T) {
	e := newEnv(t)
	s := e.stack.Accounts()
	a1 := domain.Account{ID: "A1", Emails: []string{"Old@Example.com"}, FirstName: "Ann", Status: domain.AccountActive}
	a2 := domain.Account{ID: "A2", Emails: []string{"old@example.com"}, Status: domain.AccountActive}
	stats, err := s.Import(e.ctx(), []domain.Account{a1, a2})
	if err != nil || stats != (store.ImportStats{Created: 2}) {
		t.Fatalf("first import = %+v, %v", stats, err)
	}
	stats, err = s.Import(e.ctx(), []domain.Account{a1, a2})
	if err != nil || stats != (store.ImportStats{Unchanged: 2}) {
		t.Fatalf("re-import = %+v, %v", stats, err)
	}
	// A1 moves to a new email and is renamed; A2 is unchanged.
	a1.Emails, a1.FirstName = []string{"new@example.com"}, "Anne"
	stats, err = s.Import(e.ctx(), []domain.Account{a1, a2})
	if err != nil || stats != (store.ImportStats{Updated: 1, Unchanged: 1}) {
		t.Fatalf("import of a change = %+v, %v", stats, err)
	}
	known, err := s.Lookup(e.ctx(), nil, []string{"old@example.com", "NEW@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if got := known.ByEmail["old@example.com"]; len(got) != 1 || got[0] != "A2" {
		t.Errorf("old@example.com -> %v, want [A2]", got)
	}
	if got := known.ByEmail["new@example.com"]; len(got) != 1 || got[0] != "A1" {
		t.Errorf("new@example.com -> %v, want [A1]", got)
	}
	if known.ByID["A1"].FirstName != "Anne" {
		t.Errorf("A1 = %+v", known.ByID["A1"])
	}
}
