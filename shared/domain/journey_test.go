package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestValidJourneyID(t *testing.T) {
	for id, want := range map[string]bool{
		"J1": true, strings.Repeat("é", 128): true,
		"": false, "  ": false, strings.Repeat("j", 129): false, strings.Repeat("j", 10_000): false, "J\x1b[2J": false, "J\u2066": false,
	} {
		if got := domain.ValidJourneyID(id); got != want {
			t.Errorf("ValidJourneyID(%.20q, %d bytes) = %v, want %v", id, len(id), got, want)
		}
	}
}

func TestJourneyValidate(t *testing.T) {
	tests := []struct {
		name    string
		j       domain.Journey
		wantErr string // substring; empty means valid
	}{
		{name: "valid without end", j: domain.Journey{ID: "J1", Name: "Flu campaign"}},
		{name: "valid with end", j: domain.Journey{ID: "J1", Name: "Flu campaign", EndDate: "2027-02-28"}},
		{name: "valid leap day", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2028-02-29"}},
		{name: "id of 128", j: domain.Journey{ID: strings.Repeat("j", 128), Name: "N"}},
		{name: "id of 128 two-byte characters", j: domain.Journey{ID: strings.Repeat("é", 128), Name: "N"}},
		{name: "id of 128 four-byte characters", j: domain.Journey{ID: strings.Repeat("😀", 128), Name: "N"}},
		{name: "missing id", j: domain.Journey{Name: "N"}, wantErr: "id is required"},
		{name: "blank id", j: domain.Journey{ID: " \t", Name: "N"}, wantErr: "id is required"},
		{name: "id of 129", j: domain.Journey{ID: strings.Repeat("j", 129), Name: "N"}, wantErr: "at most 128"},
		{name: "id of 129 two-byte characters", j: domain.Journey{ID: strings.Repeat("é", 129), Name: "N"}, wantErr: "at most 128"},
		{name: "id with an escape sequence", j: domain.Journey{ID: "J\x1b[31m1", Name: "N"}, wantErr: "control characters"},
		{name: "id with a right-to-left override", j: domain.Journey{ID: "J\u202e1", Name: "N"}, wantErr: "control characters"},
		{name: "missing name", j: domain.Journey{ID: "J1"}, wantErr: "name is required"},
		{name: "blank name", j: domain.Journey{ID: "J1", Name: "  "}, wantErr: "name is required"},
		{name: "month 13", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2026-13-01"}, wantErr: "YYYY-MM-DD"},
		{name: "Feb 30", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2026-02-30"}, wantErr: "YYYY-MM-DD"},
		{name: "Feb 29 of a common year", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2027-02-29"}, wantErr: "YYYY-MM-DD"},
		{name: "no zero padding", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2026-1-5"}, wantErr: "YYYY-MM-DD"},
		{name: "slashes", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2026/01/05"}, wantErr: "YYYY-MM-DD"},
		{name: "timestamp", j: domain.Journey{ID: "J1", Name: "N", EndDate: "2026-01-05T00:00:00Z"}, wantErr: "YYYY-MM-DD"},
		{name: "two-digit year", j: domain.Journey{ID: "J1", Name: "N", EndDate: "26-01-05"}, wantErr: "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.j.Validate()
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

func TestJourneyEndsAtAndEnded(t *testing.T) {
	tests := []struct {
		name      string
		endDate   string
		wantAt    time.Time
		wantOK    bool
		now       time.Time
		wantEnded bool
	}{
		{name: "no end date", now: utc(2100, time.January, 1, 0, 0)},
		{name: "invalid end date", endDate: "soon", now: utc(2100, time.January, 1, 0, 0)},
		{
			name: "before the last day", endDate: "2026-12-31", wantOK: true, wantAt: utc(2027, time.January, 1, 0, 0),
			now: utc(2026, time.December, 30, 23, 59),
		},
		{
			name: "during the last day", endDate: "2026-12-31", wantOK: true, wantAt: utc(2027, time.January, 1, 0, 0),
			now: time.Date(2026, time.December, 31, 23, 59, 59, 999999999, time.UTC),
		},
		{
			name: "at the end of the last day", endDate: "2026-12-31", wantOK: true, wantAt: utc(2027, time.January, 1, 0, 0),
			now: utc(2027, time.January, 1, 0, 0), wantEnded: true,
		},
		{
			name: "after the last day", endDate: "2026-12-31", wantOK: true, wantAt: utc(2027, time.January, 1, 0, 0),
			now: utc(2027, time.March, 1, 0, 0), wantEnded: true,
		},
		{
			name: "leap day", endDate: "2028-02-29", wantOK: true, wantAt: utc(2028, time.March, 1, 0, 0),
			now: utc(2028, time.February, 29, 12, 0),
		},
		{
			name: "now in another zone, same instant as the end", endDate: "2026-12-31", wantOK: true, wantAt: utc(2027, time.January, 1, 0, 0),
			now: time.Date(2026, time.December, 31, 19, 0, 0, 0, time.FixedZone("UTC-5", -5*3600)), wantEnded: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := domain.Journey{ID: "J1", Name: "J", EndDate: tt.endDate}
			at, ok := j.EndsAt()
			if ok != tt.wantOK || !at.Equal(tt.wantAt) {
				t.Errorf("EndsAt() = %v, %v; want %v, %v", at, ok, tt.wantAt, tt.wantOK)
			}
			if ok && at.Location() != time.UTC {
				t.Errorf("EndsAt() = %v, not UTC", at)
			}
			if got := j.Ended(tt.now); got != tt.wantEnded {
				t.Errorf("Ended(%v) = %v, want %v", tt.now, got, tt.wantEnded)
			}
		})
	}
}
