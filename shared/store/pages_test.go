package store

import (
	"context"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

func delivery(i int) item {
	return item{
		"journey_id":   &types.AttributeValueMemberS{Value: "J1"},
		"delivery_key": &types.AttributeValueMemberS{Value: "k" + strconv.Itoa(i)},
		"status":       &types.AttributeValueMemberS{Value: "failed"},
	}
}

func TestFilteredListingCutsAPageShortWithACursorOfItsLastItem(t *testing.T) {
	// GIVEN DynamoDB pages of 3 matching deliveries each
	var calls []*dynamodb.QueryInput
	db := fakes.DynamoDB{QueryFunc: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		calls = append(calls, in)
		return &dynamodb.QueryOutput{
			Items:            []item{delivery(0), delivery(1), delivery(2)},
			LastEvaluatedKey: keyOf(delivery(2), []string{"journey_id", "delivery_key"}),
		}, nil
	}}
	s := WebhookDeliveries{DB: db, Table: "deliveries"}

	// WHEN listing 4 failed deliveries of a journey
	recs, next, err := s.List(context.Background(), "J1", domain.DeliveryFailed, "", 4)

	// THEN two pages are read whole (a filter makes Limit count unfiltered
	// items), the second cut after one delivery, and the cursor names that delivery
	if err != nil || len(recs) != 4 || len(calls) != 2 {
		t.Fatalf("records %d, calls %d, err %v", len(recs), len(calls), err)
	}
	if calls[0].Limit != nil || aws.ToString(calls[0].FilterExpression) == "" {
		t.Errorf("filtered query: Limit %v, filter %q", calls[0].Limit, aws.ToString(calls[0].FilterExpression))
	}
	start, err := decodeCursor(next)
	if err != nil || start["delivery_key"].(*types.AttributeValueMemberS).Value != "k0" || len(start) != 2 {
		t.Errorf("cursor %v (%v), want the key of the 4th delivery", start, err)
	}
}

func TestFilteredListingReadsAtMostMaxFilteredPages(t *testing.T) {
	calls := 0
	db := fakes.DynamoDB{QueryFunc: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		calls++
		return &dynamodb.QueryOutput{LastEvaluatedKey: keyOf(delivery(calls), []string{"journey_id", "delivery_key"})}, nil
	}}
	recs, next, err := WebhookDeliveries{DB: db, Table: "deliveries"}.List(context.Background(), "J1", domain.DeliveryRetrying, "", 100)
	if err != nil || len(recs) != 0 || next == "" || calls != maxFilteredPages {
		t.Errorf("records %d, next %q, calls %d, err %v", len(recs), next, calls, err)
	}
}

func TestUnfilteredListingAsksForWhatIsLeft(t *testing.T) {
	var limits []int32
	db := fakes.DynamoDB{QueryFunc: func(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
		limits = append(limits, aws.ToInt32(in.Limit))
		key := item{"journey_id": &types.AttributeValueMemberS{Value: "J1"}, "account_id": &types.AttributeValueMemberS{Value: "A" + strconv.Itoa(len(limits))}}
		return &dynamodb.QueryOutput{Items: []item{key}, LastEvaluatedKey: key}, nil
	}}
	targets, next, err := JourneyTargets{DB: db, Table: "journey-targets"}.List(context.Background(), "J1", "", 3)
	if err != nil || len(targets) != 3 || next == "" || len(limits) != 3 || limits[0] != 3 || limits[2] != 1 {
		t.Errorf("targets %d, next %q, limits %v, err %v", len(targets), next, limits, err)
	}
}

func TestJourneysListScansPages(t *testing.T) {
	var starts []item
	db := fakes.DynamoDB{ScanFunc: func(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		starts = append(starts, in.ExclusiveStartKey)
		out := &dynamodb.ScanOutput{Items: []item{{"journey_id": &types.AttributeValueMemberS{Value: "J" + strconv.Itoa(len(starts))}, "name": &types.AttributeValueMemberS{Value: "n"}}}}
		if len(starts) < 3 {
			out.LastEvaluatedKey = item{"journey_id": &types.AttributeValueMemberS{Value: "J" + strconv.Itoa(len(starts))}}
		}
		return out, nil
	}}
	s := Journeys{DB: db, Table: "journeys"}
	js, next, err := s.List(context.Background(), "", 2)
	if err != nil || len(js) != 2 || next == "" {
		t.Fatalf("journeys %v, next %q, err %v", js, next, err)
	}
	rest, next, err := s.List(context.Background(), next, 2)
	if err != nil || len(rest) != 1 || rest[0].ID != "J3" || next != "" {
		t.Errorf("second page %v, next %q, err %v", rest, next, err)
	}
	// A cursor of another listing is refused before any read.
	other, _ := encodeCursor(item{"request_uuid": &types.AttributeValueMemberS{Value: "r"}, "target_index": &types.AttributeValueMemberN{Value: "1"}})
	if _, _, err := s.List(context.Background(), other, 2); domain.KindOf(err) != domain.KindInvalid || len(starts) != 3 {
		t.Errorf("foreign cursor: err %v after %d scans", err, len(starts))
	}
}
