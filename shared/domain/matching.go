package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

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

// AccountStatus is a CRM account's status.
type AccountStatus string

const (
	AccountActive   AccountStatus = "active"
	AccountInactive AccountStatus = "inactive"
)

// Account is a CRM account (a healthcare professional).
type Account struct {
	ID        string        `json:"account_id" dynamodbav:"account_id"`
	Emails    []string      `json:"emails,omitempty" dynamodbav:"emails,omitempty"`
	FirstName string        `json:"first_name,omitempty" dynamodbav:"first_name,omitempty"`
	LastName  string        `json:"last_name,omitempty" dynamodbav:"last_name,omitempty"`
	Status    AccountStatus `json:"status" dynamodbav:"status"`
}

// Accounts is what matching needs to know: accounts by id and the ids of the
// accounts that have each normalised email.
type Accounts struct {
	ByID    map[string]Account
	ByEmail map[string][]string
}

// Match is the result of matching one target.
type Match struct {
	AccountID     string
	Outcome       MatchingOutcome
	Status        ProcessingStatus
	FailureReason string
}

// MatchTarget applies PRODUCT.md §4 steps 1 to 5 to one target.
func MatchTarget(t Target, known Accounts) Match {
	email := NormalizedEmail(t.Email)
	emailIDs := known.emailAccountIDs(email)
	if acc, ok := known.ByID[t.AccountID]; ok && t.AccountID != "" {
		if email != "" && len(emailIDs) > 0 && !slices.Contains(emailIDs, acc.ID) {
			return failed("", OutcomeConflict, fmt.Sprintf(
				"The account_id %s and the email %s belong to different accounts (the email belongs to %s)",
				t.AccountID, t.Email, strings.Join(emailIDs, ", ")))
		}
		return active(acc, OutcomeMatchedAccountID, "account_id "+t.AccountID)
	}
	if email != "" {
		switch len(emailIDs) {
		case 0:
		case 1:
			return active(known.ByID[emailIDs[0]], OutcomeMatchedEmail, "email "+t.Email)
		default:
			reason := fmt.Sprintf("Email %s matches %d accounts (%s); submit an account_id to choose one",
				t.Email, len(emailIDs), strings.Join(emailIDs, ", "))
			if t.AccountID != "" {
				reason = fmt.Sprintf("No account has account_id %s, and email %s matches %d accounts (%s)",
					t.AccountID, t.Email, len(emailIDs), strings.Join(emailIDs, ", "))
			}
			return failed("", OutcomeMultipleMatches, reason)
		}
	}
	return failed("", OutcomeNoMatch, noMatchReason(t))
}

// NotAttempted is the result for every target of a journey that ended before processing.
func NotAttempted(j Journey) Match {
	reason := fmt.Sprintf("Journey %s ended on %s before this target was processed", j.ID, j.EndDate)
	if j.EndDate == "" {
		reason = fmt.Sprintf("Journey %s does not exist", j.ID)
	}
	return failed("", OutcomeNotAttempted, reason)
}

// emailAccountIDs lists the known accounts having email, sorted.
func (a Accounts) emailAccountIDs(email string) []string {
	if email == "" {
		return nil
	}
	var ids []string
	for _, id := range a.ByEmail[email] {
		if _, ok := a.ByID[id]; ok {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// active is a match on acc, failed when the account is inactive; matchedOn
// names the submitted value it was matched on.
func active(acc Account, outcome MatchingOutcome, matchedOn string) Match {
	if acc.Status != AccountActive {
		return failed(acc.ID, outcome, fmt.Sprintf("Account %s, matched on %s, is inactive", acc.ID, matchedOn))
	}
	return Match{AccountID: acc.ID, Outcome: outcome, Status: StatusSuccess}
}

func failed(accountID string, outcome MatchingOutcome, reason string) Match {
	return Match{AccountID: accountID, Outcome: outcome, Status: StatusFailed, FailureReason: reason}
}

func noMatchReason(t Target) string {
	switch {
	case t.AccountID != "" && t.Email != "":
		return fmt.Sprintf("No account matches account_id %s or email %s", t.AccountID, t.Email)
	case t.AccountID != "":
		return fmt.Sprintf("No account matches account_id %s", t.AccountID)
	default:
		return fmt.Sprintf("No account matches email %s", t.Email)
	}
}

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
