package domain

import "time"

// Batch is the body of one queue message: part of an accepted request.
type Batch struct {
	RequestUUID string    `json:"request_uuid"`
	JourneyID   string    `json:"journey_id"`
	Part        int       `json:"part"`
	Parts       int       `json:"parts"`
	ReceivedAt  time.Time `json:"received_at"`
	Targets     []Target  `json:"targets"`
}
