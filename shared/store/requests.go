package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// Requests stores ingest requests and their progress.
type Requests struct {
	DB               DynamoDB
	Table            string
	IdempotencyTable string
	// Retention, when positive, is how long a new request is kept after it
	// was received (DynamoDB TTL); zero keeps it.
	Retention time.Duration
}

// Create writes a new request in state enqueuing.
func (s Requests) Create(ctx context.Context, r domain.Request) error {
	if r.PartResults == nil {
		r.PartResults = map[string]domain.PartResult{}
	}
	av, err := attributevalue.MarshalMap(r)
	if err != nil {
		return err
	}
	expireAfter(av, r.ReceivedAt, s.Retention)
	cond, err := notExists(resources.AttrRequestUUID)
	if err != nil {
		return err
	}
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                &s.Table,
		Item:                     av,
		ConditionExpression:      cond.Condition(),
		ExpressionAttributeNames: cond.Names(),
	})
	return err
}

// MarkQueued moves a request from enqueuing to queued. It fails when the
// request is no longer enqueuing (the consumer aborted it after EnqueueTimeout).
// A request already queued counts as success: only the ingest call that
// created the request marks it queued, so that state means an earlier
// attempt of this very call took effect and its response was lost (the
// SDK's retry must not turn it into a 5xx for a request that will be processed).
func (s Requests) MarkQueued(ctx context.Context, uuid string) error {
	return s.transition(ctx, uuid, domain.RequestEnqueuing, domain.RequestQueued, domain.RequestQueued)
}

// Abort moves a request from enqueuing to aborted. It reports false, nil when
// the request was no longer enqueuing.
func (s Requests) Abort(ctx context.Context, uuid string) (bool, error) {
	err := s.transition(ctx, uuid, domain.RequestEnqueuing, domain.RequestAborted)
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// transition sets the request's state to `to` if it is `from` (or one of also).
func (s Requests) transition(ctx context.Context, uuid string, from, to domain.RequestState, also ...domain.RequestState) error {
	state := expression.Name(attrState)
	others := make([]expression.OperandBuilder, len(also))
	for i, st := range also {
		others[i] = expression.Value(st)
	}
	cond := state.Equal(expression.Value(from))
	if len(also) > 0 {
		cond = state.In(expression.Value(from), others...)
	}
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(state, expression.Value(to))).
		WithCondition(cond).
		Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       requestKey(uuid),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return err
}

// Attributes of a request (domain.Request's dynamodbav tags).
const (
	attrState       = "state"
	attrPartResults = "part_results"
)

// Get reads a request; a missing one is a KindNotFound error.
func (s Requests) Get(ctx context.Context, uuid string) (domain.Request, error) {
	return getItem[domain.Request](ctx, s.DB, s.Table, resources.AttrRequestUUID, uuid, "request "+uuid+" does not exist")
}

// RecordPart stores the counts of one processed message and returns the
// request as it is afterwards (so the caller sees whether it is complete,
// at no extra call). Setting the part's map entry is idempotent: a
// redelivered message overwrites its own entry.
func (s Requests) RecordPart(ctx context.Context, uuid string, part int, result domain.PartResult) (domain.Request, error) {
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name(attrPartResults).AppendName(expression.Name(domain.PartKey(part))), expression.Value(result))).
		WithCondition(expression.AttributeExists(expression.Name(resources.AttrRequestUUID))).
		Build()
	if err != nil {
		return domain.Request{}, err
	}
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       requestKey(uuid),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if err != nil {
		return domain.Request{}, fmt.Errorf("record part %d of request %s: %w", part, uuid, err)
	}
	var r domain.Request
	err = attributevalue.UnmarshalMap(out.Attributes, &r)
	return r, err
}

func requestKey(uuid string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{resources.AttrRequestUUID: &types.AttributeValueMemberS{Value: uuid}}
}

// Reader reads items of several tables in one consistent BatchGetItem.
type Reader struct {
	DB            DynamoDB
	TokensTable   string
	JourneysTable string
	RequestsTable string
}

// Read fetches, in one call, whichever of the token (by hash), the journey and
// the request are asked for (empty strings are skipped). Missing items stay nil.
func (r Reader) Read(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error) {
	var keys []keyRef
	add := func(table, attr, value string) {
		if value != "" {
			keys = append(keys, keyRef{table: table, key: item{attr: &types.AttributeValueMemberS{Value: value}}})
		}
	}
	add(r.TokensTable, resources.AttrTokenHash, tokenHash)
	add(r.JourneysTable, resources.AttrJourneyID, journeyID)
	add(r.RequestsTable, resources.AttrRequestUUID, requestUUID)
	found, err := batchGet(ctx, r.DB, keys, true)
	if err != nil {
		return domain.Snapshot{}, err
	}
	var snap domain.Snapshot
	if err := unmarshalFirst(found[r.TokensTable], &snap.Token); err != nil {
		return snap, err
	}
	if err := unmarshalFirst(found[r.JourneysTable], &snap.Journey); err != nil {
		return snap, err
	}
	err = unmarshalFirst(found[r.RequestsTable], &snap.Request)
	return snap, err
}

func unmarshalFirst[T any](items []item, dst **T) error {
	if len(items) == 0 {
		return nil
	}
	var v T
	if err := attributevalue.UnmarshalMap(items[0], &v); err != nil {
		return err
	}
	*dst = &v
	return nil
}

// CreateIdempotent writes a new request and its idempotency record in one
// transaction. When the token already used the key within its window (and
// that use is not the aborted request replaces), nothing is written and the
// existing record is returned.
func (s Requests) CreateIdempotent(ctx context.Context, r domain.Request, rec domain.IdempotencyRecord, now time.Time, replaces string) (*domain.IdempotencyRecord, error) {
	if r.PartResults == nil {
		r.PartResults = map[string]domain.PartResult{}
	}
	reqItem, err := attributevalue.MarshalMap(r)
	if err != nil {
		return nil, err
	}
	expireAfter(reqItem, r.ReceivedAt, s.Retention)
	recItem, err := attributevalue.MarshalMap(rec)
	if err != nil {
		return nil, err
	}
	newRequest, err := notExists(resources.AttrRequestUUID)
	if err != nil {
		return nil, err
	}
	// The key is free when unused, expired (TTL deletion lags), or held by
	// the aborted request this one replaces.
	free := expression.AttributeNotExists(expression.Name(resources.AttrIdemKey)).
		Or(expression.Name(resources.AttrDeleteAfter).LessThan(expression.Value(now.Unix())))
	if replaces != "" {
		free = free.Or(expression.Name(resources.AttrRequestUUID).Equal(expression.Value(replaces)))
	}
	keyFree, err := expression.NewBuilder().WithCondition(free).Build()
	if err != nil {
		return nil, err
	}
	_, err = s.DB.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: &s.Table, Item: reqItem,
			ConditionExpression: newRequest.Condition(), ExpressionAttributeNames: newRequest.Names()}},
		{Put: &types.Put{TableName: &s.IdempotencyTable, Item: recItem,
			ConditionExpression: keyFree.Condition(), ExpressionAttributeNames: keyFree.Names(), ExpressionAttributeValues: keyFree.Values()}},
	}})
	var canceled *types.TransactionCanceledException
	if !errors.As(err, &canceled) {
		return nil, err
	}
	for i, reason := range canceled.CancellationReasons {
		switch aws.ToString(reason.Code) {
		case "TransactionConflict":
			return nil, domain.ErrIdempotencyBusy
		case "ConditionalCheckFailed":
			if i != 1 {
				return nil, err
			}
			existing, getErr := s.idempotencyRecord(ctx, rec.Key)
			if getErr != nil {
				return nil, getErr
			}
			if existing == nil { // expired and deleted since: let the caller retry
				return nil, domain.ErrIdempotencyBusy
			}
			return existing, nil
		}
	}
	return nil, err
}

func (s Requests) idempotencyRecord(ctx context.Context, key string) (*domain.IdempotencyRecord, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &s.IdempotencyTable,
		Key:            map[string]types.AttributeValue{resources.AttrIdemKey: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil || out.Item == nil {
		return nil, err
	}
	var rec domain.IdempotencyRecord
	if err := attributevalue.UnmarshalMap(out.Item, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}
