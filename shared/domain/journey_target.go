package domain

import "time"

// A journey target's added_via: how its account came to the journey.
const (
	// AddedViaAPI: an external system submitted it with the journey's API token (PRODUCT.md §4).
	AddedViaAPI = "API"
	// AddedViaTargetLoader: a business admin uploaded it in a file (PRODUCT.md §10).
	AddedViaTargetLoader = "Target Loader"
)

// JourneyTarget is one entry of a journey's target list.
type JourneyTarget struct {
	JourneyID      string    `json:"journey_id" dynamodbav:"journey_id"`
	AccountID      string    `json:"account_id" dynamodbav:"account_id"`
	AddedVia       string    `json:"added_via" dynamodbav:"added_via"`
	SourceSystemID string    `json:"source_system_id" dynamodbav:"source_system_id"`
	AddedAt        time.Time `json:"added_at" dynamodbav:"added_at"`
	RequestUUID    string    `json:"request_uuid" dynamodbav:"request_uuid"`
}
