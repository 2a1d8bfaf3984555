package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestErrorKinds(t *testing.T) {
	base := domain.Errorf(domain.KindForbidden, "token of journey %s", "J2")
	tests := []struct {
		name     string
		err      error
		wantKind domain.Kind
	}{
		{name: "domain error", err: base, wantKind: domain.KindForbidden},
		{name: "wrapped", err: fmt.Errorf("ingest: %w", base), wantKind: domain.KindForbidden},
		{name: "joined", err: errors.Join(errors.New("x"), domain.Errorf(domain.KindNotFound, "nope")), wantKind: domain.KindNotFound},
		{name: "plain error", err: errors.New("boom"), wantKind: domain.KindInternal},
		{name: "nil", err: nil, wantKind: domain.KindInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.KindOf(tt.err); got != tt.wantKind {
				t.Errorf("KindOf() = %v, want %v", got, tt.wantKind)
			}
		})
	}
	if got, want := base.Error(), "token of journey J2"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}
