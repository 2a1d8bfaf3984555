package domain

import "time"

// ExpiryChoice is the id of a token lifetime a marketer can pick.
type ExpiryChoice string

const (
	Expiry30Days     ExpiryChoice = "30d"
	Expiry90Days     ExpiryChoice = "90d"
	Expiry6Months    ExpiryChoice = "6m"
	Expiry1Year      ExpiryChoice = "1y"
	ExpiryJourneyEnd ExpiryChoice = "journey_end"
)

// ExpiryOption is an offered choice with the expiry it would give if picked now.
type ExpiryOption struct {
	ID        ExpiryChoice `json:"id"`
	Label     string       `json:"label"`
	ExpiresAt time.Time    `json:"expires_at"`
}

var durationChoices = []struct {
	id    ExpiryChoice
	label string
	add   func(time.Time) time.Time
}{
	{Expiry30Days, "30 days", func(t time.Time) time.Time { return t.AddDate(0, 0, 30) }},
	{Expiry90Days, "90 days", func(t time.Time) time.Time { return t.AddDate(0, 0, 90) }},
	{Expiry6Months, "6 months", func(t time.Time) time.Time { return addMonths(t, 6) }},
	{Expiry1Year, "1 year", func(t time.Time) time.Time { return addMonths(t, 12) }},
}

// maxTokenLifetime caps every token: none is valid for more than one year.
func maxTokenLifetime(now time.Time) time.Time { return addMonths(now, 12) }

// addMonths adds calendar months to t, clamping the day to the last day of
// the target month (Aug 31 + 6 months = Feb 28/29, not Mar 2/3 as
// time.AddDate's normalisation would give), keeping the time of day.
func addMonths(t time.Time, months int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(months), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	if last := first.AddDate(0, 1, -1).Day(); d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// ExpiryOptions lists the choices offered for a journey at now. A journey
// that has ended gets an error: no token can be generated for it.
func ExpiryOptions(j Journey, now time.Time) ([]ExpiryOption, error) {
	now = now.UTC()
	if j.Ended(now) {
		return nil, Errorf(KindConflict, "journey %s ended on %s: no token can be generated for it", j.ID, j.EndDate)
	}
	end, hasEnd := j.EndsAt()
	var opts []ExpiryOption
	for _, c := range durationChoices {
		at := c.add(now)
		// "Ends on or before the end date": its expiry falls within the journey's last day.
		if hasEnd && at.After(end) {
			continue
		}
		opts = append(opts, ExpiryOption{ID: c.id, Label: c.label, ExpiresAt: at})
	}
	if hasEnd {
		lastDay := end.AddDate(0, 0, -1)
		limitDay := truncateDay(maxTokenLifetime(now))
		if !lastDay.After(limitDay) {
			at := end
			// A journey ending on the day one year from now would otherwise give a
			// token living a few hours over a year.
			if at.After(maxTokenLifetime(now)) {
				at = maxTokenLifetime(now)
			}
			opts = append(opts, ExpiryOption{ID: ExpiryJourneyEnd, Label: "end of journey (" + j.EndDate + ")", ExpiresAt: at})
		}
	}
	return opts, nil
}

// ResolveExpiry returns the expiry time of choice for journey j at now, or a
// KindInvalid error naming the offered choices when choice is not offered.
func ResolveExpiry(j Journey, choice ExpiryChoice, now time.Time) (time.Time, error) {
	opts, err := ExpiryOptions(j, now)
	if err != nil {
		return time.Time{}, err
	}
	ids := make([]string, 0, len(opts))
	for _, o := range opts {
		if o.ID == choice {
			return o.ExpiresAt, nil
		}
		ids = append(ids, string(o.ID))
	}
	return time.Time{}, Errorf(KindInvalid, "expiry choice %q is not offered for journey %s; choose one of %v", choice, j.ID, ids)
}

func truncateDay(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
