package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// Journeys stores journeys.
type Journeys struct {
	DB    DynamoDB
	Table string
}

// Put creates or replaces a journey.
func (s Journeys) Put(ctx context.Context, j domain.Journey) error {
	if err := j.Validate(); err != nil {
		return err
	}
	av, err := attributevalue.MarshalMap(j)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: av})
	return err
}

// JourneyChange is what Save sets on a journey; nil fields keep their stored
// value.
type JourneyChange struct {
	Name *string
	// EndDate "" removes the end date.
	EndDate *string
}

// Save creates the journey or changes only the given fields of the stored
// one, in one UpdateItem, and returns the journey as stored afterwards and
// whether it was created. Creating a journey needs a name; without one, a
// missing journey is a KindNotFound error.
func (s Journeys) Save(ctx context.Context, id string, c JourneyChange) (j domain.Journey, created bool, err error) {
	if c.Name == nil && c.EndDate == nil {
		return j, false, domain.Errorf(domain.KindInvalid, "nothing to change: give a name or an end date")
	}
	// The given fields must be valid on their own (the name may be kept).
	probe := domain.Journey{ID: id, Name: "kept", EndDate: ""}
	if c.Name != nil {
		probe.Name = *c.Name
	}
	if c.EndDate != nil {
		probe.EndDate = *c.EndDate
	}
	if err := probe.Validate(); err != nil {
		return j, false, err
	}

	var update expression.UpdateBuilder
	if c.Name != nil {
		update = update.Set(expression.Name(attrJourneyName), expression.Value(*c.Name))
	}
	switch {
	case c.EndDate == nil:
	case *c.EndDate == "":
		update = update.Remove(expression.Name(attrJourneyEnd))
	default:
		update = update.Set(expression.Name(attrJourneyEnd), expression.Value(*c.EndDate))
	}
	b := expression.NewBuilder().WithUpdate(update)
	if c.Name == nil {
		b = b.WithCondition(expression.AttributeExists(expression.Name(resources.AttrJourneyID)))
	}
	expr, err := b.Build()
	if err != nil {
		return j, false, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       journeyKey(id),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllOld,
	})
	if isConditionFailed(err) {
		return j, false, domain.Errorf(domain.KindNotFound, "journey %s does not exist; give it a name to create it", id)
	}
	if err != nil {
		return j, false, err
	}
	// The update is atomic: the journey now is what it was plus the change.
	if err := attributevalue.UnmarshalMap(out.Attributes, &j); err != nil {
		return j, false, err
	}
	j.ID = id
	if c.Name != nil {
		j.Name = *c.Name
	}
	if c.EndDate != nil {
		j.EndDate = *c.EndDate
	}
	return j, len(out.Attributes) == 0, nil
}

// Get reads a journey; a missing journey is a KindNotFound error.
func (s Journeys) Get(ctx context.Context, id string) (domain.Journey, error) {
	return getItem[domain.Journey](ctx, s.DB, s.Table, resources.AttrJourneyID, id, "journey "+id+" does not exist")
}

// List returns one page of the journeys, in no particular order, and the
// cursor of the next page ("" when this is the last): a Scan, which reads
// the whole (small) table a page at a time. limit <= 0 reads every page.
func (s Journeys) List(ctx context.Context, cursor string, limit int) ([]domain.Journey, string, error) {
	var out []domain.Journey
	next, err := scanPages(ctx, s.DB, s.Table, cursor, limit, []string{resources.AttrJourneyID}, &out)
	return out, next, err
}

// Attributes of a journey (domain.Journey's dynamodbav tags).
const (
	attrJourneyName = "name"
	attrJourneyEnd  = "end_date"
)

func journeyKey(id string) item {
	return item{resources.AttrJourneyID: &types.AttributeValueMemberS{Value: id}}
}
