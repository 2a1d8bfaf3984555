package domain_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestExpiryOptions(t *testing.T) {
	now := utc(2026, time.November, 26, 10, 30)
	opt := func(id domain.ExpiryChoice, label string, at time.Time) domain.ExpiryOption {
		return domain.ExpiryOption{ID: id, Label: label, ExpiresAt: at}
	}
	d30 := opt(domain.Expiry30Days, "30 days", utc(2026, time.December, 26, 10, 30))
	d90 := opt(domain.Expiry90Days, "90 days", utc(2027, time.February, 24, 10, 30))
	m6 := opt(domain.Expiry6Months, "6 months", utc(2027, time.May, 26, 10, 30))
	y1 := opt(domain.Expiry1Year, "1 year", utc(2027, time.November, 26, 10, 30))
	end := func(date string, at time.Time) domain.ExpiryOption {
		return opt(domain.ExpiryJourneyEnd, "end of journey ("+date+")", at)
	}

	tests := []struct {
		name    string
		endDate string
		now     time.Time
		want    []domain.ExpiryOption
		wantErr domain.Kind // KindInternal means no error expected
	}{
		{name: "no end date", want: []domain.ExpiryOption{d30, d90, m6, y1}},
		{
			name: "end in 20 days: only journey_end", endDate: "2026-12-16",
			want: []domain.ExpiryOption{end("2026-12-16", utc(2026, time.December, 17, 0, 0))},
		},
		{
			name: "end the day before 30d would expire", endDate: "2026-12-25",
			want: []domain.ExpiryOption{end("2026-12-25", utc(2026, time.December, 26, 0, 0))},
		},
		{
			name: "end on the day 30d expires: 30d ends on the end date", endDate: "2026-12-26",
			want: []domain.ExpiryOption{d30, end("2026-12-26", utc(2026, time.December, 27, 0, 0))},
		},
		{
			name: "end in 5 months", endDate: "2027-04-26",
			want: []domain.ExpiryOption{d30, d90, end("2027-04-26", utc(2027, time.April, 27, 0, 0))},
		},
		{
			name: "end the day before 6m would expire", endDate: "2027-05-25",
			want: []domain.ExpiryOption{d30, d90, end("2027-05-25", utc(2027, time.May, 26, 0, 0))},
		},
		{
			name: "end on the day 6m expires", endDate: "2027-05-26",
			want: []domain.ExpiryOption{d30, d90, m6, end("2027-05-26", utc(2027, time.May, 27, 0, 0))},
		},
		{
			name: "end the day before 1y would expire", endDate: "2027-11-25",
			want: []domain.ExpiryOption{d30, d90, m6, end("2027-11-25", utc(2027, time.November, 26, 0, 0))},
		},
		{
			name: "end exactly one year away: journey_end capped at one year", endDate: "2027-11-26",
			want: []domain.ExpiryOption{d30, d90, m6, y1, end("2027-11-26", utc(2027, time.November, 26, 10, 30))},
		},
		{
			name: "end one year and one day away: no journey_end", endDate: "2027-11-27",
			want: []domain.ExpiryOption{d30, d90, m6, y1},
		},
		{
			name: "end two years away", endDate: "2028-11-26",
			want: []domain.ExpiryOption{d30, d90, m6, y1},
		},
		{
			name: "end date today: not ended, expires at the end of today", endDate: "2026-11-26",
			want: []domain.ExpiryOption{end("2026-11-26", utc(2026, time.November, 27, 0, 0))},
		},
		{
			name: "end date today, last nanosecond of the day", endDate: "2026-11-26",
			now:  time.Date(2026, time.November, 26, 23, 59, 59, 999999999, time.UTC),
			want: []domain.ExpiryOption{end("2026-11-26", utc(2026, time.November, 27, 0, 0))},
		},
		{name: "ended yesterday", endDate: "2026-11-25", wantErr: domain.KindConflict},
		{name: "ended at midnight", endDate: "2026-11-25", now: utc(2026, time.November, 26, 0, 0), wantErr: domain.KindConflict},
		{name: "ended long ago", endDate: "2020-01-01", wantErr: domain.KindConflict},
		{
			name: "now in another time zone is read as UTC: ended", endDate: "2026-11-25",
			// 22:00 on Nov 25 in UTC-8 is 06:00 on Nov 26 UTC.
			now:     time.Date(2026, time.November, 25, 22, 0, 0, 0, time.FixedZone("UTC-8", -8*3600)),
			wantErr: domain.KindConflict,
		},
		{
			name: "now in another time zone: options in UTC", endDate: "2026-11-30",
			now:  time.Date(2026, time.November, 26, 12, 30, 0, 0, time.FixedZone("UTC+2", 2*3600)),
			want: []domain.ExpiryOption{end("2026-11-30", utc(2026, time.December, 1, 0, 0))},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := now
			if !tt.now.IsZero() {
				at = tt.now
			}
			j := domain.Journey{ID: "J1", Name: "Journey", EndDate: tt.endDate}
			got, err := domain.ExpiryOptions(j, at)
			if tt.wantErr != domain.KindInternal {
				if err == nil {
					t.Fatalf("ExpiryOptions() = %v, want error of kind %v", got, tt.wantErr)
				}
				if k := domain.KindOf(err); k != tt.wantErr {
					t.Errorf("KindOf(err) = %v, want %v (err %v)", k, tt.wantErr, err)
				}
				if !strings.Contains(err.Error(), "J1") || !strings.Contains(err.Error(), tt.endDate) {
					t.Errorf("error %q should name the journey and its end date", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ExpiryOptions() error = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ExpiryOptions() mismatch (-want +got):\n%s", diff)
			}
			for _, o := range got {
				if o.ExpiresAt.Location() != time.UTC {
					t.Errorf("option %s expires at %v, not in UTC", o.ID, o.ExpiresAt)
				}
			}
		})
	}
}

// Calendar-month arithmetic clamps to the last day of the month: a token made
// on Aug 31 for 6 months expires on the last day of February, not in March.
func TestExpiryOptionsMonthEnds(t *testing.T) {
	tests := []struct {
		name    string
		now     time.Time
		endDate string
		want    map[domain.ExpiryChoice]time.Time
	}{
		{
			name: "Aug 31",
			now:  utc(2026, time.August, 31, 12, 0),
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:  utc(2026, time.September, 30, 12, 0),
				domain.Expiry90Days:  utc(2026, time.November, 29, 12, 0),
				domain.Expiry6Months: utc(2027, time.February, 28, 12, 0),
				domain.Expiry1Year:   utc(2027, time.August, 31, 12, 0),
			},
		},
		{
			name: "Aug 31 before a leap February",
			now:  utc(2027, time.August, 31, 12, 0),
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:  utc(2027, time.September, 30, 12, 0),
				domain.Expiry90Days:  utc(2027, time.November, 29, 12, 0),
				domain.Expiry6Months: utc(2028, time.February, 29, 12, 0),
				domain.Expiry1Year:   utc(2028, time.August, 31, 12, 0),
			},
		},
		{
			name: "Aug 31, journey ending on the last day of February: 6m is offered",
			now:  utc(2026, time.August, 31, 12, 0), endDate: "2027-02-28",
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:     utc(2026, time.September, 30, 12, 0),
				domain.Expiry90Days:     utc(2026, time.November, 29, 12, 0),
				domain.Expiry6Months:    utc(2027, time.February, 28, 12, 0),
				domain.ExpiryJourneyEnd: utc(2027, time.March, 1, 0, 0),
			},
		},
		{
			name: "Mar 31",
			now:  utc(2026, time.March, 31, 0, 0),
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:  utc(2026, time.April, 30, 0, 0),
				domain.Expiry90Days:  utc(2026, time.June, 29, 0, 0),
				domain.Expiry6Months: utc(2026, time.September, 30, 0, 0),
				domain.Expiry1Year:   utc(2027, time.March, 31, 0, 0),
			},
		},
		{
			name: "Feb 29: one year later is Feb 28",
			now:  utc(2028, time.February, 29, 8, 0),
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:  utc(2028, time.March, 30, 8, 0),
				domain.Expiry90Days:  utc(2028, time.May, 29, 8, 0),
				domain.Expiry6Months: utc(2028, time.August, 29, 8, 0),
				domain.Expiry1Year:   utc(2029, time.February, 28, 8, 0),
			},
		},
		{
			name: "Feb 29, journey ending Feb 28 next year: journey_end capped at one year",
			now:  utc(2028, time.February, 29, 8, 0), endDate: "2029-02-28",
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:     utc(2028, time.March, 30, 8, 0),
				domain.Expiry90Days:     utc(2028, time.May, 29, 8, 0),
				domain.Expiry6Months:    utc(2028, time.August, 29, 8, 0),
				domain.Expiry1Year:      utc(2029, time.February, 28, 8, 0),
				domain.ExpiryJourneyEnd: utc(2029, time.February, 28, 8, 0),
			},
		},
		{
			name: "Feb 29, journey ending Mar 1 next year: more than a year away",
			now:  utc(2028, time.February, 29, 8, 0), endDate: "2029-03-01",
			want: map[domain.ExpiryChoice]time.Time{
				domain.Expiry30Days:  utc(2028, time.March, 30, 8, 0),
				domain.Expiry90Days:  utc(2028, time.May, 29, 8, 0),
				domain.Expiry6Months: utc(2028, time.August, 29, 8, 0),
				domain.Expiry1Year:   utc(2029, time.February, 28, 8, 0),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, err := domain.ExpiryOptions(domain.Journey{ID: "J1", Name: "J", EndDate: tt.endDate}, tt.now)
			if err != nil {
				t.Fatalf("ExpiryOptions() error = %v", err)
			}
			got := map[domain.ExpiryChoice]time.Time{}
			for _, o := range opts {
				got[o.ID] = o.ExpiresAt
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("expiries mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Over two years of days and a range of end dates: every offered expiry is
// after now, within the journey and within a year, and journey_end is offered
// exactly when the end date is at most one year away.
func TestExpiryOptionsInvariants(t *testing.T) {
	start := utc(2027, time.January, 1, 0, 0)
	for day := 0; day < 731; day++ {
		for _, hour := range []int{0, 13} {
			now := start.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + 17*time.Minute)
			oneYear := oneYearLater(now)
			for offset := -1; offset <= 370; offset += 1 {
				endDay := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, offset)
				j := domain.Journey{ID: "J", Name: "J", EndDate: endDay.Format(domain.DateLayout)}
				opts, err := domain.ExpiryOptions(j, now)
				if offset < 0 {
					if domain.KindOf(err) != domain.KindConflict {
						t.Fatalf("now %v end %s: err = %v, want conflict", now, j.EndDate, err)
					}
					continue
				}
				if err != nil {
					t.Fatalf("now %v end %s: err = %v", now, j.EndDate, err)
				}
				endsAt := endDay.AddDate(0, 0, 1)
				hasEnd := false
				for _, o := range opts {
					if !o.ExpiresAt.After(now) || o.ExpiresAt.After(endsAt) || o.ExpiresAt.After(oneYear) {
						t.Fatalf("now %v end %s: option %s expires at %v (journey ends %v, one year %v)", now, j.EndDate, o.ID, o.ExpiresAt, endsAt, oneYear)
					}
					hasEnd = hasEnd || o.ID == domain.ExpiryJourneyEnd
				}
				wantEnd := !endDay.After(time.Date(oneYear.Year(), oneYear.Month(), oneYear.Day(), 0, 0, 0, 0, time.UTC))
				if hasEnd != wantEnd {
					t.Fatalf("now %v end %s: journey_end offered = %v, want %v", now, j.EndDate, hasEnd, wantEnd)
				}
			}
		}
	}
}

// oneYearLater is the same date next year, Feb 29 becoming Feb 28.
func oneYearLater(t time.Time) time.Time {
	y, m, d := t.Date()
	if m == time.February && d == 29 {
		d = 28
	}
	return time.Date(y+1, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

func TestResolveExpiry(t *testing.T) {
	now := utc(2026, time.November, 26, 10, 30)
	tests := []struct {
		name     string
		endDate  string
		choice   domain.ExpiryChoice
		want     time.Time
		wantKind domain.Kind
		wantIDs  []string // offered ids the error must name
	}{
		{name: "30d without end", choice: domain.Expiry30Days, want: utc(2026, time.December, 26, 10, 30)},
		{name: "1y without end", choice: domain.Expiry1Year, want: utc(2027, time.November, 26, 10, 30)},
		{name: "journey_end", endDate: "2027-04-26", choice: domain.ExpiryJourneyEnd, want: utc(2027, time.April, 27, 0, 0)},
		{name: "journey_end capped", endDate: "2027-11-26", choice: domain.ExpiryJourneyEnd, want: utc(2027, time.November, 26, 10, 30)},
		{
			name: "journey_end without end date", choice: domain.ExpiryJourneyEnd,
			wantKind: domain.KindInvalid, wantIDs: []string{"30d", "90d", "6m", "1y"},
		},
		{
			name: "6m past the end date", endDate: "2027-04-26", choice: domain.Expiry6Months,
			wantKind: domain.KindInvalid, wantIDs: []string{"30d", "90d", "journey_end"},
		},
		{
			name: "journey_end more than a year away", endDate: "2028-11-26", choice: domain.ExpiryJourneyEnd,
			wantKind: domain.KindInvalid, wantIDs: []string{"30d", "90d", "6m", "1y"},
		},
		{
			name: "unknown choice", choice: "7d",
			wantKind: domain.KindInvalid, wantIDs: []string{"30d", "90d", "6m", "1y"},
		},
		{
			name: "empty choice", endDate: "2026-12-16", choice: "",
			wantKind: domain.KindInvalid, wantIDs: []string{"journey_end"},
		},
		{name: "ended journey", endDate: "2026-11-25", choice: domain.Expiry30Days, wantKind: domain.KindConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.ResolveExpiry(domain.Journey{ID: "J1", Name: "J", EndDate: tt.endDate}, tt.choice, now)
			if tt.wantKind == domain.KindInternal {
				if err != nil {
					t.Fatalf("ResolveExpiry() error = %v", err)
				}
				if !got.Equal(tt.want) {
					t.Errorf("ResolveExpiry() = %v, want %v", got, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("ResolveExpiry() = %v, want error", got)
			}
			if k := domain.KindOf(err); k != tt.wantKind {
				t.Errorf("KindOf() = %v, want %v (%v)", k, tt.wantKind, err)
			}
			if !got.IsZero() {
				t.Errorf("ResolveExpiry() time = %v on error, want zero", got)
			}
			if tt.wantKind == domain.KindInvalid {
				msg := err.Error()
				if !strings.Contains(msg, fmt.Sprintf("%q", tt.choice)) {
					t.Errorf("error %q does not name the choice %q", msg, tt.choice)
				}
				for _, id := range tt.wantIDs {
					if !strings.Contains(msg, id) {
						t.Errorf("error %q does not name offered choice %s", msg, id)
					}
				}
			}
		})
	}
}
