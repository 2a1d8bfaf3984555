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

// Tokens stores API tokens, keyed by the hash of the secret.
type Tokens struct {
	DB    DynamoDB
	Table string
}

// Create stores a new token; it never overwrites one with the same hash.
func (s Tokens) Create(ctx context.Context, t domain.Token) error {
	av, err := attributevalue.MarshalMap(t)
	if err != nil {
		return err
	}
	cond, err := notExists(resources.AttrTokenHash)
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

// ListByJourney returns one page of a journey's tokens, newest first, and
// the cursor of the next page ("" when this is the last). limit <= 0 reads
// every page.
func (s Tokens) ListByJourney(ctx context.Context, journeyID, cursor string, limit int) ([]domain.Token, string, error) {
	var out []domain.Token
	next, err := queryPages(ctx, s.DB, pageQuery{
		in:       &dynamodb.QueryInput{TableName: &s.Table, IndexName: aws.String(resources.IndexTokensByJourney), ScanIndexForward: aws.Bool(false)},
		pk:       resources.AttrJourneyID,
		value:    journeyID,
		keyAttrs: []string{resources.AttrTokenHash, resources.AttrJourneyID, resources.AttrCreatedAt},
	}, cursor, limit, &out)
	return out, next, err
}

// Revoke marks the token with id revoked by who at now, unless it already is.
// It returns the token as stored afterwards.
func (s Tokens) Revoke(ctx context.Context, tokenID, who string, now time.Time) (domain.Token, error) {
	byID, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(resources.AttrTokenID).Equal(expression.Value(tokenID))).
		Build()
	if err != nil {
		return domain.Token{}, err
	}
	out, err := s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &s.Table,
		IndexName:                 aws.String(resources.IndexTokensByID),
		KeyConditionExpression:    byID.KeyCondition(),
		ExpressionAttributeNames:  byID.Names(),
		ExpressionAttributeValues: byID.Values(),
	})
	if err != nil {
		return domain.Token{}, err
	}
	if len(out.Items) == 0 {
		return domain.Token{}, domain.Errorf(domain.KindNotFound, "no token has id %s", tokenID)
	}
	var t domain.Token
	if err := attributevalue.UnmarshalMap(out.Items[0], &t); err != nil {
		return domain.Token{}, err
	}
	if t.RevokedAt != nil {
		return t, nil
	}
	revoke, err := expression.NewBuilder().
		WithUpdate(expression.Set(expression.Name(attrRevokedAt), expression.Value(now.UTC())).
			Set(expression.Name(attrRevokedBy), expression.Value(who))).
		WithCondition(expression.AttributeExists(expression.Name(resources.AttrTokenHash)).
			And(expression.AttributeNotExists(expression.Name(attrRevokedAt)))).
		Build()
	if err != nil {
		return domain.Token{}, err
	}
	upd, err := s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.Table,
		Key:                       map[string]types.AttributeValue{resources.AttrTokenHash: &types.AttributeValueMemberS{Value: t.Hash}},
		UpdateExpression:          revoke.Update(),
		ConditionExpression:       revoke.Condition(),
		ExpressionAttributeNames:  revoke.Names(),
		ExpressionAttributeValues: revoke.Values(),
		ReturnValues:              types.ReturnValueAllNew,
	})
	if isConditionFailed(err) {
		// Revoked concurrently, or deleted by TTL since the query.
		return s.get(ctx, t.Hash)
	}
	if err != nil {
		return domain.Token{}, err
	}
	if err := attributevalue.UnmarshalMap(upd.Attributes, &t); err != nil {
		return domain.Token{}, err
	}
	return t, nil
}

// Attributes of a revoked token (domain.Token's dynamodbav tags).
const (
	attrRevokedAt = "revoked_at"
	attrRevokedBy = "revoked_by"
)

func (s Tokens) get(ctx context.Context, hash string) (domain.Token, error) {
	return getItem[domain.Token](ctx, s.DB, s.Table, resources.AttrTokenHash, hash, "token no longer exists")
}
