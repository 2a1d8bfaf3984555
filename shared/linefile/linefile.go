// Package linefile reads the files people load into Target Loader: one row
// per line, as CSV with a header or as JSON lines. Every row is one line
// (no field holds a line break), so a broken row, such as one with an
// unclosed quote, is reported on its own with its line number and the next
// line is read as the next row. tl's imports and the management API's
// uploads read files the same way with it.
package linefile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// Formats of a file.
const (
	CSV       = "csv"
	JSONLines = "jsonl"
)

// BOM is the UTF-8 byte order mark some spreadsheet programs write first.
var BOM = []byte{0xEF, 0xBB, 0xBF}

// DetectFormat picks the format from the file name's extension (.csv,
// .jsonl, .ndjson), else from the first character of the content: '{'
// means JSON lines.
func DetectFormat(name string, head []byte) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv":
		return CSV
	case ".jsonl", ".ndjson":
		return JSONLines
	}
	head = bytes.TrimPrefix(head, BOM)
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return JSONLines
	}
	return CSV
}

// Lines yields the lines of a file that are not blank, with their numbers
// (the first line is 1), without the line break (LF or CRLF) and without a
// leading byte order mark.
type Lines struct {
	r    *bufio.Reader
	line int
}

// NewLines reads r line by line.
func NewLines(r io.Reader) *Lines {
	br, ok := r.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(r, 64*1024)
	}
	return &Lines{r: br}
}

// Next is the next line that is not blank, and its number; io.EOF after the last.
func (l *Lines) Next() (int, string, error) {
	for {
		text, err := l.r.ReadString('\n')
		if err != nil && (err != io.EOF || text == "") {
			return l.line, "", err
		}
		l.line++
		if l.line == 1 {
			text = strings.TrimPrefix(text, string(BOM))
		}
		if text = strings.TrimSuffix(strings.TrimSuffix(text, "\n"), "\r"); strings.TrimSpace(text) != "" {
			return l.line, text, nil
		}
	}
}

// Record parses one line of CSV. Its errors say what is wrong in words a
// person who edits the file understands.
func Record(line string) ([]string, error) {
	if !strings.Contains(line, `"`) {
		// What encoding/csv makes of a line without quotes, without its
		// buffer per line (callers trim the fields).
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

// Header is a CSV header: the column of each name, lower-cased and trimmed.
type Header struct {
	Names   []string
	columns map[string]int
}

// ParseHeader reads a CSV header line.
func ParseHeader(line string) (Header, error) {
	names, err := Record(line)
	if err != nil {
		return Header{}, err
	}
	h := Header{Names: names, columns: map[string]int{}}
	for i, n := range names {
		h.columns[strings.ToLower(strings.TrimSpace(n))] = i
	}
	return h, nil
}

// Has tells whether the header names column name.
func (h Header) Has(name string) bool {
	_, ok := h.columns[name]
	return ok
}

// Row reads a data line under h: its trimmed cells by column name. A line
// that is not valid CSV, or has another number of fields than the header,
// is an error.
func (h Header) Row(line string) (map[string]string, error) {
	rec, err := Record(line)
	if err != nil {
		return nil, err
	}
	if len(rec) != len(h.Names) {
		return nil, fmt.Errorf("has %d fields, the header has %d", len(rec), len(h.Names))
	}
	row := make(map[string]string, len(h.columns))
	for name, i := range h.columns {
		row[name] = strings.TrimSpace(rec[i])
	}
	return row, nil
}

// Part is a piece of a file small enough to upload on its own: its body (a
// CSV part starts with the file's header) and the file's line number of
// each of the body's lines.
type Part struct {
	Body  []byte
	Lines []int
	// Rows is how many rows it holds (the header is none).
	Rows int
}

// FirstLine and LastLine are the file lines of the part's first and last row.
func (p Part) FirstLine() int { return p.Lines[len(p.Lines)-p.Rows] }
func (p Part) LastLine() int  { return p.Lines[len(p.Lines)-1] }

// FileLine is the file's line number of line n (from 1) of the part's body.
func (p Part) FileLine(n int) int {
	if n < 1 || n > len(p.Lines) {
		return 0
	}
	return p.Lines[n-1]
}

// Split cuts a file in format into parts of at most maxRows rows and
// maxBytes bytes, in file order. Blank lines are left out; every line ends
// with "\n". The cut depends only on the file's lines, so the same file is
// always cut the same way (and the console cuts it the same way too).
// tooBig lists the lines of rows that do not fit in a part on their own.
func Split(r io.Reader, format string, maxRows, maxBytes int) (parts []Part, rows int, tooBig []int, err error) {
	lines := NewLines(r)
	var header []byte
	headerLine := 0
	if format == CSV {
		n, text, err := lines.Next()
		if err == io.EOF {
			return nil, 0, nil, nil
		}
		if err != nil {
			return nil, 0, nil, err
		}
		header, headerLine = []byte(text+"\n"), n
	}
	var cur Part
	flush := func() {
		if cur.Rows > 0 {
			parts = append(parts, cur)
		}
		cur = Part{}
	}
	for {
		n, text, err := lines.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, nil, err
		}
		rows++
		row := text + "\n"
		if len(header)+len(row) > maxBytes {
			tooBig = append(tooBig, n)
			continue
		}
		if cur.Rows == maxRows || len(cur.Body)+len(row) > maxBytes {
			flush()
		}
		if cur.Rows == 0 && header != nil {
			cur.Body = append(cur.Body, header...)
			cur.Lines = append(cur.Lines, headerLine)
		}
		cur.Body = append(cur.Body, row...)
		cur.Lines = append(cur.Lines, n)
		cur.Rows++
	}
	flush()
	return parts, rows, tooBig, nil
}
