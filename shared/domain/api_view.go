package domain

import "fmt"

// APIRecord is a target loader record as the ingest API shows it to the
// system that submitted the target (PRODUCT.md §3): the fields of the full
// record, holding nothing about the CRM beyond what that system sent. It is
// a type of its own so that a full record cannot reach the API by mistake;
// build one with LoaderRecord.APIView.
type APIRecord LoaderRecord

// APIView is r as the API shows it: account__v only when the caller
// submitted that very account id, and a failure reason that names only the
// submitted values. It never names another account, the accounts behind a
// shared email or an account's status ("inactive"): those are CRM facts for
// business admins, who read the full record.
func (r LoaderRecord) APIView() APIRecord {
	v := APIRecord(r)
	if r.Account != r.SubmittedAccountID {
		v.Account = ""
	}
	v.FailureReason = apiFailureReason(r)
	return v
}

// apiFailureReason words why r failed from its outcome and submitted values only.
func apiFailureReason(r LoaderRecord) string {
	if r.ProcessingStatus != StatusFailed {
		return ""
	}
	submitted := Target{AccountID: r.SubmittedAccountID, Email: r.SubmittedEmail}
	switch r.MatchingOutcome {
	case OutcomeNoMatch:
		return noMatchReason(submitted)
	case OutcomeMultipleMatches:
		if r.SubmittedAccountID != "" {
			return fmt.Sprintf("No account matches account_id %s, and email %s matches more than one account", r.SubmittedAccountID, r.SubmittedEmail)
		}
		return fmt.Sprintf("Email %s matches more than one account; submit an account_id to choose one", r.SubmittedEmail)
	case OutcomeConflict:
		return fmt.Sprintf("The account_id %s and the email %s belong to different accounts", r.SubmittedAccountID, r.SubmittedEmail)
	case OutcomeMatchedAccountID:
		return fmt.Sprintf("The account matched on account_id %s could not be added to the journey", r.SubmittedAccountID)
	case OutcomeMatchedEmail:
		return fmt.Sprintf("The account matched on email %s could not be added to the journey", r.SubmittedEmail)
	case OutcomeNotAttempted:
		// Names only the caller's own journey and its end date (NotAttempted).
		return r.FailureReason
	default:
		return "This target could not be added to the journey"
	}
}
