package domain

// MatchingOutcome is the picklist matching_outcome__v.
type MatchingOutcome string

const (
	OutcomeMatchedAccountID MatchingOutcome = "matched_account_id__v"
	OutcomeMatchedEmail     MatchingOutcome = "matched_email__v"
	OutcomeNoMatch          MatchingOutcome = "no_match__v"
	OutcomeMultipleMatches  MatchingOutcome = "multiple_matches__v"
	OutcomeConflict         MatchingOutcome = "conflict__v"
	OutcomeNotAttempted     MatchingOutcome = "not_attempted__v"
)

// MatchingOutcomes lists every matching outcome, in picklist order.
var MatchingOutcomes = []MatchingOutcome{OutcomeMatchedAccountID, OutcomeMatchedEmail, OutcomeNoMatch, OutcomeMultipleMatches, OutcomeConflict, OutcomeNotAttempted}

// ProcessingStatus is the picklist processing_status__v.
type ProcessingStatus string

const (
	StatusPending ProcessingStatus = "pending__v"
	StatusSuccess ProcessingStatus = "success__v"
	StatusFailed  ProcessingStatus = "failed__v"
)

// ProcessingStatuses lists every processing status, in picklist order.
var ProcessingStatuses = []ProcessingStatus{StatusPending, StatusSuccess, StatusFailed}
