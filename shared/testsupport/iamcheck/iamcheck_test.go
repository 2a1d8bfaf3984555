package iamcheck_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/iamcheck"
)

// nopDB answers every call with an empty output.
type nopDB struct{ store.DynamoDB }

func (nopDB) GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return &dynamodb.GetItemOutput{}, nil
}

func (nopDB) Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return &dynamodb.QueryOutput{}, nil
}

func (nopDB) Scan(context.Context, *dynamodb.ScanInput, ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return &dynamodb.ScanOutput{}, nil
}

func (nopDB) TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	return &dynamodb.TransactWriteItemsOutput{}, nil
}

type nopSQS struct{}

func (nopSQS) SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return &sqs.SendMessageBatchOutput{}, nil
}

// env names each table and queue after its ID.
func env() map[string]string {
	e := map[string]string{resources.TargetsQueue.EnvVar: "q-" + resources.TargetsQueue.ID}
	for _, t := range resources.All {
		e[t.EnvVar] = t.ID
	}
	return e
}

// recorder keeps what a checker reports instead of failing the test.
type recorder struct {
	testing.TB
	cleanup func()
	errors  []string
}

func (r *recorder) Cleanup(f func()) { r.cleanup = f }
func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func TestAllowedCallsPassAndOthersAreDenied(t *testing.T) {
	ctx := context.Background()
	// GIVEN the manage function's checker
	rec := &recorder{TB: t}
	c := iamcheck.New(rec, resources.ManageFunction, env())
	db := c.DynamoDB(nopDB{})
	// WHEN it reads and scans journeys, queries a tokens index (all allowed), reads a
	// token with the wrong index, transacts on journeys and sends to the queue
	_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(resources.Journeys.ID)})
	_, _ = db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(resources.Journeys.ID)})
	_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(resources.Tokens.ID), IndexName: aws.String(resources.IndexTokensByID)})
	_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(resources.Tokens.ID)})
	_, _ = db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(resources.Tokens.ID)}},
		{Put: &types.Put{TableName: aws.String(resources.Journeys.ID)}},
	}})
	_, _ = c.SQS(nopSQS{}).SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String("q-" + resources.TargetsQueue.ID)})
	// THEN exactly the calls its access table does not allow are denied
	want := "[dynamodb:Query on tokens dynamodb:PutItem on journeys sqs:SendMessage on q-targets]"
	if got := fmt.Sprint(c.Denied()); got != want {
		t.Errorf("denied %s, want %s", got, want)
	}
	// AND the test fails at cleanup with one error per denied call
	rec.cleanup()
	if len(rec.errors) != 3 {
		t.Errorf("reported %q", rec.errors)
	}
}
