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
