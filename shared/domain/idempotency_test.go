package domain_test

import (
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestValidIdempotencyKey(t *testing.T) {
	tests := []struct {
		name string
		key  string
		want bool
	}{
		{name: "one character", key: "k", want: true},
		{name: "uuid", key: "0b5c3a9e-1111-4000-8000-000000000001", want: true},
		{name: "255 characters", key: strings.Repeat("k", 255), want: true},
		// Characters, not bytes: 510 and 1,020 bytes.
		{name: "255 two-byte characters", key: strings.Repeat("é", 255), want: true},
		{name: "255 four-byte characters", key: strings.Repeat("🔑", 255), want: true},
		{name: "empty", key: ""},
		{name: "256 characters", key: strings.Repeat("k", 256)},
		{name: "256 two-byte characters", key: strings.Repeat("é", 256)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ValidIdempotencyKey(tt.key); got != tt.want {
				t.Errorf("ValidIdempotencyKey(%d bytes) = %v, want %v", len(tt.key), got, tt.want)
			}
		})
	}
}

func TestIdempotencyItemKey(t *testing.T) {
	if got := domain.IdempotencyItemKey("tok-1", "order-1"); got != "tok-1#order-1" {
		t.Errorf("IdempotencyItemKey = %q", got)
	}
}
