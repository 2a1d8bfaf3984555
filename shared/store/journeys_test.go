package store

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

func journeyItem(id, name, end string) item {
	it := item{"journey_id": &types.AttributeValueMemberS{Value: id}, "name": &types.AttributeValueMemberS{Value: name}}
	if end != "" {
		it["end_date"] = &types.AttributeValueMemberS{Value: end}
	}
	return it
}

func TestJourneysListReadsEveryPageInIDOrder(t *testing.T) {
	pages := [][]item{
		{journeyItem("J-C", "C", ""), journeyItem("J-A", "A", "2030-01-31")},
		{journeyItem("J-B", "B", "")},
	}
	calls := 0
	db := fakes.DynamoDB{ScanFunc: func(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
		if (calls == 0) != (in.ExclusiveStartKey == nil) {
			t.Errorf("call %d: start key %v", calls, in.ExclusiveStartKey)
		}
		out := &dynamodb.ScanOutput{Items: pages[calls]}
		if calls == 0 {
			out.LastEvaluatedKey = item{"journey_id": &types.AttributeValueMemberS{Value: "J-A"}}
		}
		calls++
		return out, nil
	}}
	got, next, err := Journeys{DB: db, Table: "journeys"}.List(context.Background(), "", 0)
	if err != nil || next != "" {
		t.Fatal(next, err)
	}
	slices.SortFunc(got, func(a, b domain.Journey) int { return cmp.Compare(a.ID, b.ID) })
	if calls != 2 || len(got) != 3 || got[0].ID != "J-A" || got[0].EndDate != "2030-01-31" || got[1].ID != "J-B" || got[2].ID != "J-C" {
		t.Errorf("%d calls, journeys %+v", calls, got)
	}
}

func TestJourneysSaveWritesOnlyWhatIsGiven(t *testing.T) {
	name, end, none := "Renamed", "2031-12-31", ""
	for _, c := range []struct {
		what        string
		change      JourneyChange
		old         item
		wantUpdate  []string // substrings of the update expression
		avoid       string   // an attribute the update must not touch
		wantCond    bool     // must the journey exist?
		wantJourney domain.Journey
		wantCreated bool
	}{
		{"name only", JourneyChange{Name: &name}, journeyItem("J1", "Old", "2030-01-31"), []string{"SET"}, "end_date", false,
			domain.Journey{ID: "J1", Name: "Renamed", EndDate: "2030-01-31"}, false},
		{"end only", JourneyChange{EndDate: &end}, journeyItem("J1", "Old", ""), []string{"SET"}, "name", true,
			domain.Journey{ID: "J1", Name: "Old", EndDate: "2031-12-31"}, false},
		{"remove end", JourneyChange{EndDate: &none}, journeyItem("J1", "Old", "2030-01-31"), []string{"REMOVE"}, "name", true,
			domain.Journey{ID: "J1", Name: "Old"}, false},
		{"create", JourneyChange{Name: &name, EndDate: &end}, nil, []string{"SET"}, "", false,
			domain.Journey{ID: "J1", Name: "Renamed", EndDate: "2031-12-31"}, true},
	} {
		t.Run(c.what, func(t *testing.T) {
			db := fakes.DynamoDB{UpdateItemFunc: func(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
				upd := *in.UpdateExpression
				for _, w := range c.wantUpdate {
					if !strings.Contains(upd, w) {
						t.Errorf("update %q lacks %q", upd, w)
					}
				}
				for placeholder, attr := range in.ExpressionAttributeNames {
					if attr == c.avoid && strings.Contains(upd, placeholder) {
						t.Errorf("update %q touches %s", upd, c.avoid)
					}
				}
				if (in.ConditionExpression != nil) != c.wantCond {
					t.Errorf("condition %v, want one: %v", in.ConditionExpression, c.wantCond)
				}
				if in.ReturnValues != types.ReturnValueAllOld {
					t.Errorf("ReturnValues %s", in.ReturnValues)
				}
				return &dynamodb.UpdateItemOutput{Attributes: c.old}, nil
			}}
			j, created, err := Journeys{DB: db, Table: "journeys"}.Save(context.Background(), "J1", c.change)
			if err != nil || j != c.wantJourney || created != c.wantCreated {
				t.Errorf("Save = %+v, %v, %v; want %+v, %v", j, created, err, c.wantJourney, c.wantCreated)
			}
		})
	}
}

func TestJourneysSaveRefusesBadInputWithoutACall(t *testing.T) {
	bad, empty := "31/12/2031", ""
	for _, c := range []JourneyChange{{}, {EndDate: &bad}, {Name: &empty}} {
		_, _, err := Journeys{DB: fakes.DynamoDB{}, Table: "journeys"}.Save(context.Background(), "J1", c)
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("Save(%+v) = %v, want an invalid-input error", c, err)
		}
	}
}
