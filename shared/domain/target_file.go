package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/targetloader/targetloader/shared/linefile"
)

// TargetFileColumns are the columns of a CSV file of targets an admin
// uploads, and the keys of its JSON lines form (PRODUCT.md §10).
var TargetFileColumns = []string{FieldSourceSystemID, FieldAccountID, FieldEmail, FieldFirstName, FieldLastName}

// RowError is a bad row of a file of targets: its line and what is wrong.
type RowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// TargetRows is what a file of targets holds: every row is a target or a
// bad row. Targets are indexed from 0 in the order of their lines, skipping
// the bad rows; Lines holds each target's line.
type TargetRows struct {
	Rows    int
	Targets []Target
	Lines   []int
	Bad     []RowError
}

// DecodeTargetFile reads a file of targets in format (linefile.CSV or
// linefile.JSONLines) and checks each row on its own with the ingest API's
// rules (decodeTarget): a bad row is reported with its line number and the
// others are kept (PRODUCT.md §10). A problem with the file as a whole (not
// UTF-8, no rows, more than MaxTargets rows, a CSV header without the
// columns) is a *PayloadError.
func DecodeTargetFile(format string, body []byte) (TargetRows, error) {
	if !utf8.Valid(body) {
		return TargetRows{}, &PayloadError{Detail: "The file is not valid UTF-8; save it as UTF-8."}
	}
	lines := linefile.NewLines(bytes.NewReader(body))
	var row func(text string) (map[string]json.RawMessage, error)
	switch format {
	case linefile.CSV:
		line, text, err := lines.Next()
		if err == io.EOF {
			return TargetRows{}, noRows()
		}
		header, err := linefile.ParseHeader(text)
		if err != nil {
			return TargetRows{}, &PayloadError{Detail: fmt.Sprintf("Line %d, the CSV header, is %s.", line, err)}
		}
		if !header.Has(FieldSourceSystemID) || (!header.Has(FieldAccountID) && !header.Has(FieldEmail)) {
			return TargetRows{}, &PayloadError{Detail: fmt.Sprintf("The CSV header must name the columns %s (account_id or email, first_name and last_name may be left out); it is %q.",
				strings.Join(TargetFileColumns, ","), text)}
		}
		row = func(text string) (map[string]json.RawMessage, error) { return csvTargetFields(header, text) }
	case linefile.JSONLines:
		row = jsonTargetFields
	default:
		return TargetRows{}, fmt.Errorf("unknown file format %q", format)
	}

	var out TargetRows
	for {
		line, text, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return TargetRows{}, err
		}
		out.Rows++
		if out.Rows > MaxTargets {
			continue // counted for the message below, not decoded
		}
		fields, err := row(text)
		if err != nil {
			out.Bad = append(out.Bad, RowError{Line: line, Message: err.Error()})
			continue
		}
		t, problems := decodeTarget(len(out.Targets), fields)
		if len(problems) > 0 {
			out.Bad = append(out.Bad, RowError{Line: line, Message: rowMessage(problems)})
			continue
		}
		out.Targets = append(out.Targets, t)
		out.Lines = append(out.Lines, line)
	}
	switch {
	case out.Rows == 0:
		return TargetRows{}, noRows()
	case out.Rows > MaxTargets:
		return TargetRows{}, &PayloadError{Detail: fmt.Sprintf("The file holds %d rows; at most %d are accepted per upload. Send it in parts (tl loader import and the console do).", out.Rows, MaxTargets)}
	}
	return out, nil
}

func noRows() *PayloadError {
	return &PayloadError{Detail: fmt.Sprintf("The file holds no rows; send 1 to %d.", MaxTargets)}
}

// csvTargetFields reads a CSV row's known columns as the JSON strings the
// ingest API's rules take.
func csvTargetFields(header linefile.Header, text string) (map[string]json.RawMessage, error) {
	cells, err := header.Row(text)
	if err != nil {
		return nil, err
	}
	fields := make(map[string]json.RawMessage, len(TargetFileColumns))
	for _, name := range TargetFileColumns {
		if v, ok := cells[name]; ok {
			fields[name], _ = json.Marshal(v) // a string: cannot fail
		}
	}
	return fields, nil
}

// jsonTargetFields reads one JSON object of a JSON lines file.
func jsonTargetFields(text string) (map[string]json.RawMessage, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("must be a JSON object with the keys %s, not a JSON %s", strings.Join(TargetFileColumns, ", "), typeErr.Value)
		}
		return nil, errors.New("not valid JSON: " + strings.TrimSuffix(jsonErrorText(err), "."))
	}
	if fields == nil {
		return nil, fmt.Errorf("must be a JSON object with the keys %s, not null", strings.Join(TargetFileColumns, ", "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("holds more than one JSON value; put one target per line")
	}
	return fields, nil
}

// rowMessage words a row's problems, each naming its field: "email must be
// a plain email address such as name@example.com" (the API's message "one
// of account_id or email is required" names its fields already).
func rowMessage(problems []FieldError) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.Message
		if p.Field != "" && !strings.HasPrefix(p.Message, "one of ") {
			parts[i] = p.Field + " " + p.Message
		}
	}
	return strings.Join(parts, "; ")
}
