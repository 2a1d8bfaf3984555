package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
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
//
// It reads the body in one pass with jsontext, straight into the targets: no
// map per target, names compared exactly (case-sensitive), unknown members
// skipped whatever they hold, the last of duplicate names counting. A body
// that is not one JSON array is described in encoding/json's words, as the
// API always has.
func DecodeTargets(body []byte) ([]Target, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &PayloadError{Detail: "The request body is empty; send a JSON array of 1 to 500 targets."}
	}
	if !utf8.Valid(body) {
		return nil, &PayloadError{Detail: "The request body is not valid UTF-8."}
	}
	d := targetDecoders.Get().(*targetDecoder)
	defer d.release()
	return d.decode(body)
}

// decodeOptions make jsontext read what encoding/json read: duplicate names
// (the last counts), and escaped lone surrogates, which become U+FFFD (raw
// invalid UTF-8 never reaches the decoder).
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// targetDecoder is what one DecodeTargets call reuses from the last.
type targetDecoder struct {
	src     bytes.Buffer // the body: jsontext reads a bytes.Buffer in place
	dec     jsontext.Decoder
	targets []Target        // capacity MaxTargets; copied out at the end
	fields  targetFields    // the element being read
	text    strings.Builder // every field's text, one allocation per body
	escaped []byte          // an escaped name or value, unescaped
}

var targetDecoders = sync.Pool{New: func() any {
	return &targetDecoder{targets: make([]Target, 0, MaxTargets)}
}}

func (d *targetDecoder) release() {
	clear(d.targets) // drop the last body's strings
	d.targets = d.targets[:0]
	d.src = bytes.Buffer{}
	d.dec.Reset(&d.src, decodeOptions...)
	d.text = strings.Builder{}
	targetDecoders.Put(d)
}

func (d *targetDecoder) decode(body []byte) ([]Target, error) {
	d.src = *bytes.NewBuffer(body)
	d.dec.Reset(&d.src, decodeOptions...)
	if d.dec.PeekKind() != '[' {
		return nil, d.notAnArray(body)
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return nil, notJSON(body, err)
	}
	d.text.Grow(len(body)) // unescaped text is never longer than its JSON
	var problems []FieldError
	n := 0
	for ; d.dec.PeekKind() != ']'; n++ {
		if n >= MaxTargets {
			// Too many: only the count is reported, once the array is read.
			if _, err := d.dec.ReadValue(); err != nil {
				return nil, notJSON(body, err)
			}
			continue
		}
		isObject, err := d.readTarget()
		if err != nil {
			return nil, notJSON(body, err)
		}
		fields := &d.fields
		if !isObject {
			fields = nil
		}
		t, errs := decodeTarget(n, fields)
		d.targets = append(d.targets, t)
		problems = append(problems, errs...)
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return nil, notJSON(body, err)
	}
	if !onlyWhitespace(body[d.dec.InputOffset():]) {
		return nil, &PayloadError{Detail: "The request body must hold exactly one JSON value; found more after the array."}
	}
	if n == 0 {
		return nil, &PayloadError{Detail: "The array is empty; send 1 to 500 targets."}
	}
	if n > MaxTargets {
		return nil, &PayloadError{Detail: fmt.Sprintf("The array holds %d targets; at most %d are accepted per request.", n, MaxTargets)}
	}
	if len(problems) > 0 {
		return nil, &PayloadError{
			Detail: fmt.Sprintf("%d problem(s) in the submitted targets; nothing was accepted.", len(problems)),
			Fields: problems,
		}
	}
	return slices.Clone(d.targets), nil
}

// readTarget reads one element of the array into d.fields, and whether it
// is an object.
func (d *targetDecoder) readTarget() (isObject bool, err error) {
	if d.dec.PeekKind() != '{' {
		_, err := d.dec.ReadValue()
		return false, err
	}
	if _, err := d.dec.ReadToken(); err != nil {
		return false, err
	}
	d.fields = targetFields{}
	for d.dec.PeekKind() != '}' {
		name, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		i := knownField(d.unescaped(name))
		value, err := d.dec.ReadValue()
		if err != nil {
			return false, err
		}
		switch {
		case i < 0:
		case value.Kind() == '"':
			start := d.text.Len()
			d.text.Write(d.unescaped(value))
			d.fields[i] = fieldValue{text: d.text.String()[start:]}
		case value.Kind() == 'n':
			d.fields[i] = fieldValue{}
		default:
			d.fields[i] = fieldValue{wrongType: true}
		}
	}
	_, err = d.dec.ReadToken()
	return true, err
}

// unescaped is the content of a JSON string the decoder has read, valid until
// the next call.
func (d *targetDecoder) unescaped(quoted jsontext.Value) []byte {
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	// The decoder checked the escapes; the only error left to report is an
	// escaped lone surrogate, which becomes U+FFFD as with encoding/json.
	d.escaped, _ = jsontext.AppendUnquote(d.escaped[:0], quoted)
	return d.escaped
}

// notAnArray describes a body whose one value is not an array.
func (d *targetDecoder) notAnArray(body []byte) *PayloadError {
	kind := d.dec.PeekKind()
	if _, err := d.dec.ReadValue(); err != nil {
		return notJSON(body, err)
	}
	var what string
	switch kind {
	case 'n':
		if !onlyWhitespace(body[d.dec.InputOffset():]) {
			return &PayloadError{Detail: "The request body must hold exactly one JSON value; found more after the array."}
		}
		return &PayloadError{Detail: "The request body must be a JSON array of targets, not null."}
	case '{':
		what = "object"
	case '"':
		what = "string"
	case 't', 'f':
		what = "bool"
	default:
		what = "number"
	}
	return &PayloadError{Detail: "The request body must be a JSON array of targets, not a JSON " + what + "."}
}

// notJSON describes a body that is not valid JSON in the words of
// encoding/json's decoder, which the API has always used. decodeErr,
// jsontext's own words, are used only where the two disagree on validity
// (none is known: the differential fuzz target looks for one).
func notJSON(body []byte, decodeErr error) *PayloadError {
	var first json.RawMessage
	err := json.NewDecoder(bytes.NewReader(body)).Decode(&first)
	if err == nil {
		err = decodeErr
	}
	return &PayloadError{Detail: "The request body is not valid JSON: " + jsonErrorText(err)}
}

// onlyWhitespace reports whether b holds nothing but JSON whitespace.
func onlyWhitespace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
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

// knownFields are the names of a target's fields, in targetFields' order.
var knownFields = [...]string{FieldSourceSystemID, FieldAccountID, FieldEmail, FieldFirstName, FieldLastName}

// knownField is name's index in knownFields, -1 for any other name.
func knownField[Name string | []byte](name Name) int {
	switch string(name) {
	case FieldSourceSystemID:
		return 0
	case FieldAccountID:
		return 1
	case FieldEmail:
		return 2
	case FieldFirstName:
		return 3
	case FieldLastName:
		return 4
	}
	return -1
}

// targetFields are a target's known fields as read, by their knownFields index.
type targetFields [len(knownFields)]fieldValue

// fieldValue is one field as read: absent and null are both the zero value.
type fieldValue struct {
	text      string // unescaped, not yet trimmed
	wrongType bool   // neither a string nor null
}

func (f *targetFields) get(name string) fieldValue {
	if i := knownField(name); i >= 0 {
		return f[i]
	}
	return fieldValue{}
}

// decodeTarget validates one target from its fields, nil when the element
// is not an object.
func decodeTarget(index int, fields *targetFields) (Target, []FieldError) {
	t := Target{Index: index}
	if fields == nil {
		return t, []FieldError{{Index: index, Field: "", Message: "each target must be a JSON object"}}
	}
	var problems []FieldError
	str := func(name string) string {
		v := fields.get(name)
		if v.wrongType {
			problems = append(problems, FieldError{Index: index, Field: name, Message: "must be a string"})
			return ""
		}
		return strings.TrimSpace(v.text)
	}
	checkLength := func(name, value string, limit int) {
		if tooLong(value, limit) {
			problems = append(problems, FieldError{Index: index, Field: name, Message: fmt.Sprintf("must be at most %d characters", limit)})
		}
	}
	t.SourceSystemID = str(FieldSourceSystemID)
	t.AccountID = str(FieldAccountID)
	t.Email = str(FieldEmail)
	t.FirstName = str(FieldFirstName)
	t.LastName = str(FieldLastName)

	if t.SourceSystemID == "" && !hasProblem(problems, FieldSourceSystemID) {
		problems = append(problems, FieldError{Index: index, Field: FieldSourceSystemID, Message: "is required and must not be blank"})
	}
	checkLength(FieldSourceSystemID, t.SourceSystemID, MaxSourceSystemIDChars)
	checkLength(FieldAccountID, t.AccountID, MaxAccountIDChars)
	checkLength(FieldFirstName, t.FirstName, MaxNameChars)
	checkLength(FieldLastName, t.LastName, MaxNameChars)
	if t.Email != "" {
		if tooLong(t.Email, MaxEmailChars) {
			checkLength(FieldEmail, t.Email, MaxEmailChars)
		} else if !plainAddress(t.Email) {
			problems = append(problems, FieldError{Index: index, Field: FieldEmail, Message: "must be a plain email address such as name@example.com"})
		}
	}
	if t.AccountID == "" && t.Email == "" && !hasProblem(problems, FieldAccountID) && !hasProblem(problems, FieldEmail) {
		problems = append(problems, FieldError{Index: index, Field: FieldAccountID, Message: "one of account_id or email is required"})
	}
	return t, problems
}

func hasProblem(problems []FieldError, field string) bool {
	for _, p := range problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
