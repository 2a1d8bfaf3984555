package budget

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/store"
)

// readMeter is the pipeline's DynamoDB client, adding up the read request
// units of what it reads as DynamoDB bills them: a Query by the items it
// returns, summed and rounded up to 4 KB; a BatchGetItem by each item
// rounded up to 4 KB; half for eventually consistent reads. (A filtered
// Query also bills the items its filter drops; the listings below measure
// filters only where the index entries they skip are a few bytes.)
type readMeter struct {
	store.DynamoDB
	mu  sync.Mutex
	rru float64
}

func (m *readMeter) add(units float64) {
	m.mu.Lock()
	m.rru += units
	m.mu.Unlock()
}

func (m *readMeter) take() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.rru
	m.rru = 0
	return u
}

func consistency(strong *bool) float64 {
	if aws.ToBool(strong) {
		return 1
	}
	return 0.5
}

func (m *readMeter) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	out, err := m.DynamoDB.Query(ctx, in, opts...)
	if err == nil {
		size := 0
		for _, it := range out.Items {
			size += store.ItemSize(it)
		}
		m.add(math.Max(1, math.Ceil(float64(size)/4096)) * consistency(in.ConsistentRead))
	}
	return out, err
}

func (m *readMeter) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	out, err := m.DynamoDB.BatchGetItem(ctx, in, opts...)
	if err == nil {
		for table, items := range out.Responses {
			for _, it := range items {
				m.add(math.Ceil(float64(store.ItemSize(it))/4096) * consistency(in.RequestItems[table].ConsistentRead))
			}
		}
	}
	return out, err
}

// TestListingReadCost measures what listing records costs now that they
// are stored by part: the calls and read units of every page of the status
// endpoint's and the management API's listings, over the records of 500
// targets run through the pipeline, copied to a journey of 10 requests of
// 500 and to one of 100 requests of one target (a web form's). The budget:
// a page of any listing here takes at most 3 calls.
func TestListingReadCost(t *testing.T) {
	const maxCallsPerPage = 3
	p := newPipeline(t, targetsPerRequest)
	ctx := context.Background()
	token := p.journeyWithToken(t, "LIST")
	resp := p.post(t, "LIST", token, 0, nil)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	requestUUID := decodeAccepted(t, resp.Body)
	p.drain(t)

	meter := &readMeter{DynamoDB: p.stack.DynamoDB}
	records := p.stack.LoaderRecords()
	records.DB = meter
	real, _, err := records.ListByRequest(ctx, requestUUID, "", 0)
	if err != nil || len(real) != targetsPerRequest {
		t.Fatalf("%d records, %v", len(real), err)
	}
	// The same records under other requests: journey BIG (10 x 500), journey FORM (100 x 1).
	copyAs := func(journey string, created time.Time, recs []domain.LoaderRecord) {
		u := uuid.NewString()
		out := make([]domain.LoaderRecord, len(recs))
		for i, r := range recs {
			r.RequestUUID, r.ID, r.Journey, r.CreatedAt = u, domain.RecordID(u, r.Index), journey, created
			out[i] = r
		}
		if err := p.stack.LoaderRecords().Put(ctx, 0, out); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().UTC()
	for i := range 10 {
		copyAs("BIG", t0.Add(time.Duration(i)*time.Second), real)
	}
	for i := range 100 {
		copyAs("FORM", t0.Add(time.Duration(i)*time.Second), real[i:i+1])
	}

	type row struct {
		what                    string
		pages, recs, calls      int
		rru                     float64
		rruPerPage, rruPerHundr float64
	}
	var rows []row
	measure := func(what string, q domain.RecordQuery, limit, wantRecords int) {
		t.Helper()
		meter.take()
		p.counter.Reset()
		cursor, pages, n := "", 0, 0
		for {
			before := p.counter.Snapshot().Calls(nil)
			page, next, err := records.List(ctx, q, cursor, limit)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if c := p.counter.Snapshot().Calls(nil) - before; c > maxCallsPerPage {
				t.Errorf("%s: page %d took %d calls; the budget is %d", what, pages, c, maxCallsPerPage)
			}
			pages++
			n += len(page)
			if next == "" {
				break
			}
			cursor = next
		}
		if n != wantRecords {
			t.Errorf("%s: %d records, want %d", what, n, wantRecords)
		}
		rru := meter.take()
		rows = append(rows, row{what: what, pages: pages, recs: n, calls: p.counter.Snapshot().Calls(nil), rru: rru,
			rruPerPage: rru / float64(pages), rruPerHundr: rru / math.Max(float64(n), 1) * 100})
	}
	measure("request of 500, pages of 100 (status endpoint)", domain.RecordQuery{RequestUUID: requestUUID}, 100, 500)
	measure("request of 500, pages of 500", domain.RecordQuery{RequestUUID: requestUUID}, 500, 500)
	measure("journey of 10 x 500, pages of 100", domain.RecordQuery{JourneyID: "BIG"}, 100, 5000)
	measure("journey of 10 x 500, pages of 500", domain.RecordQuery{JourneyID: "BIG"}, 500, 5000)
	measure("journey of 10 x 500, failed only (none)", domain.RecordQuery{JourneyID: "BIG", ProcessingStatus: domain.StatusFailed}, 100, 0)
	measure("journey of 10 x 500, matched by email", domain.RecordQuery{JourneyID: "BIG", MatchingOutcome: domain.OutcomeMatchedEmail}, 100, 2500)
	measure("journey of 100 x 1, pages of 100", domain.RecordQuery{JourneyID: "FORM"}, 100, 100)

	var b strings.Builder
	fmt.Fprintf(&b, "%-48s %6s %8s %6s %8s %9s %12s\n", "listing", "pages", "records", "calls", "RRU", "RRU/page", "RRU/100 rec")
	for _, r := range rows {
		fmt.Fprintf(&b, "%-48s %6d %8d %6d %8.1f %9.1f %12.1f\n", r.what, r.pages, r.recs, r.calls, r.rru, r.rruPerPage, r.rruPerHundr)
	}
	t.Logf("read cost of listings (records stored by part):\n%s", b.String())
}

func decodeAccepted(t *testing.T, body string) string {
	t.Helper()
	var a ingest.Accepted
	if err := json.Unmarshal([]byte(body), &a); err != nil || a.RequestUUID == "" {
		t.Fatalf("202 body %s: %v", body, err)
	}
	return a.RequestUUID
}
