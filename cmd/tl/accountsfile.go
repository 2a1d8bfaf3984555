package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/targetloader/targetloader/shared/domain"
)

// Account file formats.
const (
	formatCSV   = "csv"
	formatJSONL = "jsonl"
)

// csvColumns is the CSV header the import expects (any order).
var csvColumns = []string{"account_id", "email", "first_name", "last_name", "status"}

// accountRow is one data row of an account file: the account, or why it is bad.
type accountRow struct {
	Line    int
	Account domain.Account
	Err     error
}

// parsedFile is an account file read into memory.
type parsedFile struct {
	Format string
	Rows   []accountRow
}

// detectFormat picks the format from the file extension, else from the first
// non-space byte of the content ('{' means JSON lines).
func detectFormat(name string, head []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return formatCSV
	case ".jsonl", ".ndjson":
		return formatJSONL
	}
	head = bytes.TrimPrefix(head, utf8BOM)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return formatJSONL
	}
	return formatCSV
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseAccounts reads every row of an account file. A row that cannot be
// parsed or does not validate is kept with its error; only a problem with the
// file as a whole (unreadable, no usable CSV header) is an error.
func parseAccounts(name string, r io.Reader) (parsedFile, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	head, _ := br.Peek(512)
	format := detectFormat(name, head)
	if bytes.HasPrefix(head, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM))
	}
	var rows []accountRow
	var err error
	if format == formatJSONL {
		rows, err = parseJSONL(br)
	} else {
		rows, err = parseCSV(br)
	}
	return parsedFile{Format: format, Rows: rows}, err
}

// parseCSV reads a CSV account file one line at a time: every row is one
// line (account fields hold no line breaks), so a broken row, such as one
// with an unclosed quote, is reported on its own and the next line is read
// as the next row.
func parseCSV(r *bufio.Reader) ([]accountRow, error) {
	lines := lineReader{r: r}
	line, text, err := lines.next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	header, err := csvRecord(text)
	if err != nil {
		return nil, fmt.Errorf("line %d: the CSV header is %w", line, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, required := range []string{"account_id", "status"} {
		if _, ok := col[required]; !ok {
			return nil, fmt.Errorf("the CSV header must name the columns %s (email, first_name and last_name may be left out); got %q",
				strings.Join(csvColumns, ","), strings.Join(header, ","))
		}
	}
	get := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(rec) {
			return ""
		}
		return strings.TrimSpace(rec[i])
	}
	var rows []accountRow
	for {
		line, text, err := lines.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rec, err := csvRecord(text)
		if err != nil {
			rows = append(rows, accountRow{Line: line, Err: err})
			continue
		}
		if len(rec) != len(header) {
			rows = append(rows, accountRow{Line: line, Err: fmt.Errorf("has %d fields, the header has %d", len(rec), len(header))})
			continue
		}
		a := domain.Account{
			ID:        get(rec, "account_id"),
			Emails:    splitEmails(get(rec, "email")),
			FirstName: get(rec, "first_name"),
			LastName:  get(rec, "last_name"),
			Status:    domain.AccountStatus(strings.ToLower(get(rec, "status"))),
		}
		rows = append(rows, accountRow{Line: line, Account: a, Err: a.Validate()})
	}
}

// csvRecord parses one line of CSV.
func csvRecord(line string) ([]string, error) {
	if !strings.Contains(line, `"`) {
		// What encoding/csv makes of a line without quotes, without its
		// buffer per line (fields are trimmed by the caller).
		return strings.Split(line, ","), nil
	}
	cr := csv.NewReader(strings.NewReader(line))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == nil:
		return rec, nil
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrQuote):
		return nil, errors.New(`not valid CSV: a quoted cell is not closed on this line, or a " inside it is not doubled`)
	case errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrBareQuote):
		return nil, errors.New(`not valid CSV: a " in a cell that does not start with one (quote the cell and double the ")`)
	case errors.As(err, &pe):
		return nil, fmt.Errorf("not valid CSV: %w", pe.Err)
	default:
		return nil, fmt.Errorf("not valid CSV: %w", err)
	}
}

// lineReader yields the lines of a file that are not blank, with their
// numbers, without the line break (LF or CRLF).
type lineReader struct {
	r    *bufio.Reader
	line int
}

func (l *lineReader) next() (int, string, error) {
	for {
		text, err := l.r.ReadString('\n')
		if err != nil && (err != io.EOF || text == "") {
			return l.line, "", err
		}
		l.line++
		if text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r"); strings.TrimSpace(text) != "" {
			return l.line, text, nil
		}
	}
}

// splitEmails splits a cell holding several emails separated by ';'.
func splitEmails(cell string) []string {
	var out []string
	for _, e := range strings.Split(cell, ";") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// jsonAccount is one line of a JSON lines file; email may be a string
// (several separated by ';') or an array of strings.
type jsonAccount struct {
	AccountID *string     `json:"account_id"`
	Email     emailsField `json:"email"`
	Emails    emailsField `json:"emails"`
	FirstName string      `json:"first_name"`
	LastName  string      `json:"last_name"`
	Status    string      `json:"status"`
}

type emailsField []string

func (e *emailsField) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*e = splitEmails(one)
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("email must be a string or an array of strings")
	}
	*e = nil
	for _, m := range many {
		if m = strings.TrimSpace(m); m != "" {
			*e = append(*e, m)
		}
	}
	return nil
}

func parseJSONL(r *bufio.Reader) ([]accountRow, error) {
	lines := lineReader{r: r}
	var rows []accountRow
	for {
		line, text, err := lines.next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		rows = append(rows, parseJSONLine(line, bytes.TrimSpace([]byte(text))))
	}
}

func parseJSONLine(line int, text []byte) accountRow {
	var j jsonAccount
	dec := json.NewDecoder(bytes.NewReader(text))
	if err := dec.Decode(&j); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te) && te.Field != "":
			return accountRow{Line: line, Err: fmt.Errorf("%s must be a %s, not a JSON %s", te.Field, te.Type, te.Value)}
		case errors.As(err, &te):
			return accountRow{Line: line, Err: fmt.Errorf("not a JSON object")}
		case strings.Contains(err.Error(), "email must be"):
			return accountRow{Line: line, Err: errors.New("email must be a string or an array of strings")}
		default:
			return accountRow{Line: line, Err: fmt.Errorf("not valid JSON: %s", strings.TrimPrefix(err.Error(), "json: "))}
		}
	}
	if dec.More() {
		return accountRow{Line: line, Err: errors.New("holds more than one JSON value; put one account per line")}
	}
	a := domain.Account{
		Emails:    append(j.Email, j.Emails...),
		FirstName: strings.TrimSpace(j.FirstName),
		LastName:  strings.TrimSpace(j.LastName),
		Status:    domain.AccountStatus(strings.ToLower(strings.TrimSpace(j.Status))),
	}
	if j.AccountID != nil {
		a.ID = strings.TrimSpace(*j.AccountID)
	}
	return accountRow{Line: line, Account: a, Err: a.Validate()}
}
