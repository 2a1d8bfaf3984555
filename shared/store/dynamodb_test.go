package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// The shared fake satisfies the adapters' client interface.
var _ DynamoDB = fakes.DynamoDB{}

func keysOf(n int) []keyRef {
	keys := make([]keyRef, n)
	for i := range keys {
		keys[i] = keyRef{table: "t", key: item{"id": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}}
	}
	return keys
}

func TestBatchGetNeverAsksMoreThan100KeysAndRetriesUnprocessed(t *testing.T) {
	var mu sync.Mutex
	calls, seen := 0, map[string]int{}
	db := fakes.DynamoDB{BatchGetItemFunc: func(in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		keys := in.RequestItems["t"].Keys
		if len(keys) > MaxBatchGetKeys {
			t.Errorf("BatchGetItem with %d keys", len(keys))
		}
		out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
		// Leave the last key of every call unprocessed once.
		for i, k := range keys {
			id := k["id"].(*types.AttributeValueMemberS).Value
			if i == len(keys)-1 && seen[id] == 0 {
				seen[id]++
				out.UnprocessedKeys = map[string]types.KeysAndAttributes{"t": {Keys: keys[i:]}}
				continue
			}
			seen[id]++
			out.Responses["t"] = append(out.Responses["t"], k)
		}
		return out, nil
	}}
	found, err := batchGet(context.Background(), db, keysOf(250), true)
	if err != nil {
		t.Fatal(err)
	}
	if len(found["t"]) != 250 {
		t.Errorf("found %d items, want 250", len(found["t"]))
	}
	if calls != 6 { // 3 chunks (100, 100, 50), each retried once for its unprocessed key
		t.Errorf("%d calls, want 6", calls)
	}
}

func TestBatchWriteNeverSendsMoreThan25Items(t *testing.T) {
	var mu sync.Mutex
	written := 0
	db := fakes.DynamoDB{BatchWriteItemFunc: func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
		mu.Lock()
		defer mu.Unlock()
		if n := len(in.RequestItems["t"]); n > MaxBatchWriteItems {
			t.Errorf("BatchWriteItem with %d items", n)
		}
		written += len(in.RequestItems["t"])
		return &dynamodb.BatchWriteItemOutput{}, nil
	}}
	items := make([]item, 101)
	for i := range items {
		items[i] = item{"id": &types.AttributeValueMemberS{Value: fmt.Sprint(i)}}
	}
	if err := batchPut(context.Background(), db, "t", items); err != nil {
		t.Fatal(err)
	}
	if written != 101 {
		t.Errorf("wrote %d items, want 101", written)
	}
}

func TestUnprocessedItemsUntilTheDeadlineIsAnError(t *testing.T) {
	db := fakes.DynamoDB{BatchWriteItemFunc: func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
		return &dynamodb.BatchWriteItemOutput{UnprocessedItems: in.RequestItems}, nil
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := batchPut(ctx, db, "t", []item{{"id": &types.AttributeValueMemberS{Value: "x"}}})
	if !errors.Is(err, ErrDeadline) {
		t.Errorf("err = %v, want ErrDeadline", err)
	}
}

func TestBatchErrorsAreReturned(t *testing.T) {
	boom := errors.New("boom")
	db := fakes.DynamoDB{BatchGetItemFunc: func(*dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) { return nil, boom }}
	if _, err := batchGet(context.Background(), db, keysOf(3), false); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
}

func TestCursorRoundTripAndTampering(t *testing.T) {
	key := item{"request_uuid": &types.AttributeValueMemberS{Value: "u"}, "target_index": &types.AttributeValueMemberN{Value: "42"}}
	c, err := encodeCursor(key)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeCursor(c)
	if err != nil {
		t.Fatal(err)
	}
	if back["target_index"].(*types.AttributeValueMemberN).Value != "42" || back["request_uuid"].(*types.AttributeValueMemberS).Value != "u" {
		t.Errorf("round trip = %#v", back)
	}
	for _, bad := range []string{"%%%", "bm90IGpzb24", "e30"} {
		if _, err := decodeCursor(bad); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
}
