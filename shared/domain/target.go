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
	d, _ := targetDecoders.Get().(*targetDecoder)
	if d == nil {
		d = new(targetDecoder)
	}
	targets, err := d.decode(body)
	targetDecoders.Put(d)
	return targets, err
}

// decodeOptions make jsontext read what encoding/json read: duplicate names
// (the last counts), and escaped lone surrogates (raw invalid UTF-8 never
// reaches the decoder).
var decodeOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

// targetDecoder is what one DecodeTargets call reuses from the last. It reads
// tokens only (ReadToken), which keeps ingest's binary under its bound
// (PERFORMANCE.md "The decoder").
type targetDecoder struct {
	body    []byte
	src     bytes.Buffer // the body: jsontext reads a bytes.Buffer in place
	dec     jsontext.Decoder
	targets []Target        // copied out at the end
	text    strings.Builder // every field's text, one allocation per body
	escaped []byte          // an escaped name or value, unescaped
}

var targetDecoders sync.Pool

// decode reads body. What it leaves in d (the body, the targets, their
// text) is replaced on the next call, or dropped with d by the pool.
func (d *targetDecoder) decode(body []byte) ([]Target, error) {
	d.body = body
	d.targets = d.targets[:0]
	d.text = strings.Builder{}
	d.src = *bytes.NewBuffer(body)
	d.dec.Reset(&d.src, decodeOptions...)
	n := 0
	var problems []FieldError
	kind, err := d.next()
	switch {
	case err != nil:
	case kind == '[':
		n, problems, err = d.readArray()
	case kind != 'n':
		return nil, d.notAnArray(kind)
	}
	if err != nil {
		return nil, notJSON(body, err)
	}
	if !onlyWhitespace(body[d.dec.InputOffset():]) {
		return nil, &PayloadError{Detail: "The request body must hold exactly one JSON value; found more after the array."}
	}
	if kind == 'n' {
		return nil, &PayloadError{Detail: "The request body must be a JSON array of targets, not null."}
	}
	if n == 0 {
		return nil, &PayloadError{Detail: "The array is empty; send 1 to 500 targets."}
	}
	if n > MaxTargets {
		return nil, &PayloadError{Detail: fmt.Sprintf("The array holds %d targets; at most 500 are accepted per request.", n)}
	}
	if len(problems) > 0 {
		return nil, &PayloadError{
			Detail: fmt.Sprintf("%d problem(s) in the submitted targets; nothing was accepted.", len(problems)),
			Fields: problems,
		}
	}
	return slices.Clone(d.targets), nil
}

// readArray reads the elements of an array whose '[' was read: their
// number, and the targets and problems of the first MaxTargets (beyond, only
// the count is reported).
func (d *targetDecoder) readArray() (n int, problems []FieldError, err error) {
	d.text.Grow(len(d.body)) // unescaped text is never longer than its JSON
	var fields targetFields
	for ; ; n++ {
		kind, err := d.next()
		if err != nil || kind == ']' {
			return n, problems, err
		}
		isObject := kind == '{' && n < MaxTargets
		if isObject {
			err = d.readFields(&fields)
		} else {
			err = d.skip(kind)
		}
		if err != nil {
			return n, nil, err
		}
		if n < MaxTargets {
			f := &fields
			if !isObject {
				f = nil
			}
			t, errs := decodeTarget(n, f)
			d.targets = append(d.targets, t)
			problems = append(problems, errs...)
		}
	}
}

// readFields reads the members of an object whose '{' was read into fields.
func (d *targetDecoder) readFields(fields *targetFields) error {
	for i := range fields {
		fields[i] = fieldValue{}
	}
	for {
		start := d.dec.InputOffset()
		kind, err := d.next()
		if err != nil || kind == '}' {
			return err
		}
		i := knownField(d.lastString(start)) // a name: jsontext allows only strings here
		start = d.dec.InputOffset()
		if kind, err = d.next(); err != nil {
			return err
		}
		switch {
		case i < 0:
			err = d.skip(kind)
		case kind == '"':
			from := d.text.Len()
			d.text.Write(d.lastString(start))
			fields[i] = fieldValue{text: d.text.String()[from:]}
		case kind == 'n':
			fields[i] = fieldValue{}
		default:
			fields[i] = fieldValue{wrongType: true}
			err = d.skip(kind)
		}
		if err != nil {
			return err
		}
	}
}

// next reads the next token and returns its kind.
func (d *targetDecoder) next() (jsontext.Kind, error) {
	tok, err := d.dec.ReadToken()
	return tok.Kind(), err
}

// skip reads the rest of a value whose first token, of kind, was read.
func (d *targetDecoder) skip(kind jsontext.Kind) error {
	if kind != '{' && kind != '[' {
		return nil
	}
	for depth := d.dec.StackDepth(); d.dec.StackDepth() >= depth; {
		if _, err := d.dec.ReadToken(); err != nil {
			return err
		}
	}
	return nil
}

// lastString is the content of the string token just read, which began
// after offset start (only whitespace and a ',' or ':' lie between), valid
// until the next call.
func (d *targetDecoder) lastString(start int64) []byte {
	quoted := d.body[start:d.dec.InputOffset()]
	quoted = quoted[bytes.IndexByte(quoted, '"'):]
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	// jsontext checked the escapes; the only error left to report is an
	// escaped lone surrogate, which becomes U+FFFD as with encoding/json.
	d.escaped, _ = jsontext.AppendUnquote(d.escaped[:0], quoted)
	return d.escaped
}

// notAnArray describes a body whose value, begun with a token of kind, is
// neither an array nor null.
func (d *targetDecoder) notAnArray(kind jsontext.Kind) *PayloadError {
	if err := d.skip(kind); err != nil {
		return notJSON(d.body, err)
	}
	what := "number"
	switch kind {
	case '{':
		what = "object"
	case '"':
		what = "string"
	case 't', 'f':
		what = "bool"
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
func knownField(name []byte) int {
	for i, known := range knownFields {
		if string(name) == known {
			return i
		}
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

// decodeTarget validates one target from its fields, nil when the element
// is not an object.
func decodeTarget(index int, fields *targetFields) (Target, []FieldError) {
	t := Target{Index: index}
	if fields == nil {
		return t, []FieldError{{Index: index, Field: "", Message: "each target must be a JSON object"}}
	}
	var problems []FieldError
	var text [len(knownFields)]string // trimmed, "" when of the wrong type
	for i, v := range fields {
		if v.wrongType {
			problems = append(problems, FieldError{Index: index, Field: knownFields[i], Message: "must be a string"})
		} else {
			text[i] = strings.TrimSpace(v.text)
		}
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
	t.SourceSystemID, t.AccountID, t.Email, t.FirstName, t.LastName = text[0], text[1], text[2], text[3], text[4]

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

func hasProblem(problems []FieldError, field string) bool {
	for _, p := range problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
