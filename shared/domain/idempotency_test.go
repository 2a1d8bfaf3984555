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
		{name: "every printable ASCII character", key: " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~", want: true},
		{name: "empty", key: ""},
		{name: "256 characters", key: strings.Repeat("k", 256)},
		// Printable ASCII only: no control characters, no escape sequences, nothing beyond ASCII.
		{name: "escape sequence", key: "order-1\x1b[2J"},
		{name: "tab", key: "order\t1"},
		{name: "DEL", key: "order\x7f"},
		{name: "two-byte character", key: "commandé"},
		{name: "four-byte character", key: "🔑"},
		{name: "right-to-left override", key: "order\u202e1"},
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
