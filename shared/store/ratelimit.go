package store

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
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
	names := map[string]string{"#arrivals": attrArrivals, "#ttl": resources.AttrDeleteAfter}
	burst := &types.AttributeValueMemberN{Value: strconv.Itoa(p.Burst)}
	// Kept an hour past the window: TTL deletion lags, and a deleted list
	// only means the token starts again with its full quota.
	ttl := &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(p.Window()+time.Hour).Unix(), 10)}
	for range 3 {
		out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                           &s.Table,
			Key:                                 key,
			UpdateExpression:                    aws.String("REMOVE #arrivals[0] SET #arrivals[" + strconv.Itoa(p.Burst) + "] = :now, #ttl = :ttl"),
			ConditionExpression:                 aws.String("attribute_exists(#arrivals) AND size(#arrivals) = :burst AND #arrivals[0] <= :cutoff"),
			ExpressionAttributeNames:            names,
			ExpressionAttributeValues:           map[string]types.AttributeValue{":now": millis(now), ":ttl": ttl, ":burst": burst, ":cutoff": millis(p.Cutoff(now))},
			ReturnValues:                        types.ReturnValueAllNew,
			ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		})
		if err == nil {
			arrivals, err := arrivalsOf(out.Attributes)
			return p.Decide(true, arrivals, now), err
		}
		var failed *types.ConditionalCheckFailedException
		if !errors.As(err, &failed) {
			return domain.RateDecision{}, err
		}
		if arrivals, err := arrivalsOf(failed.Item); err == nil && len(arrivals) == p.Burst {
			return p.Decide(false, arrivals, now), nil
		}
		// No list yet, or one of another burst: start a fresh one holding
		// this request, unless a concurrent request just did.
		fresh := make([]int64, p.Burst)
		fresh[p.Burst-1] = now.UnixMilli()
		list, err := attributevalue.Marshal(fresh)
		if err != nil {
			return domain.RateDecision{}, err
		}
		_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName:                 &s.Table,
			Key:                       key,
			UpdateExpression:          aws.String("SET #arrivals = :fresh, #ttl = :ttl"),
			ConditionExpression:       aws.String("attribute_not_exists(#arrivals) OR size(#arrivals) <> :burst"),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: map[string]types.AttributeValue{":fresh": list, ":ttl": ttl, ":burst": burst},
		})
		if err == nil {
			return p.Decide(true, []time.Time{now}, now), nil
		}
		if !isConditionFailed(err) {
			return domain.RateDecision{}, err
		}
	}
	return domain.RateDecision{}, errors.New("rate limit: the token's arrival list kept changing under concurrent requests")
}

func millis(t time.Time) types.AttributeValue {
	return &types.AttributeValueMemberN{Value: strconv.FormatInt(t.UnixMilli(), 10)}
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
