package domain

import (
	"fmt"
	"slices"
	"time"
)

// LoaderRecord is the target loader record of one submitted target
// (PRODUCT.md §5). It is stored with the other records of its message part
// (shared/store/records.go).
type LoaderRecord struct {
	ID                 string           `json:"id"`
	RequestUUID        string           `json:"request_uuid__v"`
	Index              int              `json:"index"`
	Journey            string           `json:"journey__v"`
	SourceSystemID     string           `json:"source_system_id__v"`
	SubmittedEmail     string           `json:"submitted_email__v"`
	SubmittedAccountID string           `json:"submitted_account_id__v"`
	SubmittedFirstName string           `json:"submitted_first_name__v"`
	SubmittedLastName  string           `json:"submitted_last_name__v"`
	Account            string           `json:"account__v"`
	MatchingOutcome    MatchingOutcome  `json:"matching_outcome__v"`
	ProcessingStatus   ProcessingStatus `json:"processing_status__v"`
	FailureReason      string           `json:"failure_reason__v"`
	CreatedAt          time.Time        `json:"created_at"`
	ProcessedAt        time.Time        `json:"processed_at"`
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

// Matches reports whether r is one of the records q selects.
func (q RecordQuery) Matches(r LoaderRecord) bool {
	return (q.JourneyID == "" || r.Journey == q.JourneyID) &&
		(q.RequestUUID == "" || r.RequestUUID == q.RequestUUID) &&
		(q.MatchingOutcome == "" || r.MatchingOutcome == q.MatchingOutcome) &&
		(q.ProcessingStatus == "" || r.ProcessingStatus == q.ProcessingStatus)
}
