package main

import (
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

// importSummary is what an import did.
type importSummary struct {
	File       string `json:"file"`
	Format     string `json:"format"`
	Rows       int    `json:"rows"`
	Imported   int    `json:"imported"`
	Unchanged  int    `json:"unchanged"`
	Bad        int    `json:"bad"`
	Duplicates int    `json:"duplicates"`
}

func (a *app) accountsCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "accounts", Short: "Manage CRM accounts"}
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
cell may hold several emails separated by ";". JSON lines files hold one
object per line with those keys; "email" is a string or an array of strings.
The format follows the extension (.csv, .jsonl, .ndjson), else the content.
Status is "active" or "inactive".

Bad rows are reported with their line numbers and skipped; the rest are
imported. Accounts that are already stored as in the file are not written
again, so importing a file twice changes nothing. A later row with the same
account_id replaces an earlier one.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if chunk <= 0 {
				return errors.New("--chunk must be positive")
			}
			return a.importAccounts(cmd, args[0], asJSON, chunk)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
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
	sum := importSummary{File: name, Format: parsed.Format, Rows: len(parsed.Rows)}

	// Report bad rows; keep the last row of each account id, in file order
	// of first appearance.
	var valid []domain.Account
	pos := map[string]int{}
	for _, row := range parsed.Rows {
		if row.Err != nil {
			sum.Bad++
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
	if len(valid) == 0 {
		if sum.Rows == 0 {
			return fmt.Errorf("%s holds no accounts", name)
		}
		return fmt.Errorf("%s holds no valid accounts (%d bad rows)", name, sum.Bad)
	}

	db, err := a.dynamo(ctx)
	if err != nil {
		return err
	}
	s := store.Accounts{DB: db, Table: a.table(resources.Accounts), EmailsTable: a.table(resources.AccountEmails)}
	progress := a.newProgress(len(valid))
	for start := 0; start < len(valid); start += chunk {
		part := valid[start:min(start+chunk, len(valid))]
		stats, err := s.Import(ctx, part)
		if err != nil {
			progress.abort()
			return fmt.Errorf("import stopped after %d of %d accounts (%d written): %w",
				start, len(valid), sum.Imported, a.explain(err, resources.Accounts.ID))
		}
		sum.Imported += stats.Written
		sum.Unchanged += stats.Unchanged
		progress.add(len(part))
	}
	progress.finish()

	if asJSON {
		return a.printJSON(sum)
	}
	a.printf("rows read: %d\nimported: %d\nunchanged: %d\nbad: %d\n", sum.Rows, sum.Imported, sum.Unchanged, sum.Bad)
	if sum.Duplicates > 0 {
		a.printf("duplicates: %d (rows repeating an earlier account_id; the last one wins)\n", sum.Duplicates)
	}
	return nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// progress shows import progress: a bar on a terminal, plain lines otherwise.
type progress struct {
	a       *app
	total   int
	done    int
	bar     *progressbar.ProgressBar
	last    time.Time
	started time.Time
}

func (a *app) newProgress(total int) *progress {
	p := &progress{a: a, total: total, started: time.Now(), last: time.Now()}
	if a.stderrIsTerminal() {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(a.env.Stderr),
			progressbar.OptionSetDescription("importing accounts"),
			progressbar.OptionShowCount(),
			progressbar.OptionShowIts(),
			progressbar.OptionSetItsString("accounts"),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
			progressbar.OptionSetRenderBlankState(true),
		)
	}
	return p
}

func (p *progress) add(n int) {
	p.done += n
	if p.bar != nil {
		_ = p.bar.Add(n)
		return
	}
	if p.done == p.total || time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		p.a.warnf("imported %d/%d accounts (%.1fs)\n", p.done, p.total, time.Since(p.started).Seconds())
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
