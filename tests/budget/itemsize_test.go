package budget

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// maxRecordsWRUPer500 bounds the write units of the records of the 500
// workload targets (one part item): compactness is the point of storing
// records by part (PERFORMANCE.md "Loader records by part").
const maxRecordsWRUPer500 = 64

// TestItemSizesAndCost runs 500 targets through the pipeline, measures the
// items it wrote and prints the write and read units one target costs and
// the handler times, the inputs of PERFORMANCE.md's cost model.
func TestItemSizesAndCost(t *testing.T) {
	p := newPipeline(t, targetsPerRequest)
	ctx := context.Background()
	token := p.journeyWithToken(t, "SIZES")
	start := time.Now()
	resp := p.post(t, "SIZES", token, 0, nil)
	ingestTime := time.Since(start)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	start = time.Now()
	p.drain(t)
	consumerTime := time.Since(start)
	t.Logf("handler wall time against this endpoint: ingest %s per 500-target POST, consumer %s per 500 targets", ingestTime.Round(time.Millisecond), consumerTime.Round(time.Millisecond))

	var lines []string
	mean := map[string]float64{} // env var of the table -> mean item bytes
	for _, env := range []string{"ACCOUNTS_TABLE", "ACCOUNT_EMAILS_TABLE", "TOKENS_TABLE", "JOURNEYS_TABLE", "REQUESTS_TABLE", "LOADER_RECORDS_TABLE", "JOURNEY_TARGETS_TABLE", "RATE_LIMITS_TABLE"} {
		table := p.stack.Env[env]
		if table == "" {
			continue
		}
		var sizes []int
		var startKey map[string]types.AttributeValue
		for {
			out, err := p.stack.DynamoDB.Scan(ctx, &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: startKey})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.Items {
				sizes = append(sizes, store.ItemSize(it))
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			startKey = out.LastEvaluatedKey
		}
		if len(sizes) == 0 {
			continue
		}
		sort.Ints(sizes)
		sum := 0
		for _, s := range sizes {
			sum += s
		}
		mean[env] = float64(sum) / float64(len(sizes))
		lines = append(lines, fmt.Sprintf("%-22s items %5d  bytes mean %6.0f  max %6d  WRU/write %d  RRU/strong read %d",
			env, len(sizes), mean[env], sizes[len(sizes)-1], int(math.Ceil(float64(sizes[len(sizes)-1])/1024)), int(math.Ceil(float64(sizes[len(sizes)-1])/4096))))
		if sizes[len(sizes)-1] > 1024 && env == "JOURNEY_TARGETS_TABLE" {
			t.Errorf("%s items reach %d bytes: over 1 KB each write costs 2 WRU", env, sizes[len(sizes)-1])
		}
		if env == "LOADER_RECORDS_TABLE" {
			// One part item holds the 500 records; its journey index entry costs 1 WRU more.
			wru := int(math.Ceil(float64(sum) / 1024))
			lines = append(lines, fmt.Sprintf("%-22s %.1f bytes a record, %d WRU per %d targets (+1 for the part's journey index entry)", "", float64(sum)/targetsPerRequest, wru, targetsPerRequest))
			if len(sizes) != 1 || wru > maxRecordsWRUPer500 {
				t.Errorf("the records of %d targets are %d items of %v bytes: %d WRU, budget %d", targetsPerRequest, len(sizes), sizes, wru, maxRecordsWRUPer500)
			}
		}
	}
	t.Logf("item sizes (attribute names + values, as DynamoDB bills):\n%s", strings.Join(lines, "\n"))

	m := costOf(mean)
	t.Logf("cost per million targets, every one a new journey target, at list prices (PERFORMANCE.md):\n%s", m)
	// The cost model's inputs: a new journey target is one write unit, an
	// account item is read as one unit, and processing a million targets
	// (writes, reads, requests) stays within issue 14's dollar. Storage is
	// a monthly cost besides (PERFORMANCE.md).
	if wru := math.Ceil(mean["JOURNEY_TARGETS_TABLE"] / 1024); wru != 1 {
		t.Errorf("a journey target costs %.0f WRU, the model holds 1", wru)
	}
	if a := mean["ACCOUNTS_TABLE"]; a > 4096 {
		t.Errorf("an account item is %.0f bytes: reading it costs more than the model's unit", a)
	}
	if got := m.processing(true); got > 1.00 {
		t.Errorf("processing a million targets costs $%.3f, over $1.00", got)
	}
}

// TestRecordPartItemSizes writes parts of 500 records with long failure
// reasons to the table and measures their items: every item within
// DynamoDB's 400 KB (moto does not enforce it), and what they cost.
func TestRecordPartItemSizes(t *testing.T) {
	stack := testenv.NewStack(t)
	records := stack.LoaderRecords()
	table := stack.Env[resources.LoaderRecords.EnvVar]
	now := time.Now().UTC()
	ids := func(r *rand.Rand, n int) string {
		var out []string
		for range n {
			out = append(out, fmt.Sprintf("V%017d", r.Int64N(1e17)))
		}
		return strings.Join(out, ", ")
	}
	cases := []struct {
		name string
		make func(r *rand.Rand, i int) domain.LoaderRecord
	}{
		{"500 distinct people, random names and emails, successes (half by id, half by email)", func(r *rand.Rand, i int) domain.LoaderRecord {
			rec := domain.LoaderRecord{SourceSystemID: fmt.Sprintf("crm-%d", r.Int64N(1e9)),
				SubmittedFirstName: randomWord(r, 4+r.IntN(6)), SubmittedLastName: randomWord(r, 5+r.IntN(8)),
				Account: fmt.Sprintf("V%017d", r.Int64N(1e17)), MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess}
			if i%2 == 0 {
				rec.SubmittedAccountID = rec.Account
			} else {
				rec.SubmittedEmail = fmt.Sprintf("%s.%s@%s.example.org", rec.SubmittedFirstName, rec.SubmittedLastName, randomWord(r, 3+r.IntN(8)))
				rec.MatchingOutcome = domain.OutcomeMatchedEmail
			}
			return rec
		}},
		{"500 shared emails, each matching 10 accounts (failure reasons of ~260 bytes)", func(r *rand.Rand, i int) domain.LoaderRecord {
			email := fmt.Sprintf("%s.%s@%s.example.org", randomWord(r, 8), randomWord(r, 10), randomWord(r, 12))
			return domain.LoaderRecord{SourceSystemID: fmt.Sprintf("form-%d", r.Int64()), SubmittedEmail: email,
				SubmittedFirstName: randomWord(r, 9), SubmittedLastName: randomWord(r, 12),
				MatchingOutcome: domain.OutcomeMultipleMatches, ProcessingStatus: domain.StatusFailed,
				FailureReason: fmt.Sprintf("Email %s matches 10 accounts (%s); submit an account_id to choose one", email, ids(r, 10))}
		}},
		{"500 targets with every field at its longest, in 3-byte characters, failure reasons naming 5 accounts", func(r *rand.Rand, i int) domain.LoaderRecord {
			email := randomText(r, domain.MaxEmailChars)
			return domain.LoaderRecord{SourceSystemID: randomText(r, domain.MaxSourceSystemIDChars), SubmittedEmail: email,
				SubmittedAccountID: randomText(r, domain.MaxAccountIDChars), SubmittedFirstName: randomText(r, domain.MaxNameChars), SubmittedLastName: randomText(r, domain.MaxNameChars),
				MatchingOutcome: domain.OutcomeMultipleMatches, ProcessingStatus: domain.StatusFailed,
				FailureReason: fmt.Sprintf("No account has account_id x, and email %s matches 5 accounts (%s, %s, %s, %s, %s)", email,
					randomText(r, 64), randomText(r, 64), randomText(r, 64), randomText(r, 64), randomText(r, 64))}
		}},
	}
	for n, c := range cases {
		r := rand.New(rand.NewPCG(uint64(n), 7))
		u := uuid.NewString()
		recs := make([]domain.LoaderRecord, targetsPerRequest)
		jsonBytes := 0
		for i := range recs {
			rec := c.make(r, i)
			rec.ID, rec.RequestUUID, rec.Index, rec.Journey, rec.CreatedAt, rec.ProcessedAt = domain.RecordID(u, i), u, i, "SIZES", now, now
			recs[i] = rec
			b, _ := json.Marshal(rec)
			jsonBytes += len(b)
		}
		if err := records.Put(context.Background(), 0, recs); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		out, err := stack.DynamoDB.Scan(context.Background(), &dynamodb.ScanInput{TableName: &table})
		if err != nil {
			t.Fatal(err)
		}
		var sizes []int
		wru, total := 0, 0
		for _, it := range out.Items {
			if k, _ := it[resources.AttrRequestUUID].(*types.AttributeValueMemberS); k == nil || !strings.HasPrefix(k.Value, u) {
				continue
			}
			size := store.ItemSize(it)
			sizes = append(sizes, size)
			wru += int(math.Ceil(float64(size) / 1024))
			total += size
			if size > store.MaxItemBytes {
				t.Errorf("%s: an item of %d bytes, over DynamoDB's %d", c.name, size, store.MaxItemBytes)
			}
		}
		back, _, err := records.ListByRequest(context.Background(), u, "", 0)
		if err != nil || len(back) != len(recs) || back[len(back)-1] != recs[len(recs)-1] {
			t.Errorf("%s: read back %d records, %v", c.name, len(back), err)
		}
		t.Logf("%s: %d bytes as the API's JSON; stored as %d item(s) of %v bytes, %.0f bytes a record, %d WRU (+1 index entry)",
			c.name, jsonBytes, len(sizes), sizes, float64(total)/targetsPerRequest, wru)
	}
}

func randomWord(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// randomText is n characters of 3 bytes each in UTF-8, which compression cannot shrink much.
func randomText(r *rand.Rand, n int) string {
	var b strings.Builder
	for range n {
		b.WriteRune(rune(0x4E00 + r.IntN(0x5000)))
	}
	return b.String()
}
