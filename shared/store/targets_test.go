package store

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

func TestAddNewReadsConsistentlyAndBatchWritesOnlyTheAbsent(t *testing.T) {
	// GIVEN 60 targets of journey J (one account twice), of which the even accounts are already targets
	var targets []domain.JourneyTarget
	for i := range 60 {
		targets = append(targets, domain.JourneyTarget{JourneyID: "J", AccountID: fmt.Sprintf("A%02d", i), SourceSystemID: "new"})
	}
	targets = append(targets, domain.JourneyTarget{JourneyID: "J", AccountID: "A01", SourceSystemID: "second"})
	var mu sync.Mutex
	var written []string
	writeCalls := 0
	db := fakes.DynamoDB{
		BatchGetItemFunc: func(in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
			ka := in.RequestItems["jt"]
			// THEN the existence read is strongly consistent: it must see the
			// previous message's writes
			if !aws.ToBool(ka.ConsistentRead) {
				t.Error("journey targets read eventually consistent")
			}
			out := &dynamodb.BatchGetItemOutput{Responses: map[string][]map[string]types.AttributeValue{}}
			for _, k := range ka.Keys {
				var n int
				fmt.Sscanf(k[resources.AttrAccountID].(*types.AttributeValueMemberS).Value, "A%d", &n)
				if n%2 == 0 {
					out.Responses["jt"] = append(out.Responses["jt"], k)
				}
			}
			return out, nil
		},
		BatchWriteItemFunc: func(in *dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error) {
			mu.Lock()
			defer mu.Unlock()
			writeCalls++
			if len(in.RequestItems["jt"]) > MaxBatchWriteItems {
				t.Errorf("BatchWriteItem of %d items", len(in.RequestItems["jt"]))
			}
			for _, w := range in.RequestItems["jt"] {
				written = append(written, w.PutRequest.Item[resources.AttrAccountID].(*types.AttributeValueMemberS).Value+"/"+w.PutRequest.Item["source_system_id"].(*types.AttributeValueMemberS).Value)
			}
			return &dynamodb.BatchWriteItemOutput{}, nil
		},
	}
	// WHEN adding them
	added, err := JourneyTargets{DB: db, Table: "jt"}.AddNew(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	// AND only the 30 absent accounts are written, once each, the first of a repeated one, in 2 calls
	if len(added) != 30 || len(written) != 30 || writeCalls != 2 {
		t.Errorf("added %d, wrote %d items in %d calls; want 30, 30, 2", len(added), len(written), writeCalls)
	}
	for _, w := range written {
		var n int
		fmt.Sscanf(w, "A%d", &n)
		if n%2 == 0 || w == "A01/second" {
			t.Errorf("wrote %s", w)
		}
	}
}

func TestAddNewOfNothingCallsNothing(t *testing.T) {
	if added, err := (JourneyTargets{DB: fakes.DynamoDB{}, Table: "jt"}).AddNew(context.Background(), nil); err != nil || len(added) != 0 {
		t.Errorf("added %v, %v", added, err)
	}
}
