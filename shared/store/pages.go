package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/targetloader/targetloader/shared/domain"
)

// maxFilteredPages bounds the DynamoDB pages (up to 1 MB each) one filtered
// listing reads: a page of the listing may then hold fewer items than asked
// for, with a cursor to go on, rather than keep a caller waiting.
const maxFilteredPages = 8

// pageQuery is a Query of the items whose partition key pk equals value.
type pageQuery struct {
	// in names the table (and index) and the order; the key condition,
	// filter, limit and start key are set by queryPages.
	in    *dynamodb.QueryInput
	pk    string
	value string
	// keyAttrs are the key attributes of the table and the index: the
	// cursor of a page that ends inside a DynamoDB page names them.
	keyAttrs []string
	// filters all have to hold for an item to be listed.
	filters []expression.ConditionBuilder
}

// queryPages queries q from cursor, reading pages until limit items (all of
// them when limit <= 0), decodes them into out and returns the next cursor
// ("" after the last page).
func queryPages[T any](ctx context.Context, db DynamoDB, q pageQuery, cursor string, limit int, out *[]T) (string, error) {
	b := expression.NewBuilder().WithKeyCondition(expression.Key(q.pk).Equal(expression.Value(q.value)))
	filtered := len(q.filters) > 0
	if filtered {
		cond := q.filters[0]
		if len(q.filters) > 1 {
			cond = expression.And(q.filters[0], q.filters[1], q.filters[2:]...)
		}
		b = b.WithFilter(cond)
	}
	expr, err := b.Build()
	if err != nil {
		return "", err
	}
	in := *q.in
	in.KeyConditionExpression = expr.KeyCondition()
	in.FilterExpression = expr.Filter()
	in.ExpressionAttributeNames = expr.Names()
	in.ExpressionAttributeValues = expr.Values()
	start, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	// A cursor is only valid for the listing that produced it.
	if pk, ok := start[q.pk].(*types.AttributeValueMemberS); start != nil && (!ok || pk.Value != q.value) {
		return "", errInvalidCursor
	}
	in.ExclusiveStartKey = start
	for pages := 1; ; pages++ {
		// Limit counts the items read before the filter: a filtered
		// listing reads whole pages and cuts the last one short.
		if limit > 0 && !filtered {
			in.Limit = aws.Int32(int32(limit - len(*out)))
		}
		page, err := db.Query(ctx, &in)
		var apiErr smithy.APIError
		if cursor != "" && errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" {
			// A well-formed cursor of another listing: the caller's mistake.
			return "", errInvalidCursor
		}
		if err != nil {
			return "", err
		}
		items := page.Items
		cut := limit > 0 && len(*out)+len(items) > limit
		if cut {
			items = items[:limit-len(*out)]
		}
		var decoded []T
		if err := attributevalue.UnmarshalListOfMaps(items, &decoded); err != nil {
			return "", err
		}
		*out = append(*out, decoded...)
		switch {
		case cut:
			return encodeCursor(keyOf(items[len(items)-1], q.keyAttrs))
		case len(page.LastEvaluatedKey) == 0:
			return "", nil
		case limit > 0 && (len(*out) >= limit || (filtered && pages >= maxFilteredPages)):
			return encodeCursor(page.LastEvaluatedKey)
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// scanPages scans table from cursor, reading pages until limit items (all
// of them when limit <= 0), decodes them into out and returns the next
// cursor ("" after the last page). Items come in no particular order.
func scanPages[T any](ctx context.Context, db DynamoDB, table, cursor string, limit int, keyAttrs []string, out *[]T) (string, error) {
	start, err := decodeCursor(cursor)
	if err != nil {
		return "", err
	}
	if start != nil && !hasExactly(start, keyAttrs) {
		return "", errInvalidCursor
	}
	in := &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: start}
	for {
		if limit > 0 {
			in.Limit = aws.Int32(int32(limit - len(*out)))
		}
		page, err := db.Scan(ctx, in)
		if err != nil {
			return "", err
		}
		var decoded []T
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &decoded); err != nil {
			return "", err
		}
		*out = append(*out, decoded...)
		if len(page.LastEvaluatedKey) == 0 {
			return "", nil
		}
		if limit > 0 && len(*out) >= limit {
			return encodeCursor(page.LastEvaluatedKey)
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// keyOf is the key of it: its attributes named by attrs.
func keyOf(it item, attrs []string) item {
	key := item{}
	for _, a := range attrs {
		if v, ok := it[a]; ok {
			key[a] = v
		}
	}
	return key
}

func hasExactly(key item, attrs []string) bool {
	if len(key) != len(attrs) {
		return false
	}
	for _, a := range attrs {
		if _, ok := key[a]; !ok {
			return false
		}
	}
	return true
}

var errInvalidCursor = domain.Errorf(domain.KindInvalid, "the page cursor is not valid; use the next_cursor of a previous response")

// Cursors are a DynamoDB start key as base64url JSON: opaque to callers.
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
