package domain_test

import (
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestAccountValidate(t *testing.T) {
	valid := domain.Account{ID: "V4T1", Emails: []string{"a@b.com", " c@d.org "}, Status: domain.AccountActive}
	with := func(change func(*domain.Account)) domain.Account {
		a := valid
		change(&a)
		return a
	}
	tests := []struct {
		name    string
		a       domain.Account
		wantErr string // substring; empty means valid
	}{
		{name: "valid", a: valid},
		{name: "inactive", a: with(func(a *domain.Account) { a.Status = domain.AccountInactive })},
		{name: "no emails", a: with(func(a *domain.Account) { a.Emails = nil })},
		{name: "id of 64", a: with(func(a *domain.Account) { a.ID = strings.Repeat("a", 64) })},
		// Limits count characters, not bytes, as the ingest payload's account_id does.
		{name: "id of 64 two-byte characters", a: with(func(a *domain.Account) { a.ID = strings.Repeat("é", 64) })},
		{name: "id of 64 four-byte characters", a: with(func(a *domain.Account) { a.ID = strings.Repeat("😀", 64) })},
		{name: "id of 65", a: with(func(a *domain.Account) { a.ID = strings.Repeat("a", 65) }), wantErr: "at most 64 characters"},
		{name: "id of 65 two-byte characters", a: with(func(a *domain.Account) { a.ID = strings.Repeat("é", 65) }), wantErr: "at most 64 characters"},
		{name: "missing id", a: with(func(a *domain.Account) { a.ID = "" }), wantErr: "account_id is required"},
		{name: "blank id", a: with(func(a *domain.Account) { a.ID = " \t" }), wantErr: "account_id is required"},
		{name: "missing status", a: with(func(a *domain.Account) { a.Status = "" }), wantErr: "status must be"},
		{name: "unknown status", a: with(func(a *domain.Account) { a.Status = "Active" }), wantErr: "status must be"},
		{name: "display-name email", a: with(func(a *domain.Account) { a.Emails = []string{"Bob <b@x.com>"} }), wantErr: "not a plain email address"},
		{name: "email without a dot in its domain", a: with(func(a *domain.Account) { a.Emails = []string{"a@b.com", "b@localhost"} }), wantErr: "b@localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.a.Validate()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Validate() = %q, want it to contain %q", err, tt.wantErr)
			}
			if k := domain.KindOf(err); k != domain.KindInvalid {
				t.Errorf("KindOf() = %v, want KindInvalid", k)
			}
		})
	}
}
