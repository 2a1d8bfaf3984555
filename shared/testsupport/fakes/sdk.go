package fakes

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// DynamoDB fakes the adapters' SDK-shaped DynamoDB interface (shared/store).
type DynamoDB struct {
	GetItemFunc            func(*dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error)
	PutItemFunc            func(*dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error)
	UpdateItemFunc         func(*dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error)
	QueryFunc              func(*dynamodb.QueryInput) (*dynamodb.QueryOutput, error)
	ScanFunc               func(*dynamodb.ScanInput) (*dynamodb.ScanOutput, error)
	BatchGetItemFunc       func(*dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error)
	BatchWriteItemFunc     func(*dynamodb.BatchWriteItemInput) (*dynamodb.BatchWriteItemOutput, error)
	TransactWriteItemsFunc func(*dynamodb.TransactWriteItemsInput) (*dynamodb.TransactWriteItemsOutput, error)
}

func (f DynamoDB) GetItem(_ context.Context, in *dynamodb.GetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	if f.GetItemFunc == nil {
		unexpected("DynamoDB.GetItem")
	}
	return f.GetItemFunc(in)
}

func (f DynamoDB) PutItem(_ context.Context, in *dynamodb.PutItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if f.PutItemFunc == nil {
		unexpected("DynamoDB.PutItem")
	}
	return f.PutItemFunc(in)
}

func (f DynamoDB) UpdateItem(_ context.Context, in *dynamodb.UpdateItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if f.UpdateItemFunc == nil {
		unexpected("DynamoDB.UpdateItem")
	}
	return f.UpdateItemFunc(in)
}

func (f DynamoDB) Query(_ context.Context, in *dynamodb.QueryInput, _ ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	if f.QueryFunc == nil {
		unexpected("DynamoDB.Query")
	}
	return f.QueryFunc(in)
}

func (f DynamoDB) Scan(_ context.Context, in *dynamodb.ScanInput, _ ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	if f.ScanFunc == nil {
		unexpected("DynamoDB.Scan")
	}
	return f.ScanFunc(in)
}

func (f DynamoDB) BatchGetItem(_ context.Context, in *dynamodb.BatchGetItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	if f.BatchGetItemFunc == nil {
		unexpected("DynamoDB.BatchGetItem")
	}
	return f.BatchGetItemFunc(in)
}

func (f DynamoDB) BatchWriteItem(_ context.Context, in *dynamodb.BatchWriteItemInput, _ ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error) {
	if f.BatchWriteItemFunc == nil {
		unexpected("DynamoDB.BatchWriteItem")
	}
	return f.BatchWriteItemFunc(in)
}

func (f DynamoDB) TransactWriteItems(_ context.Context, in *dynamodb.TransactWriteItemsInput, _ ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.TransactWriteItemsFunc == nil {
		unexpected("DynamoDB.TransactWriteItems")
	}
	return f.TransactWriteItemsFunc(in)
}

// SQS fakes the SDK-shaped SQS interfaces of shared/queue and shared/ops/dlq.
type SQS struct {
	SendMessageBatchFunc   func(*sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
	ReceiveMessageFunc     func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatchFunc func(*sqs.DeleteMessageBatchInput) (*sqs.DeleteMessageBatchOutput, error)
}

func (f SQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	if f.SendMessageBatchFunc == nil {
		unexpected("SQS.SendMessageBatch")
	}
	return f.SendMessageBatchFunc(in)
}

func (f SQS) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	if f.ReceiveMessageFunc == nil {
		unexpected("SQS.ReceiveMessage")
	}
	return f.ReceiveMessageFunc(in)
}

func (f SQS) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	if f.DeleteMessageBatchFunc == nil {
		unexpected("SQS.DeleteMessageBatch")
	}
	return f.DeleteMessageBatchFunc(in)
}
