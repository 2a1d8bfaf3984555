package upload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
)

// RowError is a bad row of a file of targets: its line and what is wrong.
type RowError struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// Rows is what a file of targets holds: every row is a target or a bad row.
// Targets are indexed from 0 in the order of their lines, skipping the bad
// rows; Lines holds each target's line.
type Rows struct {
	Rows    int
	Targets []domain.Target
	Lines   []int
	Bad     []RowError
}

// DecodeFile reads a file of targets in format (linefile.CSV or
// linefile.JSONLines) and checks each row on its own with the ingest API's
// rules (domain.DecodeRow): a bad row is reported with its line number and
// the others are kept (PRODUCT.md §10). A problem with the file as a whole
// (not UTF-8, no rows, more than domain.MaxTargets rows, a CSV header
// without the columns) is a *domain.PayloadError.
func DecodeFile(format string, body []byte) (Rows, error) {
	if !utf8.Valid(body) {
		return Rows{}, &domain.PayloadError{Detail: "The file is not valid UTF-8; save it as UTF-8."}
	}
	lines := linefile.NewLines(bytes.NewReader(body))
	var row func(text string) (map[string]domain.RowValue, error)
	switch format {
	case linefile.CSV:
		line, text, err := lines.Next()
		if err == io.EOF {
			return Rows{}, noRows()
		}
		header, err := linefile.ParseHeader(text)
		if err != nil {
			return Rows{}, &domain.PayloadError{Detail: fmt.Sprintf("Line %d, the CSV header, is %s.", line, err)}
		}
		if !header.Has(domain.FieldSourceSystemID) || (!header.Has(domain.FieldAccountID) && !header.Has(domain.FieldEmail)) {
			return Rows{}, &domain.PayloadError{Detail: fmt.Sprintf("The CSV header must name the columns %s (account_id or email, first_name and last_name may be left out); it is %q.",
				strings.Join(domain.TargetFileColumns, ","), text)}
		}
		row = func(text string) (map[string]domain.RowValue, error) { return csvValues(header, text) }
	case linefile.JSONLines:
		row = jsonValues
	default:
		return Rows{}, fmt.Errorf("unknown file format %q", format)
	}

	var out Rows
	for {
		line, text, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return Rows{}, err
		}
		out.Rows++
		if out.Rows > domain.MaxTargets {
			continue // counted for the message below, not decoded
		}
		values, err := row(text)
		if err != nil {
			out.Bad = append(out.Bad, RowError{Line: line, Message: err.Error()})
			continue
		}
		t, problems := domain.DecodeRow(len(out.Targets), values)
		if len(problems) > 0 {
			out.Bad = append(out.Bad, RowError{Line: line, Message: domain.RowMessage(problems)})
			continue
		}
		out.Targets = append(out.Targets, t)
		out.Lines = append(out.Lines, line)
	}
	switch {
	case out.Rows == 0:
		return Rows{}, noRows()
	case out.Rows > domain.MaxTargets:
		return Rows{}, &domain.PayloadError{Detail: fmt.Sprintf("The file holds %d rows; at most %d are accepted per upload. Send it in parts (tl loader import and the console do).", out.Rows, domain.MaxTargets)}
	}
	return out, nil
}

func noRows() *domain.PayloadError {
	return &domain.PayloadError{Detail: fmt.Sprintf("The file holds no rows; send 1 to %d.", domain.MaxTargets)}
}

// csvValues reads a CSV row's known columns.
func csvValues(header linefile.Header, text string) (map[string]domain.RowValue, error) {
	cells, err := header.Row(text)
	if err != nil {
		return nil, err
	}
	values := make(map[string]domain.RowValue, len(domain.TargetFileColumns))
	for _, name := range domain.TargetFileColumns {
		values[name] = domain.RowValue{Text: cells[name]}
	}
	return values, nil
}

// jsonValues reads one JSON object of a JSON lines file: a string is a
// value, null or a missing key none, anything else the wrong type.
func jsonValues(text string) (map[string]domain.RowValue, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	var fields map[string]json.RawMessage
	if err := dec.Decode(&fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, fmt.Errorf("must be a JSON object with the keys %s, not a JSON %s", strings.Join(domain.TargetFileColumns, ", "), typeErr.Value)
		}
		var syntaxErr *json.SyntaxError
		if errors.As(err, &syntaxErr) {
			return nil, fmt.Errorf("not valid JSON: %s (at byte %d)", syntaxErr, syntaxErr.Offset)
		}
		return nil, errors.New("not valid JSON: unexpected end of input")
	}
	if fields == nil {
		return nil, fmt.Errorf("must be a JSON object with the keys %s, not null", strings.Join(domain.TargetFileColumns, ", "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("holds more than one JSON value; put one target per line")
	}
	values := make(map[string]domain.RowValue, len(domain.TargetFileColumns))
	for _, name := range domain.TargetFileColumns {
		raw, ok := fields[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			values[name] = domain.RowValue{WrongType: true}
			continue
		}
		values[name] = domain.RowValue{Text: s}
	}
	return values, nil
}
