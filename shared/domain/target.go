package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// Names of a target's fields, as submitted and as named in field errors.
const (
	FieldSourceSystemID = "source_system_id"
	FieldAccountID      = "account_id"
	FieldEmail          = "email"
	FieldFirstName      = "first_name"
	FieldLastName       = "last_name"
)

// Target is one validated target of an ingest request. Index is its position
// in the submitted array.
type Target struct {
	Index          int    `json:"index"`
	SourceSystemID string `json:"source_system_id"`
	AccountID      string `json:"account_id,omitempty"`
	Email          string `json:"email,omitempty"`
	FirstName      string `json:"first_name,omitempty"`
	LastName       string `json:"last_name,omitempty"`
}

// FieldError is one problem with one target.
type FieldError struct {
	Index   int    `json:"index"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// PayloadError is a problem with the request body as a whole, or the list of
// problems with its targets when Fields is not empty.
type PayloadError struct {
	Detail string
	Fields []FieldError
}

func (e *PayloadError) Error() string { return e.Detail }

// DecodeTargets parses an ingest body and validates every target. Validation
// is all-or-nothing: on any problem it returns a *PayloadError listing all of them.
func DecodeTargets(body []byte) ([]Target, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &PayloadError{Detail: "The request body is empty; send a JSON array of 1 to 500 targets."}
	}
	if !utf8.Valid(body) {
		return nil, &PayloadError{Detail: "The request body is not valid UTF-8."}
	}
	// One pass decodes the array and its objects. An element that is not an
	// object stays nil (reported per target below); encoding/json carries on
	// past it and returns its type error, which is not fatal.
	dec := json.NewDecoder(bytes.NewReader(body))
	var items []map[string]json.RawMessage
	if err := dec.Decode(&items); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Type != nil && typeErr.Type.Kind() == reflect.Map:
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return nil, &PayloadError{Detail: "The request body must be a JSON array of targets, not a JSON " + typeErr.Value + "."}
		default:
			return nil, &PayloadError{Detail: "The request body is not valid JSON: " + jsonErrorText(err)}
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PayloadError{Detail: "The request body must hold exactly one JSON value; found more after the array."}
	}
	if items == nil {
		return nil, &PayloadError{Detail: "The request body must be a JSON array of targets, not null."}
	}
	if len(items) == 0 {
		return nil, &PayloadError{Detail: "The array is empty; send 1 to 500 targets."}
	}
	if len(items) > MaxTargets {
		return nil, &PayloadError{Detail: fmt.Sprintf("The array holds %d targets; at most %d are accepted per request.", len(items), MaxTargets)}
	}
	targets := make([]Target, len(items))
	var problems []FieldError
	for i, fields := range items {
		t, errs := decodeTarget(i, fields)
		targets[i] = t
		problems = append(problems, errs...)
	}
	if len(problems) > 0 {
		return nil, &PayloadError{
			Detail: fmt.Sprintf("%d problem(s) in the submitted targets; nothing was accepted.", len(problems)),
			Fields: problems,
		}
	}
	return targets, nil
}

func jsonErrorText(err error) string {
	var syntaxErr *json.SyntaxError
	if errors.As(err, &syntaxErr) {
		return fmt.Sprintf("%s (at byte %d).", syntaxErr.Error(), syntaxErr.Offset)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input."
	}
	return err.Error() + "."
}

func decodeTarget(index int, fields map[string]json.RawMessage) (Target, []FieldError) {
	t := Target{Index: index}
	if fields == nil {
		return t, []FieldError{{Index: index, Field: "", Message: "each target must be a JSON object"}}
	}
	var problems []FieldError
	str := func(name string) string {
		v, ok := fields[name]
		if !ok || string(v) == "null" {
			return ""
		}
		s, ok := plainJSONString(v)
		if !ok {
			if err := json.Unmarshal(v, &s); err != nil {
				problems = append(problems, FieldError{Index: index, Field: name, Message: "must be a string"})
				return ""
			}
		}
		return strings.TrimSpace(s)
	}
	// checkText reports a value over limit or holding control characters;
	// ok is false when it did.
	checkText := func(name, value string, limit int) (ok bool) {
		switch {
		case tooLong(value, limit):
			problems = append(problems, FieldError{Index: index, Field: name, Message: fmt.Sprintf("must be at most %d characters", limit)})
		case hasControlChars(value):
			problems = append(problems, FieldError{Index: index, Field: name, Message: "must not contain control characters or bidirectional text controls"})
		default:
			return true
		}
		return false
	}
	t.SourceSystemID = str(FieldSourceSystemID)
	t.AccountID = str(FieldAccountID)
	t.Email = str(FieldEmail)
	t.FirstName = str(FieldFirstName)
	t.LastName = str(FieldLastName)

	if t.SourceSystemID == "" && !hasProblem(problems, FieldSourceSystemID) {
		problems = append(problems, FieldError{Index: index, Field: FieldSourceSystemID, Message: "is required and must not be blank"})
	}
	checkText(FieldSourceSystemID, t.SourceSystemID, MaxSourceSystemIDChars)
	checkText(FieldAccountID, t.AccountID, MaxAccountIDChars)
	checkText(FieldFirstName, t.FirstName, MaxNameChars)
	checkText(FieldLastName, t.LastName, MaxNameChars)
	if t.Email != "" && checkText(FieldEmail, t.Email, MaxEmailChars) && !plainAddress(t.Email) {
		problems = append(problems, FieldError{Index: index, Field: FieldEmail, Message: "must be a plain email address such as name@example.com"})
	}
	if t.AccountID == "" && t.Email == "" && !hasProblem(problems, FieldAccountID) && !hasProblem(problems, FieldEmail) {
		problems = append(problems, FieldError{Index: index, Field: FieldAccountID, Message: "one of account_id or email is required"})
	}
	return t, problems
}

// plainJSONString reads a JSON string literal without escapes directly: the
// body was already checked as valid JSON and UTF-8, so its bytes between the
// quotes are the value. Anything else goes through encoding/json.
func plainJSONString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v[1:len(v)-1], '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}

func hasProblem(problems []FieldError, field string) bool {
	for _, p := range problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
