package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

var (
	partCreated   = time.Date(2026, 12, 3, 9, 30, 0, 123456789, time.UTC)
	partProcessed = partCreated.Add(2 * time.Second)
)

// partTable is a fake DynamoDB holding what Put writes, by key.
type partTable struct {
	mu    sync.Mutex
	items map[string]item
	puts  int
	// batches counts BatchWriteItem calls; deleted lists deleted keys.
	batches int
	deleted []string
}

func newPartTable() *partTable { return &partTable{items: map[string]item{}} }

func keyString(it item) string {
	return fmt.Sprintf("%s/%d", str(it, resources.AttrRequestUUID), num(it, resources.AttrPart))
}

func (p *partTable) db() fakes.DynamoDB {
	return fakes.DynamoDB{
		PutItemFunc: func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.puts++
			old := p.items[keyString(in.Item)]
			p.items[keyString(in.Item)] = in.Item
			if in.ReturnValues == types.ReturnValueAllOld {
				return &dynamodb.PutItemOutput{Attributes: old}, nil
			}
			return &dynamodb.PutItemOutput{}, nil
		},
		BatchWriteItemFunc: func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			p.batches++
			for _, ws := range in.RequestItems {
				for _, w := range ws {
					if w.PutRequest != nil {
						p.items[keyString(w.PutRequest.Item)] = w.PutRequest.Item
					} else {
						delete(p.items, keyString(w.DeleteRequest.Key))
						p.deleted = append(p.deleted, keyString(w.DeleteRequest.Key))
					}
				}
			}
			return &dynamodb.BatchWriteItemOutput{}, nil
		},
		BatchGetItemFunc: func(in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
			p.mu.Lock()
			defer p.mu.Unlock()
			out := &dynamodb.BatchGetItemOutput{Responses: map[string][]item{}}
			for table, ka := range in.RequestItems {
				for _, k := range ka.Keys {
					if it, ok := p.items[keyString(k)]; ok {
						out.Responses[table] = append(out.Responses[table], it)
					}
				}
			}
			return out, nil
		},
	}
}

// randomText is n characters drawn from a wide alphabet (CJK: 3 bytes
// each in UTF-8), which compression cannot shrink much.
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteRune(rune(0x4E00 + r.IntN(0x5000)))
	}
	return b.String()
}

// longRecords are n records of request u with every field at its longest
// and long failure reasons, in characters of 3 bytes.
func longRecords(u string, n int) []domain.LoaderRecord {
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]domain.LoaderRecord, n)
	for i := range recs {
		email := randomText(r, domain.MaxEmailChars)
		var ids []string
		for range 5 {
			ids = append(ids, randomText(r, domain.MaxAccountIDChars))
		}
		recs[i] = domain.LoaderRecord{
			ID: domain.RecordID(u, i), RequestUUID: u, Index: i, Journey: "J-LONG",
			SourceSystemID: randomText(r, domain.MaxSourceSystemIDChars), SubmittedEmail: email,
			SubmittedAccountID: randomText(r, domain.MaxAccountIDChars),
			SubmittedFirstName: randomText(r, domain.MaxNameChars), SubmittedLastName: randomText(r, domain.MaxNameChars),
			MatchingOutcome: domain.OutcomeMultipleMatches, ProcessingStatus: domain.StatusFailed,
			FailureReason: fmt.Sprintf("No account has account_id x, and email %s matches 5 accounts (%s)", email, strings.Join(ids, ", ")),
			CreatedAt:     partCreated, ProcessedAt: partProcessed,
		}
	}
	return recs
}

// typicalRecords are n records as the workload submits them: short ids,
// emails and names, half matched by id, half by email.
func typicalRecords(u string, n int) []domain.LoaderRecord {
	recs := make([]domain.LoaderRecord, n)
	for i := range recs {
		recs[i] = domain.LoaderRecord{
			ID: domain.RecordID(u, i), RequestUUID: u, Index: i, Journey: "J1",
			SourceSystemID: fmt.Sprintf("cdp-%06d", i), SubmittedFirstName: "Ada", SubmittedLastName: fmt.Sprintf("Lovelace%d", i),
			Account: fmt.Sprintf("V4T%07d", i), MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess,
			CreatedAt: partCreated, ProcessedAt: partProcessed,
		}
		if i%2 == 0 {
			recs[i].SubmittedAccountID = recs[i].Account
		} else {
			recs[i].SubmittedEmail = fmt.Sprintf("Person.%d@Example.com", i)
			recs[i].MatchingOutcome = domain.OutcomeMatchedEmail
		}
	}
	return recs
}

// readBack decodes the part item of (u, part) the way listings do.
func readBack(t *testing.T, tbl *partTable, u string, part int) []domain.LoaderRecord {
	t.Helper()
	s := LoaderRecords{DB: tbl.db(), Table: "records"}
	head, ok := tbl.items[fmt.Sprintf("%s/%d", u, part)]
	if !ok {
		t.Fatalf("no part item %s/%d", u, part)
	}
	parts, err := s.readParts(context.Background(), []item{head}, true)
	if err != nil {
		t.Fatal(err)
	}
	return parts[0].records
}

func TestATypicalPartIsOneItemOfAFewBytesPerRecord(t *testing.T) {
	// GIVEN 500 records of typical length
	tbl := newPartTable()
	u := uuid.NewString()
	recs := typicalRecords(u, domain.MaxTargets)
	// WHEN they are written as part 0
	if err := (LoaderRecords{DB: tbl.db(), Table: "records", Retention: time.Hour}).Put(context.Background(), 0, recs); err != nil {
		t.Fatal(err)
	}
	// THEN one PutItem wrote one item, and it reads back as the records
	if tbl.puts != 1 || tbl.batches != 0 || len(tbl.items) != 1 {
		t.Fatalf("puts %d, batch writes %d, items %d", tbl.puts, tbl.batches, len(tbl.items))
	}
	size := ItemSize(tbl.items[u+"/0"])
	t.Logf("500 typical records: one item of %d bytes (%.0f bytes a record)", size, float64(size)/500)
	if diff := cmp.Diff(recs, readBack(t, tbl, u, 0)); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestAPartTooLargeForOneItemSplitsUnderTheLimitAndReadsBack(t *testing.T) {
	// GIVEN 500 records with every field at its longest in 3-byte characters
	// and failure reasons naming five long account ids (~1.3 MB of JSON)
	tbl := newPartTable()
	u := uuid.NewString()
	recs := longRecords(u, domain.MaxTargets)
	// WHEN they are written as part 2
	if err := (LoaderRecords{DB: tbl.db(), Table: "records"}).Put(context.Background(), 2, recs); err != nil {
		t.Fatal(err)
	}
	// THEN the part spans several items, each within DynamoDB's limit
	// (which moto does not enforce): continuations first, the part item last
	if len(tbl.items) < 2 || tbl.puts != 1 || tbl.batches == 0 {
		t.Fatalf("items %d, puts %d, batch writes %d", len(tbl.items), tbl.puts, tbl.batches)
	}
	for k, it := range tbl.items {
		if n := ItemSize(it); n > MaxItemBytes {
			t.Errorf("item %s is %d bytes, over %d", k, n, MaxItemBytes)
		}
	}
	chunks, _ := partChunks(tbl.items[u+"/2"])
	if chunks != len(tbl.items) {
		t.Errorf("part item names %d chunks, %d items written", chunks, len(tbl.items))
	}
	t.Logf("500 longest records: %d items", len(tbl.items))
	// AND it reads back as the records, in order
	if diff := cmp.Diff(recs, readBack(t, tbl, u, 2)); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestRewritingASplitPartReplacesItAndDeletesTheOldChunks(t *testing.T) {
	// GIVEN a part written split
	tbl := newPartTable()
	u := uuid.NewString()
	s := LoaderRecords{DB: tbl.db(), Table: "records"}
	if err := s.Put(context.Background(), 0, longRecords(u, domain.MaxTargets)); err != nil {
		t.Fatal(err)
	}
	oldChunks, oldID := partChunks(tbl.items[u+"/0"])
	// WHEN a redelivery writes it again, now with records that fit one item
	again := typicalRecords(u, domain.MaxTargets)
	for i := range again {
		again[i].Journey = "J-LONG"
	}
	if err := s.Put(context.Background(), 0, again); err != nil {
		t.Fatal(err)
	}
	// THEN one item is left, the new one, and every chunk of the old write was deleted
	if len(tbl.items) != 1 || len(tbl.deleted) != oldChunks-1 {
		t.Fatalf("items %d, deleted %v (old write %s of %d chunks)", len(tbl.items), tbl.deleted, oldID, oldChunks)
	}
	if diff := cmp.Diff(again, readBack(t, tbl, u, 0)); diff != "" {
		t.Errorf("read back (-want +got):\n%s", diff)
	}
}

func TestPutRefusesARecordLargerThanAnItemAndMixedParts(t *testing.T) {
	tbl := newPartTable()
	s := LoaderRecords{DB: tbl.db(), Table: "records"}
	u := uuid.NewString()
	huge := longRecords(u, 1)
	huge[0].FailureReason = randomText(rand.New(rand.NewPCG(3, 4)), MaxItemBytes/2)
	if err := s.Put(context.Background(), 0, huge); err == nil || !strings.Contains(err.Error(), "more than an item holds") {
		t.Errorf("huge record: err %v", err)
	}
	mixed := typicalRecords(u, 2)
	mixed[1].RequestUUID = uuid.NewString()
	if err := s.Put(context.Background(), 0, mixed); err == nil {
		t.Error("records of two requests written as one part")
	}
	if len(tbl.items) != 0 {
		t.Errorf("%d items written", len(tbl.items))
	}
}

func TestBadRecordCursorsAreRefusedBeforeAnyCall(t *testing.T) {
	u, other := uuid.NewString(), uuid.NewString()
	sort := journeySort(partCreated, u, 1)
	enc := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
	byRequest := domain.RecordQuery{RequestUUID: u}
	byJourney := domain.RecordQuery{JourneyID: "J1"}
	good := []struct {
		q      domain.RecordQuery
		cursor string
	}{
		{byRequest, enc(`{"r":"` + u + `","p":1,"o":20}`)},
		{byJourney, enc(`{"r":"` + u + `","p":1,"s":"` + sort + `"}`)},
	}
	for _, g := range good {
		if _, err := decodeRecordCursor(g.cursor, g.q); err != nil {
			t.Errorf("cursor %s refused: %v", g.cursor, err)
		}
	}
	bad := []struct {
		q      domain.RecordQuery
		cursor string
	}{
		{byRequest, "%%%"},
		{byRequest, enc(`not json`)},
		{byRequest, enc(`{}`)},
		{byRequest, enc(`{"r":"` + u + `","p":1}{}`)},
		{byRequest, enc(`{"r":"` + u + `","p":1,"x":1}`)},
		{byRequest, enc(`{"r":"` + other + `","p":1}`)},                        // another request's
		{byRequest, enc(`{"r":"` + u + `","p":-1}`)},                           // no such part
		{byRequest, enc(`{"r":"` + u + `","p":1,"o":500}`)},                    // past any part
		{byRequest, enc(`{"r":"` + u + `","p":1,"s":"` + sort + `"}`)},         // a journey's
		{byJourney, enc(`{"r":"` + u + `","p":1}`)},                            // a request's
		{byJourney, enc(`{"r":"` + u + `","p":2,"s":"` + sort + `"}`)},         // sort of another part
		{byJourney, enc(`{"r":"` + other + `","p":1,"s":"` + sort + `"}`)},     // sort of another request
		{byJourney, enc(`{"r":"nope","p":1,"s":"x#nope#00001"}`)},              // not a uuid
		{byJourney, enc(`{"r":"` + u + `","p":1,"s":"2026-12-03#` + u + `"}`)}, // not a time
	}
	calls := 0
	db := fakes.DynamoDB{
		QueryFunc: func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
			calls++
			return &dynamodb.QueryOutput{}, nil
		},
		BatchGetItemFunc: func(*dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
			calls++
			return &dynamodb.BatchGetItemOutput{}, nil
		},
	}
	for _, b := range bad {
		if _, _, err := (LoaderRecords{DB: db, Table: "records"}).List(context.Background(), b.q, b.cursor, 10); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("cursor %s of %+v: err %v, want invalid", b.cursor, b.q, err)
		}
	}
	if calls != 0 {
		t.Errorf("%d calls for bad cursors", calls)
	}
}
