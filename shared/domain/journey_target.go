package domain

import "time"

// AddedViaAPI is the journey target's added_via for targets added through the API.
const AddedViaAPI = "API"

// JourneyTarget is one entry of a journey's target list.
type JourneyTarget struct {
	JourneyID      string    `json:"journey_id" dynamodbav:"journey_id"`
	AccountID      string    `json:"account_id" dynamodbav:"account_id"`
	AddedVia       string    `json:"added_via" dynamodbav:"added_via"`
	SourceSystemID string    `json:"source_system_id" dynamodbav:"source_system_id"`
	AddedAt        time.Time `json:"added_at" dynamodbav:"added_at"`
	RequestUUID    string    `json:"request_uuid" dynamodbav:"request_uuid"`
}
