package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// JourneyTargets stores journeys' target lists.
type JourneyTargets struct {
	DB    DynamoDB
	Table string
}

// AddNew adds the targets whose account is not yet a target of the journey
// and leaves existing ones exactly as they are: the first add wins
// (PRODUCT.md §4.6; of several with one account in targets, the first). It
// reads which keys exist with a strongly consistent BatchGetItem, then
// writes the absent ones with BatchWriteItem, 25 a call: one write unit per
// new target and no call per target. It returns the targets it added.
//
// The read and the write are not atomic, so AddNew relies on its caller to
// be the only writer of a journey's targets at a time: the consumer is fed
// by the FIFO targets queue, grouped by journey, whose messages of one
// journey are processed one at a time (resources.TargetsQueue,
// shared/sqsbatch). The consistent read sees every earlier message's
// writes; an eventually consistent one could miss the previous message's
// and let this one replace them. A message processed again (redelivery,
// or a crash after the write) reads its own earlier writes and adds nothing.
func (s JourneyTargets) AddNew(ctx context.Context, targets []domain.JourneyTarget) ([]domain.JourneyTarget, error) {
	seen := map[[2]string]bool{}
	var candidates []domain.JourneyTarget
	var keys []keyRef
	for _, t := range targets {
		k := [2]string{t.JourneyID, t.AccountID}
		if seen[k] {
			continue
		}
		seen[k] = true
		candidates = append(candidates, t)
		keys = append(keys, keyRef{table: s.Table, key: targetKey(t.JourneyID, t.AccountID), projection: []string{resources.AttrJourneyID, resources.AttrAccountID}})
	}
	found, err := batchGet(ctx, s.DB, keys, true)
	if err != nil {
		return nil, err
	}
	existing := map[[2]string]bool{}
	for _, it := range found[s.Table] {
		var t domain.JourneyTarget
		if err := attributevalue.UnmarshalMap(it, &t); err != nil {
			return nil, err
		}
		existing[[2]string{t.JourneyID, t.AccountID}] = true
	}
	var added []domain.JourneyTarget
	var items []item
	for _, t := range candidates {
		if existing[[2]string{t.JourneyID, t.AccountID}] {
			continue
		}
		av, err := attributevalue.MarshalMap(t)
		if err != nil {
			return nil, err
		}
		added = append(added, t)
		items = append(items, av)
	}
	if err := batchPut(ctx, s.DB, s.Table, items); err != nil {
		return nil, err
	}
	return added, nil
}

// List returns one page of a journey's targets and the cursor of the next
// page ("" when this is the last). limit <= 0 reads every page.
func (s JourneyTargets) List(ctx context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error) {
	var out []domain.JourneyTarget
	next, err := queryPages(ctx, s.DB, pageQuery{
		in:       &dynamodb.QueryInput{TableName: &s.Table},
		pk:       resources.AttrJourneyID,
		value:    journeyID,
		keyAttrs: []string{resources.AttrJourneyID, resources.AttrAccountID},
	}, cursor, limit, &out)
	return out, next, err
}

func targetKey(journeyID, accountID string) item {
	return item{
		resources.AttrJourneyID: &types.AttributeValueMemberS{Value: journeyID},
		resources.AttrAccountID: &types.AttributeValueMemberS{Value: accountID},
	}
}
