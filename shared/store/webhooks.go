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
)

// WebhookDeliveries keeps one item per completion webhook with its attempts.
type WebhookDeliveries struct {
	DB    DynamoDB
	Table string
}

// Attributes of a delivery (domain.WebhookDelivery's dynamodbav tags).
const (
	attrDeliveryStatus = "status"
	attrAttempts       = "attempts"
)

func deliveryKey(journeyID, key string) item {
	return item{
		resources.AttrJourneyID:   &types.AttributeValueMemberS{Value: journeyID},
		resources.AttrDeliveryKey: &types.AttributeValueMemberS{Value: key},
	}
}

// Get reads a delivery (consistently); nil when there is none yet.
func (s WebhookDeliveries) Get(ctx context.Context, journeyID, key string) (*domain.WebhookDelivery, error) {
	out, err := s.DB.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.Table, Key: deliveryKey(journeyID, key), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item == nil {
		return nil, err
	}
	var d domain.WebhookDelivery
	if err := attributevalue.UnmarshalMap(out.Item, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// Attribute of a delivery being attempted: until when (epoch seconds) the
// attempt holds it.
const attrLeaseUntil = "lease_until"

// Claim takes d's delivery for one attempt until `until`, creating its item
// (with what admins see of it) on the first. It reports false, and takes
// nothing, when the delivery was made or another attempt holds it: a
// duplicate of the message is being sent at the same moment.
func (s WebhookDeliveries) Claim(ctx context.Context, d domain.WebhookDelivery, now, until time.Time) (bool, error) {
	status, lease := expression.Name(attrDeliveryStatus), expression.Name(attrLeaseUntil)
	expr, err := expression.NewBuilder().
		WithUpdate(expression.Set(lease, expression.Value(until.Unix())).
			Set(status, expression.IfNotExists(status, expression.Value(domain.DeliveryRetrying))).
			Set(expression.Name(attrAttempts), expression.IfNotExists(expression.Name(attrAttempts), expression.Value([]any{}))).
			Set(expression.Name(resources.AttrRequestUUID), expression.Value(d.RequestUUID)).
			Set(expression.Name(resources.AttrTokenID), expression.Value(d.TokenID)).
			Set(expression.Name("webhook_id"), expression.Value(d.WebhookID)).
			Set(expression.Name("callback_url"), expression.Value(d.CallbackURL)).
			Set(expression.Name("updated_at"), expression.IfNotExists(expression.Name("updated_at"), expression.Value(now.UTC().Format(time.RFC3339Nano)))).
			Set(expression.Name(resources.AttrDeleteAfter), expression.Value(now.Add(domain.DeliveryRetention).Unix()))).
		WithCondition(expression.And(
			expression.Or(expression.AttributeNotExists(status), status.NotEqual(expression.Value(domain.DeliveryDelivered))),
			expression.Or(expression.AttributeNotExists(lease), lease.LessThan(expression.Value(now.Unix()))))).
		Build()
	if err != nil {
		return false, err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       deliveryKey(d.JourneyID, d.DeliveryKey),
		UpdateExpression:          expr.Update(),
		ConditionExpression:       expr.Condition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	if isConditionFailed(err) {
		return false, nil
	}
	return err == nil, err
}

// RecordAttempt appends attempt to d's delivery, sets its status, next
// attempt and clean-up time, and releases the claim, in one UpdateItem.
func (s WebhookDeliveries) RecordAttempt(ctx context.Context, d domain.WebhookDelivery, attempt domain.DeliveryAttempt) error {
	att, err := attributevalue.Marshal([]domain.DeliveryAttempt{attempt})
	if err != nil {
		return err
	}
	upd := expression.Set(expression.Name(attrAttempts), expression.ListAppend(
		expression.IfNotExists(expression.Name(attrAttempts), expression.Value([]any{})), expression.Value(att))).
		Set(expression.Name(attrDeliveryStatus), expression.Value(d.Status)).
		Set(expression.Name("updated_at"), expression.Value(attempt.At.UTC().Format(time.RFC3339Nano))).
		Set(expression.Name(resources.AttrDeleteAfter), expression.Value(attempt.At.Add(domain.DeliveryRetention).Unix())).
		Remove(expression.Name(attrLeaseUntil))
	if d.NextAttempt != nil {
		upd = upd.Set(expression.Name("next_attempt_at"), expression.Value(d.NextAttempt.UTC().Format(time.RFC3339Nano)))
	} else {
		upd = upd.Remove(expression.Name("next_attempt_at"))
	}
	expr, err := expression.NewBuilder().WithUpdate(upd).Build()
	if err != nil {
		return err
	}
	_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       deliveryKey(d.JourneyID, d.DeliveryKey),
		UpdateExpression:          expr.Update(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
	})
	return err
}

// List returns one page of a journey's deliveries, oldest request first,
// with status one of domain.DeliveryStatuses ("" for all). A filtered page
// may hold fewer than limit deliveries while more follow.
func (s WebhookDeliveries) List(ctx context.Context, journeyID, status, cursor string, limit int) ([]domain.WebhookDelivery, string, error) {
	q := pageQuery{
		in:       &dynamodb.QueryInput{TableName: &s.Table},
		pk:       resources.AttrJourneyID,
		value:    journeyID,
		keyAttrs: []string{resources.AttrJourneyID, resources.AttrDeliveryKey},
	}
	switch status {
	case "":
	case domain.DeliveryUndelivered:
		q.filters = append(q.filters, expression.Name(attrDeliveryStatus).NotEqual(expression.Value(domain.DeliveryDelivered)))
	default:
		q.filters = append(q.filters, expression.Name(attrDeliveryStatus).Equal(expression.Value(status)))
	}
	var out []domain.WebhookDelivery
	next, err := queryPages(ctx, s.DB, q, cursor, limit, &out)
	return out, next, err
}
