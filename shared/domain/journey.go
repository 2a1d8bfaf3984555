package domain

import (
	"strings"
	"time"
)

// DateLayout is the layout of calendar dates (UTC) such as a journey's end date.
const DateLayout = "2006-01-02"

// Journey is a marketing journey. EndDate, when set, is the journey's last day (UTC).
type Journey struct {
	ID      string `json:"journey_id" dynamodbav:"journey_id"`
	Name    string `json:"name" dynamodbav:"name"`
	EndDate string `json:"end_date,omitempty" dynamodbav:"end_date,omitempty"`
}

// Validate checks the journey's id, name and end date.
func (j Journey) Validate() error {
	if strings.TrimSpace(j.ID) == "" {
		return Errorf(KindInvalid, "journey id is required")
	}
	if tooLong(j.ID, MaxJourneyIDChars) {
		return Errorf(KindInvalid, "journey id must be at most %d characters", MaxJourneyIDChars)
	}
	if strings.TrimSpace(j.Name) == "" {
		return Errorf(KindInvalid, "journey name is required")
	}
	if j.EndDate != "" {
		if _, err := time.Parse(DateLayout, j.EndDate); err != nil {
			return Errorf(KindInvalid, "journey end date %q is not a date in the form YYYY-MM-DD", j.EndDate)
		}
	}
	return nil
}

// EndsAt is the instant the journey ends: the end of its last day, UTC.
// ok is false when the journey has no end date.
func (j Journey) EndsAt() (t time.Time, ok bool) {
	if j.EndDate == "" {
		return time.Time{}, false
	}
	d, err := time.Parse(DateLayout, j.EndDate)
	if err != nil {
		return time.Time{}, false
	}
	return d.AddDate(0, 0, 1), true
}

// Ended reports whether the journey's last day is over at now.
func (j Journey) Ended(now time.Time) bool {
	end, ok := j.EndsAt()
	return ok && !now.Before(end)
}
