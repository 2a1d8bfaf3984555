package store

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

var received = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// deleteAfter is the item's TTL attribute as epoch seconds, or -1 without one.
func deleteAfter(t *testing.T, it item) int64 {
	t.Helper()
	v, ok := it[resources.AttrDeleteAfter]
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(v.(*types.AttributeValueMemberN).Value, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestRequestsExpireAfterTheRetentionPeriod(t *testing.T) {
	for _, keep := range []time.Duration{30 * 24 * time.Hour, 400 * 24 * time.Hour} {
		// GIVEN the requests adapter with a retention period
		var put, transacted item
		db := fakes.DynamoDB{
			PutItemFunc: func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
				put = in.Item
				return &dynamodb.PutItemOutput{}, nil
			},
			TransactWriteItemsFunc: func(in *dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error) {
				transacted = in.TransactItems[0].Put.Item
				return &dynamodb.TransactWriteItemsOutput{}, nil
			},
		}
		s := Requests{DB: db, Table: "requests", IdempotencyTable: "idem", Retention: keep}
		r := domain.Request{UUID: "u-1", JourneyID: "J-1", ReceivedAt: received}
		// WHEN it creates a request, with and without an idempotency key
		if err := s.Create(context.Background(), r); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateIdempotent(context.Background(), r, domain.IdempotencyRecord{Key: "k"}, received, ""); err != nil {
			t.Fatal(err)
		}
		// THEN the item expires the retention period after the request was received
		want := received.Add(keep).Unix()
		if got := deleteAfter(t, put); got != want {
			t.Errorf("Create: delete_after %d, want %d", got, want)
		}
		if got := deleteAfter(t, transacted); got != want {
			t.Errorf("CreateIdempotent: delete_after %d, want %d", got, want)
		}
	}
}

func TestLoaderRecordsExpireAfterTheRetentionPeriod(t *testing.T) {
	// GIVEN the records adapter with a retention period of 400 days
	var written []item
	db := fakes.DynamoDB{PutItemFunc: func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
		written = append(written, in.Item)
		return &dynamodb.PutItemOutput{}, nil
	}}
	keep := 400 * 24 * time.Hour
	s := LoaderRecords{DB: db, Table: "records", Retention: keep}
	// WHEN it writes the records of a request's part
	records := []domain.LoaderRecord{
		{RequestUUID: "u-1", Index: 0, CreatedAt: received, ProcessedAt: received.Add(time.Hour)},
		{RequestUUID: "u-1", Index: 1, CreatedAt: received, ProcessedAt: received.Add(time.Hour)},
	}
	if err := s.Put(context.Background(), 0, records); err != nil {
		t.Fatal(err)
	}
	// THEN the part's item expires with its request: the period after the request was received
	if len(written) != 1 {
		t.Fatalf("%d items written", len(written))
	}
	for i, it := range written {
		if got, want := deleteAfter(t, it), received.Add(keep).Unix(); got != want {
			t.Errorf("record %d: delete_after %d, want %d", i, got, want)
		}
	}
}

func TestNoRetentionKeepsItems(t *testing.T) {
	// GIVEN adapters without a retention period (as in ops tools that only read)
	var put item
	db := fakes.DynamoDB{PutItemFunc: func(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
		put = in.Item
		return &dynamodb.PutItemOutput{}, nil
	}}
	// WHEN a request is created
	if err := (Requests{DB: db, Table: "requests"}).Create(context.Background(), domain.Request{UUID: "u-1", ReceivedAt: received}); err != nil {
		t.Fatal(err)
	}
	// THEN it carries no expiry
	if got := deleteAfter(t, put); got != -1 {
		t.Errorf("delete_after %d, want none", got)
	}
}
