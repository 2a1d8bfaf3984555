package domain

import (
	"fmt"
	"slices"
	"time"
)

// LoaderRecord is the target loader record of one submitted target (PRODUCT.md §5).
type LoaderRecord struct {
	ID                 string           `json:"id" dynamodbav:"record_id"`
	RequestUUID        string           `json:"request_uuid__v" dynamodbav:"request_uuid"`
	Index              int              `json:"index" dynamodbav:"target_index"`
	Journey            string           `json:"journey__v" dynamodbav:"journey_id"`
	SourceSystemID     string           `json:"source_system_id__v" dynamodbav:"source_system_id"`
	SubmittedEmail     string           `json:"submitted_email__v" dynamodbav:"submitted_email"`
	SubmittedAccountID string           `json:"submitted_account_id__v" dynamodbav:"submitted_account_id"`
	SubmittedFirstName string           `json:"submitted_first_name__v" dynamodbav:"submitted_first_name"`
	SubmittedLastName  string           `json:"submitted_last_name__v" dynamodbav:"submitted_last_name"`
	Account            string           `json:"account__v" dynamodbav:"account"`
	MatchingOutcome    MatchingOutcome  `json:"matching_outcome__v" dynamodbav:"matching_outcome"`
	ProcessingStatus   ProcessingStatus `json:"processing_status__v" dynamodbav:"processing_status"`
	FailureReason      string           `json:"failure_reason__v" dynamodbav:"failure_reason"`
	CreatedAt          time.Time        `json:"created_at" dynamodbav:"created_at"`
	ProcessedAt        time.Time        `json:"processed_at" dynamodbav:"processed_at"`
	// JourneySort orders a journey's records by creation in the by_journey index.
	JourneySort string `json:"-" dynamodbav:"journey_sort"`
}

// RecordID is the stable id of the record of target index in a request.
func RecordID(requestUUID string, index int) string {
	return fmt.Sprintf("%s:%03d", requestUUID, index)
}

// NewLoaderRecord is the record of target t of a request, processed with result m.
func NewLoaderRecord(requestUUID, journeyID string, createdAt, processedAt time.Time, t Target, m Match) LoaderRecord {
	id := RecordID(requestUUID, t.Index)
	return LoaderRecord{
		ID:                 id,
		RequestUUID:        requestUUID,
		Index:              t.Index,
		Journey:            journeyID,
		SourceSystemID:     t.SourceSystemID,
		SubmittedEmail:     t.Email,
		SubmittedAccountID: t.AccountID,
		SubmittedFirstName: t.FirstName,
		SubmittedLastName:  t.LastName,
		Account:            m.AccountID,
		MatchingOutcome:    m.Outcome,
		ProcessingStatus:   m.Status,
		FailureReason:      m.FailureReason,
		CreatedAt:          createdAt.UTC(),
		ProcessedAt:        processedAt.UTC(),
		JourneySort:        createdAt.UTC().Format(time.RFC3339Nano) + "#" + id,
	}
}

// RecordQuery selects target loader records: a journey's, a request's, or
// a request's within a journey, optionally only those of one matching
// outcome and one processing status.
type RecordQuery struct {
	JourneyID        string
	RequestUUID      string
	MatchingOutcome  MatchingOutcome
	ProcessingStatus ProcessingStatus
}

// Validate checks that q names a journey or a request and that its filters
// are picklist values.
func (q RecordQuery) Validate() error {
	if q.JourneyID == "" && q.RequestUUID == "" {
		return Errorf(KindInvalid, "a journey or a request is required")
	}
	if q.MatchingOutcome != "" && !slices.Contains(MatchingOutcomes, q.MatchingOutcome) {
		return Errorf(KindInvalid, "matching_outcome must be one of %v, got %q", MatchingOutcomes, q.MatchingOutcome)
	}
	if q.ProcessingStatus != "" && !slices.Contains(ProcessingStatuses, q.ProcessingStatus) {
		return Errorf(KindInvalid, "processing_status must be one of %v, got %q", ProcessingStatuses, q.ProcessingStatus)
	}
	return nil
}
