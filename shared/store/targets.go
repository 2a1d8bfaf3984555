package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// JourneyTargets stores journeys' target lists.
type JourneyTargets struct {
	DB    DynamoDB
	Table string
}

// AddNew adds the targets whose account is not yet a target of the journey
// (the first of several with one account wins) and leaves existing ones as
// they are. It returns the targets it added.
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
		keys = append(keys, keyRef{table: s.Table, key: targetKey(t.JourneyID, t.AccountID)})
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
	return added, batchPut(ctx, s.DB, s.Table, items)
}

// List returns one page of a journey's targets and the cursor of the next
// page ("" when this is the last). limit <= 0 reads every page.
func (s JourneyTargets) List(ctx context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error) {
	var out []domain.JourneyTarget
	next, err := queryPages(ctx, s.DB, &dynamodb.QueryInput{TableName: &s.Table}, resources.AttrJourneyID, journeyID, cursor, limit, &out)
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
	var out []domain.LoaderRecord
	next, err := queryPages(ctx, s.DB, &dynamodb.QueryInput{TableName: &s.Table, ConsistentRead: aws.Bool(true)}, resources.AttrRequestUUID, requestUUID, cursor, limit, &out)
	return out, next, err
}

// ListByJourney returns one page of a journey's records, oldest first.
func (s LoaderRecords) ListByJourney(ctx context.Context, journeyID, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	var out []domain.LoaderRecord
	next, err := queryPages(ctx, s.DB, &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String(resources.IndexRecordsByJourney)}, resources.AttrJourneyID, journeyID, cursor, limit, &out)
	return out, next, err
}

// queryPages queries the items whose partition key attr equals value, from
// cursor, reading pages until limit items (all of them when limit <= 0),
// decodes them into out and returns the next cursor.
func queryPages[T any](ctx context.Context, db DynamoDB, in *dynamodb.QueryInput, attr, value, cursor string, limit int, out *[]T) (string, error) {
	in.KeyConditionExpression = aws.String("#pk = :pk")
	in.ExpressionAttributeNames = map[string]string{"#pk": attr}
	in.ExpressionAttributeValues = map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: value}}
	start, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	// A cursor is only valid for the listing that produced it.
	if pk, ok := start[attr].(*types.AttributeValueMemberS); start != nil && (!ok || pk.Value != value) {
		return "", errInvalidCursor
	}
	in.ExclusiveStartKey = start
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(*out)))
		}
		page, err := db.Query(ctx, in)
		var apiErr smithy.APIError
		if cursor != "" && errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" {
			// A well-formed cursor of another listing: the caller's mistake.
			return "", errInvalidCursor
		}
		if err != nil {
			return "", err
		}
		var items []T
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			return "", err
		}
		*out = append(*out, items...)
		if len(page.LastEvaluatedKey) == 0 {
			return "", nil
		}
		if limit > 0 && len(*out) >= limit {
			return encodeCursor(page.LastEvaluatedKey)
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

var errInvalidCursor = domain.Errorf(domain.KindInvalid, "the page cursor is not valid; use the next_cursor of a previous response")

// Cursors are the LastEvaluatedKey as base64url JSON: opaque to callers.
func encodeCursor(key item) (string, error) {
	var plain map[string]any
	if err := attributevalue.UnmarshalMap(key, &plain); err != nil {
		return "", err
	}
	b, err := json.Marshal(plain)
	return base64.RawURLEncoding.EncodeToString(b), err
}

func decodeCursor(cursor string) (item, error) {
	if cursor == "" {
		return nil, nil
	}
	invalid := errInvalidCursor
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, invalid
	}
	var plain map[string]any
	if err := json.Unmarshal(b, &plain); err != nil || len(plain) == 0 || len(plain) > 4 {
		return nil, invalid
	}
	key, err := attributevalue.MarshalMap(plain)
	if err != nil {
		return nil, invalid
	}
	return key, nil
}
