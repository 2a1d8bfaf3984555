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
	if err := checkJourneyID(j.ID); err != nil {
		return err
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

// ValidJourneyID reports whether id could name a journey. The API refuses
// any other id before it reads anything: no journey has it, and an
// over-long one would make DynamoDB refuse the read.
func ValidJourneyID(id string) bool { return checkJourneyID(id) == nil }

func checkJourneyID(id string) error {
	switch {
	case strings.TrimSpace(id) == "":
		return Errorf(KindInvalid, "journey id is required")
	case tooLong(id, MaxJourneyIDChars):
		return Errorf(KindInvalid, "journey id must be at most %d characters", MaxJourneyIDChars)
	case hasControlChars(id):
		return Errorf(KindInvalid, "journey id must not contain control characters or bidirectional text controls")
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
