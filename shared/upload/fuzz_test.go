package upload_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/upload"
)

// FuzzDecodeFile: whatever a file of targets holds, it is refused as
// a whole with a readable reason, or every row is a target or a bad row
// with its line; the targets are indexed densely and pass the API's rules.
func FuzzDecodeFile(f *testing.F) {
	for _, seed := range []string{
		"source_system_id,account_id,email\ns,A1,\ns,,a@b.co\n,,\n",
		"\ufeffSOURCE_SYSTEM_ID,Email\r\ns,\"x@y.z\"\r\ns,\"broken\r\n",
		"source_system_id,account_id\n" + strings.Repeat("s,A\n", 501),
		"{\"source_system_id\":\"s\",\"account_id\":\"A1\"}\n[1]\nnull\n{\"email\":7}\n{} {}\n",
		"source_system_id,email\ns,\xff\n",
		"\n\n",
	} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, body string, csv bool) {
		format := "jsonl"
		if csv {
			format = "csv"
		}
		rows, err := upload.DecodeFile(format, []byte(body))
		if err != nil {
			var pe *domain.PayloadError
			if !errors.As(err, &pe) || pe.Detail == "" || !utf8.ValidString(pe.Detail) {
				t.Fatalf("error %T %v is not a readable *PayloadError", err, err)
			}
			return
		}
		if rows.Rows < 1 || rows.Rows > domain.MaxTargets || len(rows.Targets)+len(rows.Bad) != rows.Rows || len(rows.Lines) != len(rows.Targets) {
			t.Fatalf("%d rows: %d targets, %d lines, %d bad", rows.Rows, len(rows.Targets), len(rows.Lines), len(rows.Bad))
		}
		last := 0
		for i, tg := range rows.Targets {
			if tg.Index != i || rows.Lines[i] <= last {
				t.Fatalf("target %d: index %d at line %d", i, tg.Index, rows.Lines[i])
			}
			last = rows.Lines[i]
			b, _ := json.Marshal([]domain.Target{tg})
			if _, err := domain.DecodeTargets(b); err != nil {
				t.Fatalf("target %+v does not pass the API's rules: %v", tg, err)
			}
		}
		for _, b := range rows.Bad {
			if b.Line < 1 || b.Message == "" || !utf8.ValidString(b.Message) {
				t.Fatalf("bad row %+v", b)
			}
		}
	})
}
