package store

import (
	"context"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// RateLimiter counts requests per token and window in DynamoDB, so the
// limit holds across Lambda instances. Counter items expire through TTL.
type RateLimiter struct {
	DB    DynamoDB
	Table string
}

// Take counts one request of tokenID at now under policy p: a single
// conditional UpdateItem that increments the window's counter unless it is full.
func (s RateLimiter) Take(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error) {
	start := p.WindowStart(now)
	reset := start.Add(p.Window())
	key := tokenID + "#" + strconv.FormatInt(start.Unix(), 10)
	out, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.Table,
		Key:                 map[string]types.AttributeValue{resources.AttrRateKey: &types.AttributeValueMemberS{Value: key}},
		UpdateExpression:    aws.String("ADD #count :one SET #ttl = if_not_exists(#ttl, :ttl)"),
		ConditionExpression: aws.String("attribute_not_exists(#count) OR #count < :limit"),
		ExpressionAttributeNames: map[string]string{
			"#count": "request_count",
			"#ttl":   resources.AttrDeleteAfter,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":one":   &types.AttributeValueMemberN{Value: "1"},
			":limit": &types.AttributeValueMemberN{Value: strconv.Itoa(p.Burst)},
			// Kept an hour past the window: TTL deletion lags and nothing reads old windows.
			":ttl": &types.AttributeValueMemberN{Value: strconv.FormatInt(reset.Add(time.Hour).Unix(), 10)},
		},
		ReturnValues: types.ReturnValueUpdatedNew,
	})
	if isConditionFailed(err) {
		return domain.RateDecision{Allowed: false, Remaining: 0, Reset: reset}, nil
	}
	if err != nil {
		return domain.RateDecision{}, err
	}
	count := 0
	if n, ok := out.Attributes["request_count"].(*types.AttributeValueMemberN); ok {
		count, _ = strconv.Atoi(n.Value)
	}
	return domain.RateDecision{Allowed: true, Remaining: p.Burst - count, Reset: reset}, nil
}
