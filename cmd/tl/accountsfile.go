package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
)

// Account file formats.
const (
	formatCSV   = linefile.CSV
	formatJSONL = linefile.JSONLines
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

// parseAccounts reads every row of an account file. A row that cannot be
// parsed or does not validate is kept with its error; only a problem with the
// file as a whole (unreadable, no usable CSV header) is an error.
func parseAccounts(name string, r io.Reader) (parsedFile, error) {
	br := bufio.NewReaderSize(r, 64*1024)
	head, _ := br.Peek(512)
	format := linefile.DetectFormat(name, head)
	var rows []accountRow
	var err error
	if format == formatJSONL {
		rows, err = parseJSONL(br)
	} else {
		rows, err = parseCSV(br)
	}
	return parsedFile{Format: format, Rows: rows}, err
}

// parseCSV reads a CSV account file one line at a time (linefile).
func parseCSV(r *bufio.Reader) ([]accountRow, error) {
	lines := linefile.NewLines(r)
	line, text, err := lines.Next()
	if err == io.EOF {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	header, err := linefile.ParseHeader(text)
	if err != nil {
		return nil, fmt.Errorf("line %d: the CSV header is %w", line, err)
	}
	for _, required := range []string{"account_id", "status"} {
		if !header.Has(required) {
			return nil, fmt.Errorf("the CSV header must name the columns %s (email, first_name and last_name may be left out); got %q",
				strings.Join(csvColumns, ","), strings.Join(header.Names, ","))
		}
	}
	var rows []accountRow
	for {
		line, text, err := lines.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		cells, err := header.Row(text)
		if err != nil {
			rows = append(rows, accountRow{Line: line, Err: err})
			continue
		}
		a := domain.Account{
			ID:        cells["account_id"],
			Emails:    splitEmails(cells["email"]),
			FirstName: cells["first_name"],
			LastName:  cells["last_name"],
			Status:    domain.AccountStatus(strings.ToLower(cells["status"])),
		}
		rows = append(rows, accountRow{Line: line, Account: a, Err: a.Validate()})
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
	lines := linefile.NewLines(r)
	var rows []accountRow
	for {
		line, text, err := lines.Next()
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
