package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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
