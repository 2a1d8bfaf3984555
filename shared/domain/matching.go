package domain

import (
	"fmt"
	"slices"
	"strings"
)

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
