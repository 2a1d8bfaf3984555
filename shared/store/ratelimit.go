package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// RateLimiter enforces domain.RatePolicy's sliding window in DynamoDB, so
// the limit holds across Lambda instances. Each token has one item holding
// the arrival times (Unix milliseconds) of its last Burst allowed requests,
// oldest first; it expires through TTL once the token has been idle a while.
type RateLimiter struct {
	DB    DynamoDB
	Table string
}

// attrArrivals holds a token's last Burst arrival times, oldest first.
const attrArrivals = "arrivals"

// Take counts one request of tokenID at now under policy p with a single
// conditional UpdateItem: when the oldest arrival has left the window, it
// drops it and appends now. A token's first request, or its first after the
// policy's burst changed, costs one more call that writes a fresh list.
func (s RateLimiter) Take(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error) {
	key := map[string]types.AttributeValue{resources.AttrRateKey: &types.AttributeValueMemberS{Value: tokenID}}
	arrivals := expression.Name(attrArrivals)
	oldest := expression.Name(attrArrivals + "[0]")
	// Kept an hour past the window: TTL deletion lags, and a deleted list
	// only means the token starts again with its full quota.
	ttl := func() expression.UpdateBuilder {
		return expression.Set(expression.Name(resources.AttrDeleteAfter), expression.Value(now.Add(p.Window()+time.Hour).Unix()))
	}
	// Drop the oldest arrival and append now (an index past a list's end
	// appends), if the oldest has left the window.
	take, err := expression.NewBuilder().
		WithUpdate(ttl().Remove(oldest).Set(expression.Name(attrArrivals+"["+strconv.Itoa(p.Burst)+"]"), expression.Value(now.UnixMilli()))).
		WithCondition(expression.AttributeExists(arrivals).
			And(arrivals.Size().Equal(expression.Value(p.Burst))).
			And(oldest.LessThanEqual(expression.Value(p.Cutoff(now).UnixMilli())))).
		Build()
	if err != nil {
		return domain.RateDecision{}, err
	}
	// A fresh list holding only this request, for a token without one or
	// with one of another burst.
	fresh := make([]int64, p.Burst)
	fresh[p.Burst-1] = now.UnixMilli()
	start, err := expression.NewBuilder().
		WithUpdate(ttl().Set(arrivals, expression.Value(fresh))).
		WithCondition(expression.AttributeNotExists(arrivals).Or(arrivals.Size().NotEqual(expression.Value(p.Burst)))).
		Build()
	if err != nil {
		return domain.RateDecision{}, err
	}
	for range 3 {
		out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           &s.Table,
			Key:                                 key,
			UpdateExpression:                    take.Update(),
			ConditionExpression:                 take.Condition(),
			ExpressionAttributeNames:            take.Names(),
			ExpressionAttributeValues:           take.Values(),
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			list, err := arrivalsOf(out.Attributes)
			return p.Decide(true, list, now), err
		}
		var failed *types.ConditionalCheckFailedException
		if !errors.As(err, &failed) {
			return domain.RateDecision{}, err
		}
		if list, err := arrivalsOf(failed.Item); err == nil && len(list) == p.Burst {
			return p.Decide(false, list, now), nil
		}
		_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &s.Table,
			Key:                       key,
			UpdateExpression:          start.Update(),
			ConditionExpression:       start.Condition(),
			ExpressionAttributeNames:  start.Names(),
			ExpressionAttributeValues: start.Values(),
		})
		if err == nil {
			return p.Decide(true, []time.Time{now}, now), nil
		}
		if !isConditionFailed(err) {
			return domain.RateDecision{}, err
		}
		// A concurrent request started the list first: count against it.
	}
	return domain.RateDecision{}, errors.New("rate limit: the token's arrival list kept changing under concurrent requests")
}

// arrivalsOf reads the arrival list of a rate limit item (nil when absent).
func arrivalsOf(item map[string]types.AttributeValue) ([]time.Time, error) {
	av, ok := item[attrArrivals]
	if !ok {
		return nil, nil
	}
	var ms []int64
	if err := attributevalue.Unmarshal(av, &ms); err != nil {
		return nil, err
	}
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = time.UnixMilli(m)
	}
	return out, nil
}
