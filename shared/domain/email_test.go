package domain_test

import (
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestNormalizedEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a@b.com", "a@b.com"},
		{"  Bob.Smith@Example.COM\t", "bob.smith@example.com"},
		{"", ""},
		{"   ", ""},
		{"ÉMILE@exemple.fr", "émile@exemple.fr"},
	}
	for _, tt := range tests {
		if got := domain.NormalizedEmail(tt.in); got != tt.want {
			t.Errorf("NormalizedEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
