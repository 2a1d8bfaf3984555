// Package iamcheck holds a function's code to its access table in
// shared/resources while tests run it against moto: in AWS the function's
// role allows exactly those actions, so a call outside them would be denied
// there even though moto serves it. Wrap the clients a handler gets with
// DynamoDB and SQS; the test fails at cleanup if any call was not allowed.
package iamcheck

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/secret"
	"github.com/targetloader/targetloader/shared/store"
)

// Checker knows what one function may do, by physical resource: a table
// name, "<table name>/index/<index>" or a queue URL.
type Checker struct {
	fn      string
	allowed map[string][]resources.Action

	mu     sync.Mutex
	denied []string
}

// New returns the checker of fn, whose tables and queues have the physical
// names and URLs env gives their EnvVars (as the deployed function's
// environment does). t fails at cleanup if a call was not allowed.
func New(t testing.TB, fn resources.Function, env map[string]string) *Checker {
	c := &Checker{fn: fn.Name, allowed: map[string][]resources.Action{}}
	for _, a := range fn.Tables {
		name := env[a.Table.EnvVar]
		c.allowed[name] = a.Actions
		for _, ix := range a.QueriedIndexes {
			c.allowed[name+"/index/"+ix] = []resources.Action{resources.Query}
		}
	}
	for _, a := range fn.Queues {
		c.allowed[env[a.Queue.EnvVar]] = a.Actions
	}
	for _, a := range fn.Secrets {
		c.allowed[env[a.Secret.EnvVar]] = a.Actions
	}
	t.Cleanup(func() {
		for _, d := range c.Denied() {
			t.Errorf("%s: %s, which its access table in shared/resources does not allow: AWS would deny it", c.fn, d)
		}
	})
	return c
}

// Denied lists the calls not allowed so far, as "<action> on <resource>".
func (c *Checker) Denied() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.denied)
}

func (c *Checker) check(action resources.Action, resource string) {
	if slices.Contains(c.allowed[resource], action) {
		return
	}
	d := fmt.Sprintf("%s on %s", action, resource)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !slices.Contains(c.denied, d) {
		c.denied = append(c.denied, d)
	}
}

// DynamoDB wraps db so that each call is checked.
func (c *Checker) DynamoDB(db store.DynamoDB) store.DynamoDB { return dynamoDB{db, c} }

// SQS wraps q so that each call is checked.
func (c *Checker) SQS(q queue.SQS) queue.SQS { return sqsClient{q, c} }

type dynamoDB struct {
	db store.DynamoDB
	c  *Checker
}

func (d dynamoDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	d.c.check(resources.GetItem, aws.ToString(in.TableName))
	return d.db.GetItem(ctx, in, opts...)
}

func (d dynamoDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	d.c.check(resources.PutItem, aws.ToString(in.TableName))
	return d.db.PutItem(ctx, in, opts...)
}

func (d dynamoDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	d.c.check(resources.UpdateItem, aws.ToString(in.TableName))
	return d.db.UpdateItem(ctx, in, opts...)
}

func (d dynamoDB) Query(ctx context.Context, in *dynamodb.QueryInput, opts ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	resource := aws.ToString(in.TableName)
	if in.IndexName != nil {
		resource += "/index/" + *in.IndexName
	}
	d.c.check(resources.Query, resource)
	return d.db.Query(ctx, in, opts...)
}

func (d dynamoDB) Scan(ctx context.Context, in *dynamodb.ScanInput, opts ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	resource := aws.ToString(in.TableName)
	if in.IndexName != nil {
		resource += "/index/" + *in.IndexName
	}
	d.c.check(resources.Scan, resource)
	return d.db.Scan(ctx, in, opts...)
}

func (d dynamoDB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	for table := range in.RequestItems {
		d.c.check(resources.BatchGetItem, table)
	}
	return d.db.BatchGetItem(ctx, in, opts...)
}

func (d dynamoDB) BatchWriteItem(ctx context.Context, in *dynamodb.BatchWriteItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	for table := range in.RequestItems {
		d.c.check(resources.BatchWriteItem, table)
	}
	return d.db.BatchWriteItem(ctx, in, opts...)
}

// TransactWriteItems is authorized item by item, as the underlying
// PutItem, UpdateItem, DeleteItem and ConditionCheckItem.
func (d dynamoDB) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	for _, it := range in.TransactItems {
		switch {
		case it.Put != nil:
			d.c.check(resources.PutItem, aws.ToString(it.Put.TableName))
		case it.Update != nil:
			d.c.check(resources.UpdateItem, aws.ToString(it.Update.TableName))
		case it.Delete != nil:
			d.c.check("dynamodb:DeleteItem", aws.ToString(it.Delete.TableName))
		case it.ConditionCheck != nil:
			d.c.check("dynamodb:ConditionCheckItem", aws.ToString(it.ConditionCheck.TableName))
		}
	}
	return d.db.TransactWriteItems(ctx, in, opts...)
}

// Visibility wraps q so that each call is checked.
func (c *Checker) Visibility(q queue.VisibilitySQS) queue.VisibilitySQS { return visibility{q, c} }

// Secrets wraps sm so that each call is checked.
func (c *Checker) Secrets(sm secret.SecretsManager) secret.SecretsManager { return secrets{sm, c} }

type visibility struct {
	q queue.VisibilitySQS
	c *Checker
}

func (v visibility) ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error) {
	v.c.check(resources.ChangeMessageVisibility, aws.ToString(in.QueueUrl))
	return v.q.ChangeMessageVisibility(ctx, in, opts...)
}

type secrets struct {
	sm secret.SecretsManager
	c  *Checker
}

func (s secrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	s.c.check(resources.GetSecretValue, aws.ToString(in.SecretId))
	return s.sm.GetSecretValue(ctx, in, opts...)
}

type sqsClient struct {
	q queue.SQS
	c *Checker
}

func (s sqsClient) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	s.c.check(resources.SendMessage, aws.ToString(in.QueueUrl))
	return s.q.SendMessageBatch(ctx, in, opts...)
}
