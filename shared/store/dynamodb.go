// Package store holds the DynamoDB adapters of the service's ports. Each takes
// a DynamoDB interface with the SDK's own method shapes, so *dynamodb.Client
// satisfies it and unit tests can pass a small fake.
package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
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

// DynamoDB is the part of *dynamodb.Client the adapters use.
type DynamoDB interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
}

var _ DynamoDB = (*dynamodb.Client)(nil)

// AWS limits that moto does not enforce, so the code must.
const (
	MaxBatchGetKeys    = 100
	MaxBatchWriteItems = 25
	// batchConcurrency bounds the batch calls one operation has in flight.
	batchConcurrency = 4
)

type item = map[string]types.AttributeValue

// keyRef is one key to read in a BatchGetItem. projection, when set, names
// the attributes to read; it must be the same for all keys of a table.
type keyRef struct {
	table      string
	key        item
	projection []string
}

// batchGet reads keys with BatchGetItem, at most MaxBatchGetKeys per call and
// batchConcurrency calls at a time, retrying UnprocessedKeys with backoff
// until done or ctx ends. It returns the items found, by table.
func batchGet(ctx context.Context, db DynamoDB, keys []keyRef, consistent bool) (map[string][]item, error) {
	chunks := chunk(keys, MaxBatchGetKeys)
	results := make([]map[string][]item, len(chunks))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(batchConcurrency)
	for i, c := range chunks {
		g.Go(func() error {
			req := map[string]types.KeysAndAttributes{}
			for _, k := range c {
				ka, seen := req[k.table]
				if !seen && len(k.projection) > 0 {
					expr, err := projection(k.projection...)
					if err != nil {
						return err
					}
					ka.ProjectionExpression, ka.ExpressionAttributeNames = expr.Projection(), expr.Names()
				}
				ka.Keys = append(ka.Keys, k.key)
				ka.ConsistentRead = &consistent
				req[k.table] = ka
			}
			found := map[string][]item{}
			err := retryUnprocessed(ctx, func() (bool, error) {
				out, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
				if err != nil {
					return false, err
				}
				for table, items := range out.Responses {
					found[table] = append(found[table], items...)
				}
				req = out.UnprocessedKeys
				return len(req) == 0, nil
			})
			results[i] = found
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	merged := map[string][]item{}
	for _, r := range results {
		for table, items := range r {
			merged[table] = append(merged[table], items...)
		}
	}
	return merged, nil
}

// batchPut writes items to table with BatchWriteItem (see batchWrite).
func batchPut(ctx context.Context, db DynamoDB, table string, items []item) error {
	writes := make([]types.WriteRequest, len(items))
	for i, it := range items {
		writes[i] = types.WriteRequest{PutRequest: &types.PutRequest{Item: it}}
	}
	return batchWrite(ctx, db, table, writes)
}

// batchWrite runs writes on table with BatchWriteItem, at most
// MaxBatchWriteItems per call and batchConcurrency calls at a time, retrying
// UnprocessedItems with backoff until done or ctx ends.
func batchWrite(ctx context.Context, db DynamoDB, table string, writes []types.WriteRequest) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(batchConcurrency)
	for _, c := range chunk(writes, MaxBatchWriteItems) {
		g.Go(func() error {
			req := map[string][]types.WriteRequest{table: c}
			return retryUnprocessed(ctx, func() (bool, error) {
				out, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: req})
				if err != nil {
					return false, err
				}
				req = out.UnprocessedItems
				return len(req) == 0, nil
			})
		})
	}
	return g.Wait()
}

// ErrDeadline reports that a batch could not finish before the context ended.
var ErrDeadline = errors.New("batch not finished before the deadline")

// retryUnprocessed calls attempt until it reports done, sleeping with
// exponential backoff and full jitter between partial results. Errors from
// the call itself were already retried by the SDK's retryer.
func retryUnprocessed(ctx context.Context, attempt func() (done bool, err error)) error {
	backoff := 20 * time.Millisecond
	for {
		done, err := attempt()
		if err != nil || done {
			return err
		}
		sleep := time.Duration(rand.Int64N(int64(backoff))) + time.Millisecond
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %w", ErrDeadline, ctx.Err())
		case <-time.After(sleep):
		}
		backoff = min(backoff*2, time.Second)
	}
}

func chunk[T any](s []T, size int) [][]T {
	var out [][]T
	for len(s) > size {
		out = append(out, s[:size:size])
		s = s[size:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// getItem reads one item by its string partition key with a strongly
// consistent read; a missing item is a KindNotFound error saying notFound.
func getItem[T any](ctx context.Context, db DynamoDB, table, attr, value, notFound string) (T, error) {
	var v T
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &table,
		Key:            item{attr: &types.AttributeValueMemberS{Value: value}},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return v, err
	}
	if out.Item == nil {
		return v, domain.Errorf(domain.KindNotFound, "%s", notFound)
	}
	err = attributevalue.UnmarshalMap(out.Item, &v)
	return v, err
}

// expireAfter gives av the TTL attribute from + keep (epoch seconds), so
// DynamoDB deletes the item once the retention period is over. keep <= 0
// keeps the item.
func expireAfter(av item, from time.Time, keep time.Duration) {
	if keep > 0 {
		av[resources.AttrDeleteAfter] = &types.AttributeValueMemberN{Value: strconv.FormatInt(from.Add(keep).Unix(), 10)}
	}
}

// projection is a projection expression reading the named attributes.
func projection(names ...string) (expression.Expression, error) {
	list := make([]expression.NameBuilder, len(names))
	for i, n := range names {
		list[i] = expression.Name(n)
	}
	return expression.NewBuilder().WithProjection(expression.NamesList(list[0], list[1:]...)).Build()
}

// notExists is the condition of a create: no item with this key yet.
func notExists(keyAttr string) (expression.Expression, error) {
	return expression.NewBuilder().WithCondition(expression.AttributeNotExists(expression.Name(keyAttr))).Build()
}

func isConditionFailed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf)
}
