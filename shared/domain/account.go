package domain

import "strings"

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

// Validate checks an account before import.
func (a Account) Validate() error {
	if strings.TrimSpace(a.ID) == "" {
		return Errorf(KindInvalid, "account_id is required")
	}
	if tooLong(a.ID, MaxAccountIDChars) {
		return Errorf(KindInvalid, "account_id must be at most %d characters", MaxAccountIDChars)
	}
	if a.Status != AccountActive && a.Status != AccountInactive {
		return Errorf(KindInvalid, "status must be %q or %q, got %q", AccountActive, AccountInactive, a.Status)
	}
	for _, e := range a.Emails {
		if !plainAddress(strings.TrimSpace(e)) {
			return Errorf(KindInvalid, "email %q is not a plain email address", e)
		}
	}
	return nil
}
