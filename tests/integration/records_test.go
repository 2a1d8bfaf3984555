package integration

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

// partRecords are the records of targets from..to-1 of a request; long
// ones have every field at its longest in 3-byte characters, so that a
// part of 250 of them needs several items.
func partRecords(u, journey string, created time.Time, from, to int, long bool) []domain.LoaderRecord {
	r := rand.New(rand.NewPCG(uint64(from), uint64(to)))
	text := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteRune(rune(0x4E00 + r.IntN(0x5000)))
		}
		return b.String()
	}
	var recs []domain.LoaderRecord
	for i := from; i < to; i++ {
		rec := domain.LoaderRecord{
			ID: domain.RecordID(u, i), RequestUUID: u, Index: i, Journey: journey,
			SourceSystemID: fmt.Sprintf("cdp-%d", i), SubmittedAccountID: fmt.Sprintf("V4T%05d", i), Account: fmt.Sprintf("V4T%05d", i),
			MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess,
			CreatedAt: created, ProcessedAt: created.Add(time.Second),
		}
		if i%3 == 0 {
			rec.Account, rec.MatchingOutcome, rec.ProcessingStatus = "", domain.OutcomeNoMatch, domain.StatusFailed
			rec.FailureReason = "No account matches account_id " + rec.SubmittedAccountID
		}
		if long {
			rec.SourceSystemID, rec.SubmittedEmail = text(domain.MaxSourceSystemIDChars), text(domain.MaxEmailChars)
			rec.SubmittedFirstName, rec.SubmittedLastName = text(domain.MaxNameChars), text(domain.MaxNameChars)
			rec.FailureReason = "Email " + rec.SubmittedEmail + " matches 3 accounts (" + text(64) + ", " + text(64) + ", " + text(64) + ")"
		}
		recs = append(recs, rec)
	}
	return recs
}

// listAll follows a listing's cursors with the given page size and checks
// that every page but the last is full when unfiltered.
func listAll(t *testing.T, s store.LoaderRecords, q domain.RecordQuery, limit int) []domain.LoaderRecord {
	t.Helper()
	var all []domain.LoaderRecord
	cursor := ""
	for pages := 0; ; pages++ {
		page, next, err := s.List(t.Context(), q, cursor, limit)
		if err != nil {
			t.Fatalf("%+v, limit %d, page %d: %v", q, limit, pages, err)
		}
		if len(page) > limit || (next != "" && len(page) < limit && q.MatchingOutcome == "" && q.ProcessingStatus == "") {
			t.Fatalf("%+v, limit %d, page %d: %d records, next %q", q, limit, pages, len(page), next)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		cursor = next
	}
}

func TestRecordsStoredByPartListPerTargetWithPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	s := e.stack.LoaderRecords()
	s.Retention = resources.DefaultRetentionDays * 24 * time.Hour
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	a, b, c := uuid.NewString(), uuid.NewString(), uuid.NewString()
	// GIVEN journey J1's request A in three parts, the second too large for
	// one item, its request B of one target received a second later, and
	// journey J2's request C
	partsA := [][]domain.LoaderRecord{
		partRecords(a, "J1", t0, 0, 200, false),
		partRecords(a, "J1", t0, 200, 450, true),
		partRecords(a, "J1", t0, 450, 457, false),
	}
	for part, recs := range partsA {
		if err := s.Put(t.Context(), part, recs); err != nil {
			t.Fatal(err)
		}
	}
	recsB := partRecords(b, "J1", t0.Add(time.Second), 0, 1, false)
	if err := s.Put(t.Context(), 0, recsB); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(t.Context(), 0, partRecords(c, "J2", t0, 0, 5, false)); err != nil {
		t.Fatal(err)
	}
	var wantA []domain.LoaderRecord
	for _, p := range partsA {
		wantA = append(wantA, p...)
	}
	wantJ1 := append(append([]domain.LoaderRecord{}, wantA...), recsB...)
	filter := func(recs []domain.LoaderRecord, q domain.RecordQuery) []domain.LoaderRecord {
		var out []domain.LoaderRecord
		for _, r := range recs {
			if q.Matches(r) {
				out = append(out, r)
			}
		}
		return out
	}

	// WHEN listing J1's records, and request A's, page by page
	// THEN the pages hold every record once: a journey's oldest request
	// first, each request's in index order, exactly as they were written
	for _, limit := range []int{40, 500} {
		if diff := cmp.Diff(wantJ1, listAll(t, s, domain.RecordQuery{JourneyID: "J1"}, limit)); diff != "" {
			t.Errorf("J1 at limit %d (-want +got):\n%s", limit, diff)
		}
		if diff := cmp.Diff(wantA, listAll(t, s, domain.RecordQuery{RequestUUID: a}, limit)); diff != "" {
			t.Errorf("request A at limit %d (-want +got):\n%s", limit, diff)
		}
	}
	// AND pages of one record step through a part record by record
	page, next, err := s.List(t.Context(), domain.RecordQuery{JourneyID: "J1"}, "", 1)
	for i := 0; i < 3 && err == nil; i++ {
		if len(page) != 1 || page[0].ID != wantJ1[i].ID || next == "" {
			t.Fatalf("page %d = %v, next %q", i, page, next)
		}
		page, next, err = s.List(t.Context(), domain.RecordQuery{JourneyID: "J1"}, next, 1)
	}
	if err != nil {
		t.Fatal(err)
	}
	// AND filters select the same records as before, across parts
	for _, q := range []domain.RecordQuery{
		{JourneyID: "J1", ProcessingStatus: domain.StatusFailed},
		{JourneyID: "J1", MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess},
		{JourneyID: "J1", MatchingOutcome: domain.OutcomeConflict},
		{JourneyID: "J1", RequestUUID: b},
		{JourneyID: "J2", RequestUUID: a},
		{RequestUUID: a, MatchingOutcome: domain.OutcomeNoMatch},
	} {
		if diff := cmp.Diff(filter(wantJ1, q), listAll(t, s, q, 50)); diff != "" {
			t.Errorf("%+v (-want +got):\n%s", q, diff)
		}
	}
	// AND a cursor of one listing is refused by another
	_, journeyCursor, _ := s.List(t.Context(), domain.RecordQuery{JourneyID: "J1"}, "", 10)
	_, requestCursor, _ := s.List(t.Context(), domain.RecordQuery{RequestUUID: a}, "", 10)
	for _, bad := range []struct {
		q      domain.RecordQuery
		cursor string
	}{
		{domain.RecordQuery{RequestUUID: a}, journeyCursor},
		{domain.RecordQuery{RequestUUID: b}, requestCursor},
		{domain.RecordQuery{JourneyID: "J1"}, requestCursor},
		{domain.RecordQuery{JourneyID: "J2"}, journeyCursor}, // names a part of J1
	} {
		if _, _, err := s.List(t.Context(), bad.q, bad.cursor, 10); domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("%+v with cursor %s: err %v", bad.q, bad.cursor, err)
		}
	}
	// AND the journey index has one entry per part, not per record
	out, err := e.stack.DynamoDB.Query(t.Context(), &dynamodb.QueryInput{
		TableName: aws.String(e.stack.Env[resources.LoaderRecords.EnvVar]), IndexName: aws.String(resources.IndexRecordsByJourney),
		KeyConditionExpression:    aws.String("journey_id = :j"),
		ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":j": &dbtypes.AttributeValueMemberS{Value: "J1"}},
	})
	if err != nil || len(out.Items) != 4 {
		t.Errorf("index entries of J1: %d (%v), want 4", len(out.Items), err)
	}

	// WHEN a redelivery writes A's split part again, now processed later
	again := partRecords(a, "J1", t0, 200, 450, true)
	for i := range again {
		again[i].ProcessedAt = t0.Add(time.Minute)
	}
	if err := s.Put(t.Context(), 1, again); err != nil {
		t.Fatal(err)
	}
	// THEN the listing shows the new records once each, and the old chunks are gone
	copy(wantA[200:450], again)
	if diff := cmp.Diff(wantA, listAll(t, s, domain.RecordQuery{RequestUUID: a}, 500)); diff != "" {
		t.Errorf("after the rewrite (-want +got):\n%s", diff)
	}
	scan, err := e.stack.DynamoDB.Scan(t.Context(), scanInput(e.stack.Env[resources.LoaderRecords.EnvVar]))
	if err != nil {
		t.Fatal(err)
	}
	chunksOfA := 0
	for _, it := range scan.Items {
		if strings.HasPrefix(flatten(it)[resources.AttrRequestUUID], a+"#") {
			chunksOfA++
		}
	}
	if chunksOfA == 0 || len(scan.Items) != 5+chunksOfA {
		t.Errorf("%d items, %d of them continuations of A's split part", len(scan.Items), chunksOfA)
	}
}
