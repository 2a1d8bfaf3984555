package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/upload"
	"golang.org/x/sync/errgroup"
)

// uploadConcurrency is how many uploads of one import are in flight at
// once: a few, so that a big file is not held up by one request's round
// trip, well below the route's throttle.
const uploadConcurrency = 4

// uploadRetryDelays are the waits before each retry of an upload the API
// answered "try again" (409 in flight, 429, 502, 503, 504). A retry sends
// the same part under the same Idempotency-Key: it can never queue it twice.
var uploadRetryDelays = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}

// mediaTypes are the Content-Types tl uploads each format as.
var mediaTypes = map[string]string{linefile.CSV: "text/csv", linefile.JSONLines: "application/x-ndjson"}

// loaderImport is what an import did. Every row is counted once:
// rows = queued + already_imported + bad.
type loaderImport struct {
	File      string `json:"file"`
	Format    string `json:"format"`
	JourneyID string `json:"journey_id"`
	Rows      int    `json:"rows"`
	// Queued rows are in requests this import made; AlreadyImported rows
	// were in the same parts uploaded before (within 24 hours): their
	// earlier requests are listed, and nothing was queued again.
	Queued          int               `json:"queued"`
	AlreadyImported int               `json:"already_imported"`
	Bad             int               `json:"bad"`
	Requests        []importedRequest `json:"requests"`
	BadRows         []badRow          `json:"bad_rows"`
}

// importedRequest is the request one part of the file became.
type importedRequest struct {
	RequestUUID string `json:"request_uuid"`
	FirstLine   int    `json:"first_line"`
	LastLine    int    `json:"last_line"`
	Accepted    int    `json:"accepted"`
	// Replayed: the part was imported before; this is its earlier request.
	Replayed bool `json:"replayed"`
}

// String is the one-line summary printed after an import.
func (s loaderImport) String() string {
	return fmt.Sprintf("%d %s: %d queued in %d new %s, %d already imported, %d bad", s.Rows, plural(s.Rows, "row", "rows"),
		s.Queued, s.newRequests(), plural(s.newRequests(), "request", "requests"), s.AlreadyImported, s.Bad)
}

func (s loaderImport) newRequests() int {
	n := 0
	for _, r := range s.Requests {
		if !r.Replayed {
			n++
		}
	}
	return n
}

func (a *app) loaderImportCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "import --journey ID FILE",
		Short: "Add targets to a journey from a CSV or JSON lines file, as target loader records (admins)",
		Long: `Add the targets of FILE ("-" reads standard input) to a journey, as a
business admin: each valid row becomes a target loader record and goes
through the same queue, matching and rules as a target an external system
submits with the API; the journey targets it adds have Added via "Target
Loader" and the row's source system.

CSV files have the header source_system_id,account_id,email,first_name,last_name
(any order; account_id or email, first_name and last_name may be left out),
one target per line. JSON lines files hold one object per line with those
keys. The format follows the extension (.csv, .jsonl, .ndjson), else the
content. A file holds at most 100,000 rows; tl sends them in parts of at
most 500 rows and 1 MiB.

Each row is checked with the API's rules: bad rows are reported with their
line numbers and skipped, the others imported, and the exit status is 1 when
any row was bad. Importing the same file again (within 24 hours) queues
nothing twice: each part is sent with an Idempotency-Key made from its
content, and the summary counts its rows as already imported. A journey
target is never added twice in any case: an account already in the journey
stays as it was.

The summary counts every row once: queued, already imported and bad; the
requests table lists the request each part of the file became (tl loader
list --request UUID shows its records). --json prints the summary with the
request uuids and the bad rows. For members of the admins group.`,
		Example: `  tl loader import --journey J-DEMO examples/targets.csv
  tl loader import --journey J-DEMO event-leads.jsonl --json`,
		// More than one FILE is refused at once; none only after the
		// required --journey is checked, as for every command.
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("give one FILE to import (- reads standard input), not %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give the FILE to import (- reads standard input)")
			}
			return a.importTargets(cmd.Context(), strings.TrimSpace(journey), args[0], asJSON)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON, with the request uuids and the bad rows")
	requireFlag(cmd, "journey")
	return cmd
}

func (a *app) importTargets(ctx context.Context, journey, name string, asJSON bool) error {
	var r io.Reader = a.env.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return fmt.Errorf("cannot read %s: %w", name, unwrapPathError(err))
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 64*1024)
	head, _ := br.Peek(512)
	format := linefile.DetectFormat(name, head)
	parts, rows, tooBig, err := linefile.Split(br, format, domain.MaxTargets, domain.MaxBodyBytes)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", name, err)
	}
	switch {
	case rows == 0:
		return fmt.Errorf("%s holds no targets", name)
	case rows > domain.MaxImportRows:
		return fmt.Errorf("%s holds %d rows; tl loader import takes at most %d at once: split the file", name, rows, domain.MaxImportRows)
	}
	sum := loaderImport{File: name, Format: format, JourneyID: journey, Rows: rows, Requests: []importedRequest{}, BadRows: []badRow{}}
	for _, line := range tooBig {
		sum.BadRows = append(sum.BadRows, badRow{Line: line, Message: fmt.Sprintf("is longer than %d bytes, the most one upload may hold", domain.MaxBodyBytes)})
	}

	if err := a.uploadParts(ctx, journey, format, parts, &sum); err != nil {
		return err
	}
	slices.SortFunc(sum.Requests, func(x, y importedRequest) int { return x.FirstLine - y.FirstLine })
	slices.SortFunc(sum.BadRows, func(x, y badRow) int { return x.Line - y.Line })
	sum.Bad = len(sum.BadRows)
	for _, b := range sum.BadRows {
		a.warnf("%s:%d: %s\n", name, b.Line, b.Message)
	}
	if asJSON {
		if err := a.printJSON(sum); err != nil {
			return err
		}
	} else if err := a.printImport(sum); err != nil {
		return err
	}
	switch {
	case sum.Queued+sum.AlreadyImported == 0:
		return fmt.Errorf("%s holds no valid targets: all %d %s bad", name, sum.Bad, plural(sum.Bad, "row is", "rows are"))
	case sum.Bad > 0:
		return fmt.Errorf("%d of %d rows %s bad and skipped (see above); the other rows are imported", sum.Bad, sum.Rows, plural(sum.Bad, "was", "were"))
	}
	return nil
}

// uploadParts sends the parts, a few at once, and adds what became of
// them to sum. The first part the API refuses stops the import.
func (a *app) uploadParts(ctx context.Context, journey, format string, parts []linefile.Part, sum *loaderImport) error {
	total := 0
	for _, p := range parts {
		total += p.Rows
	}
	progress := a.newProgress(total, "uploading targets", "rows", nil)
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(uploadConcurrency)
	for _, part := range parts {
		g.Go(func() error {
			res, err := a.uploadPart(gctx, journey, format, part)
			if err != nil {
				return fmt.Errorf("%w\n(lines %d to %d)", err, part.FirstLine(), part.LastLine())
			}
			mu.Lock()
			defer mu.Unlock()
			if res.RequestUUID != "" {
				sum.Requests = append(sum.Requests, importedRequest{RequestUUID: res.RequestUUID, FirstLine: part.FirstLine(),
					LastLine: part.LastLine(), Accepted: res.Accepted, Replayed: res.Replayed})
			}
			if res.Replayed {
				sum.AlreadyImported += res.Accepted
			} else {
				sum.Queued += res.Accepted
			}
			for _, b := range res.BadRows {
				sum.BadRows = append(sum.BadRows, badRow{Line: part.FileLine(b.Line), Message: b.Message})
			}
			progress.add(part.Rows)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		progress.abort()
		if sum.Queued > 0 {
			err = fmt.Errorf("%w\n%d rows were queued before the import stopped; run the same command again to import the rest: the parts already imported are recognised and not queued twice", err, sum.Queued)
		}
		return err
	}
	progress.finish()
	return nil
}

// uploadPart sends one part under an Idempotency-Key made from its
// content, retrying while the API says to try again.
func (a *app) uploadPart(ctx context.Context, journey, format string, part linefile.Part) (upload.Result, error) {
	body := rawBody{contentType: mediaTypes[format], data: part.Body, headers: map[string]string{"Idempotency-Key": partKey(format, part.Body)}}
	var res upload.Result
	for attempt := 0; ; attempt++ {
		err := a.call(ctx, http.MethodPost, "/manage/journeys/"+pathEscape(journey)+"/loader-records", nil, body, &res)
		var ae *apiError
		if err == nil || !errors.As(err, &ae) || !retryable(ae.Status) || attempt == len(uploadRetryDelays) {
			return res, err
		}
		select {
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(uploadRetryDelays[attempt]):
		}
	}
}

func retryable(status int) bool {
	switch status {
	case http.StatusConflict, http.StatusTooManyRequests, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// partKey is a part's Idempotency-Key: the SHA-256 of its format and
// body, so the same part of the same file, imported again by tl or
// uploaded in the console (which cuts and keys files the same way), is
// recognised.
func partKey(format string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(format + "\n"))
	h.Write(body)
	return "part-" + hex.EncodeToString(h.Sum(nil))
}

// printImport prints the summary and the request each part became.
func (a *app) printImport(sum loaderImport) error {
	a.printf("%s\n", sum)
	if len(sum.Requests) == 0 {
		return nil
	}
	rows := make([][]string, len(sum.Requests))
	for i, r := range sum.Requests {
		what := "queued"
		if r.Replayed {
			what = "already imported"
		}
		rows[i] = []string{r.RequestUUID, fmt.Sprintf("%d-%d", r.FirstLine, r.LastLine), strconv.Itoa(r.Accepted), what}
	}
	return a.printTable([]string{"REQUEST", "LINES", "TARGETS", "STATUS"}, rows)
}
