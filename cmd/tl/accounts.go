package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

// importChunk is how many accounts one store.Accounts.Import call gets.
// Chunks run one after another (Import must not run concurrently on
// overlapping emails); each call batches and parallelises internally.
const importChunk = 2000

// importSummary is what an import did. Every row of the file is counted
// once: rows = new + changed + unchanged + duplicates + bad.
type importSummary struct {
	File       string   `json:"file"`
	Format     string   `json:"format"`
	Rows       int      `json:"rows"`
	New        int      `json:"new"`
	Changed    int      `json:"changed"`
	Unchanged  int      `json:"unchanged"`
	Duplicates int      `json:"duplicates"`
	Bad        int      `json:"bad"`
	BadRows    []badRow `json:"bad_rows"`
}

// badRow is a row that was skipped, and why.
type badRow struct {
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// String is the one-line summary printed after an import.
func (s importSummary) String() string {
	out := fmt.Sprintf("%d %s: %d new, %d changed, %d unchanged", s.Rows, plural(s.Rows, "row", "rows"), s.New, s.Changed, s.Unchanged)
	if s.Duplicates > 0 {
		out += fmt.Sprintf(", %d %s", s.Duplicates, plural(s.Duplicates, "duplicate", "duplicates"))
	}
	return out + fmt.Sprintf(", %d bad", s.Bad)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (a *app) accountsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "accounts", Short: "Manage CRM accounts",
		Example: `  tl accounts import examples/accounts.csv`}
	cmd.AddCommand(a.accountsImportCmd())
	return cmd
}

func (a *app) accountsImportCmd() *cobra.Command {
	var asJSON bool
	chunk := importChunk
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Create or update accounts from a CSV or JSON lines file",
		Long: `Create or update CRM accounts from FILE ("-" reads standard input).

CSV files have the header account_id,email,first_name,last_name,status; a
cell may hold several emails separated by ";". Each row is one line. JSON
lines files hold one object per line with those keys; "email" is a string or
an array of strings. The format follows the extension (.csv, .jsonl,
.ndjson), else the content. Status is "active" or "inactive".

Bad rows are reported with their line numbers and skipped; the other rows
are imported, and the exit status is 1 when any row was bad. Accounts that
are already stored as in the file are not written again, so importing a file
twice changes nothing. A later row with the same account_id (a duplicate)
replaces an earlier one.

The summary counts every row once: new, changed, unchanged, duplicates and
bad; --json prints it with the bad rows' line numbers and messages.`,
		Example: `  tl accounts import examples/accounts.csv
  tl accounts import accounts.jsonl --json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("give one FILE to import (- reads standard input), not %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if chunk <= 0 {
				return usageErrorf("--chunk must be positive")
			}
			return a.importAccounts(cmd, args[0], asJSON, chunk)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON, with the bad rows")
	cmd.Flags().IntVar(&chunk, "chunk", importChunk, "accounts per import batch (for tuning)")
	_ = cmd.Flags().MarkHidden("chunk")
	return cmd
}

func (a *app) importAccounts(cmd *cobra.Command, name string, asJSON bool, chunk int) error {
	ctx := cmd.Context()
	var r io.Reader
	if name == "-" {
		r = a.env.Stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", name, unwrapPathError(err))
		}
		defer f.Close()
		r = f
	}
	parsed, err := parseAccounts(name, r)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	if len(parsed.Rows) == 0 {
		return fmt.Errorf("%s holds no accounts", name)
	}
	sum := importSummary{File: name, Format: parsed.Format, Rows: len(parsed.Rows), BadRows: []badRow{}}

	// Report bad rows; keep the last row of each account id, in file order
	// of first appearance.
	var valid []domain.Account
	pos := map[string]int{}
	for _, row := range parsed.Rows {
		if row.Err != nil {
			sum.BadRows = append(sum.BadRows, badRow{Line: row.Line, Message: row.Err.Error()})
			a.warnf("%s:%d: %s\n", name, row.Line, row.Err)
			continue
		}
		if i, seen := pos[row.Account.ID]; seen {
			sum.Duplicates++
			valid[i] = row.Account
			continue
		}
		pos[row.Account.ID] = len(valid)
		valid = append(valid, row.Account)
	}
	sum.Bad = len(sum.BadRows)

	if len(valid) > 0 {
		if err := a.storeAccounts(ctx, valid, chunk, &sum); err != nil {
			return err
		}
	}
	if asJSON {
		if err := a.printJSON(sum); err != nil {
			return err
		}
	} else {
		a.printf("%s\n", sum)
	}
	switch {
	case len(valid) == 0:
		return fmt.Errorf("%s holds no valid accounts: all %d %s bad", name, sum.Bad, plural(sum.Bad, "row is", "rows are"))
	case sum.Bad > 0:
		return fmt.Errorf("%d of %d rows %s bad and skipped (see above); the other rows are stored",
			sum.Bad, sum.Rows, plural(sum.Bad, "was", "were"))
	}
	return nil
}

// storeAccounts imports accounts chunk by chunk, showing progress, and
// counts what it did in sum.
func (a *app) storeAccounts(ctx context.Context, accounts []domain.Account, chunk int, sum *importSummary) error {
	db, err := a.dynamo(ctx)
	if err != nil {
		return err
	}
	s := store.Accounts{DB: db, Table: a.table(resources.Accounts), EmailsTable: a.table(resources.AccountEmails)}
	progress := a.newProgress(len(accounts), "checking and writing accounts", "accounts", func(done, total int) string {
		return fmt.Sprintf("%d/%d accounts: %d new, %d changed, %d unchanged", done, total, sum.New, sum.Changed, sum.Unchanged)
	})
	for start := 0; start < len(accounts); start += chunk {
		part := accounts[start:min(start+chunk, len(accounts))]
		stats, err := s.Import(ctx, part)
		if err != nil {
			progress.abort()
			return fmt.Errorf("import stopped after %d of %d accounts (%d written): %w",
				start, len(accounts), sum.New+sum.Changed, a.explain(err, resources.Accounts.ID))
		}
		sum.New += stats.Created
		sum.Changed += stats.Updated
		sum.Unchanged += stats.Unchanged
		progress.add(len(part))
	}
	progress.finish()
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// progress shows an import's progress: a bar on a terminal; elsewhere the
// line describe gives, every 2 seconds and at the end (nothing when nil).
type progress struct {
	a        *app
	total    int
	done     int
	describe func(done, total int) string
	bar      *progressbar.ProgressBar
	last     time.Time
	started  time.Time
}

func (a *app) newProgress(total int, what, unit string, describe func(done, total int) string) *progress {
	p := &progress{a: a, total: total, describe: describe, started: time.Now(), last: time.Now()}
	if a.stderrIsTerminal() {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(a.env.Stderr),
			progressbar.OptionSetDescription(what),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString(unit),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	return p
}

// add counts n more done.
func (p *progress) add(n int) {
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	if p.describe != nil && (p.done == p.total || time.Since(p.last) >= 2*time.Second) {
		p.last = time.Now()
		p.a.warnf("%s (%.1fs)\n", p.describe(p.done, p.total), time.Since(p.started).Seconds())
	}
}

func (p *progress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}

func (p *progress) abort() {
	if p.bar != nil {
		_ = p.bar.Exit()
		p.a.warnf("\n")
	}
}
