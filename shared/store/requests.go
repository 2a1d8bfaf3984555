package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/tables"
)

// Requests stores ingest requests and their progress.
type Requests struct {
	DB    DynamoDB
	Table string
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
	_, err = s.DB.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:           &s.Table,
		Item:                av,
		ConditionExpression: aws.String("attribute_not_exists(" + tables.AttrRequestUUID + ")"),
	})
	return err
}

// MarkQueued moves a request from enqueuing to queued. It fails when the
// request is no longer enqueuing (the consumer aborted it after EnqueueTimeout).
func (s Requests) MarkQueued(ctx context.Context, uuid string) error {
	return s.transition(ctx, uuid, domain.RequestEnqueuing, domain.RequestQueued)
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

func (s Requests) transition(ctx context.Context, uuid string, from, to domain.RequestState) error {
	_, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       requestKey(uuid),
		UpdateExpression:          aws.String("SET #state = :to"),
		ConditionExpression:       aws.String("#state = :from"),
		ExpressionAttributeNames:  map[string]string{"#state": "state"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":to": &types.AttributeValueMemberS{Value: string(to)}, ":from": &types.AttributeValueMemberS{Value: string(from)}},
	})
	return err
}

// Get reads a request; a missing one is a KindNotFound error.
func (s Requests) Get(ctx context.Context, uuid string) (domain.Request, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: requestKey(uuid), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return domain.Request{}, err
	}
	if out.Item == nil {
		return domain.Request{}, domain.Errorf(domain.KindNotFound, "request %s does not exist", uuid)
	}
	var r domain.Request
	err = attributevalue.UnmarshalMap(out.Item, &r)
	return r, err
}

// RecordPart stores the counts of one processed message. Setting the part's
// map entry is idempotent: a redelivered message overwrites its own entry.
func (s Requests) RecordPart(ctx context.Context, uuid string, part int, result domain.PartResult) error {
	av, err := attributevalue.Marshal(result)
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       requestKey(uuid),
		UpdateExpression:          aws.String("SET part_results.#part = :result"),
		ConditionExpression:       aws.String("attribute_exists(" + tables.AttrRequestUUID + ")"),
		ExpressionAttributeNames:  map[string]string{"#part": domain.PartKey(part)},
		ExpressionAttributeValues: map[string]types.AttributeValue{":result": av},
	})
	if err != nil {
		return fmt.Errorf("record part %d of request %s: %w", part, uuid, err)
	}
	return nil
}

func requestKey(uuid string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{tables.AttrRequestUUID: &types.AttributeValueMemberS{Value: uuid}}
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
			keys = append(keys, keyRef{table, item{attr: &types.AttributeValueMemberS{Value: value}}})
		}
	}
	add(r.TokensTable, tables.AttrTokenHash, tokenHash)
	add(r.JourneysTable, tables.AttrJourneyID, journeyID)
	add(r.RequestsTable, tables.AttrRequestUUID, requestUUID)
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
