package store

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"golang.org/x/sync/errgroup"
)

// JourneyTargets stores journeys' target lists.
type JourneyTargets struct {
	DB    DynamoDB
	Table string
}

// putConcurrency bounds the conditional PutItem calls AddNew has in flight.
const putConcurrency = 16

// AddNew adds the targets whose account is not yet a target of the journey
// and leaves existing ones exactly as they are: the first add wins, under
// any concurrency (PRODUCT.md §4.6; of several with one account in
// targets, the first). It reads which keys exist, then writes each absent
// one with a PutItem conditioned on the key not existing, at most
// putConcurrency at a time; a failed condition means another writer added
// the account first. BatchWriteItem cannot carry a condition, and a
// transaction would cost twice the write units (PERFORMANCE.md). The read
// may be eventually consistent: the condition, not the read, decides, and
// a stale "absent" only costs one refused write. It returns the targets it
// added.
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
	found, err := batchGet(ctx, s.DB, keys, false)
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
	var absent []domain.JourneyTarget
	for _, t := range candidates {
		if !existing[[2]string{t.JourneyID, t.AccountID}] {
			absent = append(absent, t)
		}
	}
	cond, err := notExists(resources.AttrAccountID)
	if err != nil {
		return nil, err
	}
	won := make([]bool, len(absent))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(putConcurrency)
	for i, t := range absent {
		g.Go(func() error {
			av, err := attributevalue.MarshalMap(t)
			if err != nil {
				return err
			}
			_, err = s.DB.PutItem(gctx, &dynamodb.PutItemInput{
				TableName:                &s.Table,
				Item:                     av,
				ConditionExpression:      cond.Condition(),
				ExpressionAttributeNames: cond.Names(),
			})
			if isConditionFailed(err) {
				return nil // added first by another writer: it stays as it is
			}
			won[i] = err == nil
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var added []domain.JourneyTarget
	for i, t := range absent {
		if won[i] {
			added = append(added, t)
		}
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

// LoaderRecords stores target loader records, keyed by request and index.
type LoaderRecords struct {
	DB    DynamoDB
	Table string
	// Retention, when positive, is how long a record is kept after its
	// creation (DynamoDB TTL); zero keeps it.
	Retention time.Duration
}

// Put writes records; their keys are deterministic, so writing a record
// again replaces it rather than adding a second one.
func (s LoaderRecords) Put(ctx context.Context, records []domain.LoaderRecord) error {
	items := make([]item, len(records))
	for i, r := range records {
		av, err := attributevalue.MarshalMap(r)
		if err != nil {
			return err
		}
		expireAfter(av, r.CreatedAt, s.Retention)
		items[i] = av
	}
	return batchPut(ctx, s.DB, s.Table, items)
}

// ListByRequest returns one page of a request's records in index order.
func (s LoaderRecords) ListByRequest(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	return s.List(ctx, domain.RecordQuery{RequestUUID: requestUUID}, cursor, limit)
}

// List returns one page of the records q selects: a request's in index
// order (read from the table, strongly consistent), else a journey's oldest
// first (from its index). With a filter a page may hold fewer than limit
// records even when more follow: follow the cursor until it is "".
func (s LoaderRecords) List(ctx context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	var filters []expression.ConditionBuilder
	match := func(attr, value string) {
		if value != "" {
			filters = append(filters, expression.Name(attr).Equal(expression.Value(value)))
		}
	}
	pq := pageQuery{
		in:       &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String(resources.IndexRecordsByJourney)},
		pk:       resources.AttrJourneyID,
		value:    q.JourneyID,
		keyAttrs: []string{resources.AttrJourneyID, resources.AttrJourneySort, resources.AttrRequestUUID, resources.AttrTargetIndex},
	}
	if q.RequestUUID != "" {
		pq = pageQuery{
			in:       &dynamodb.QueryInput{TableName: &s.Table, ConsistentRead: aws.Bool(true)},
			pk:       resources.AttrRequestUUID,
			value:    q.RequestUUID,
			keyAttrs: []string{resources.AttrRequestUUID, resources.AttrTargetIndex},
		}
		match(resources.AttrJourneyID, q.JourneyID)
	}
	match(attrMatchingOutcome, string(q.MatchingOutcome))
	match(attrProcessingStatus, string(q.ProcessingStatus))
	pq.filters = filters
	var out []domain.LoaderRecord
	next, err := queryPages(ctx, s.DB, pq, cursor, limit, &out)
	return out, next, err
}

// Attributes of a loader record the listings filter on.
const (
	attrMatchingOutcome  = "matching_outcome"
	attrProcessingStatus = "processing_status"
)
