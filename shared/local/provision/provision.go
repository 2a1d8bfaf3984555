// Package provision creates a stage's tables and queues from shared/resources
// against any AWS-compatible endpoint (moto_server, LocalStack). The local
// stack and the integration tests use it; in AWS the CDK stack does this.
package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/resources"
)

// VisibilityTimeoutSeconds of the targets queue: 6x the consumer's timeout,
// as AWS recommends for an event source mapping.
const VisibilityTimeoutSeconds = 6 * 60

// Resources are a stage's physical names.
type Resources struct {
	Stage    string
	Tables   map[string]string // table ID -> physical name
	QueueURL string
	DLQURL   string
}

// Env is the environment the deployed functions get: every table's env
// var, the queue URL and the DLQ URL.
func (r Resources) Env() map[string]string {
	env := map[string]string{
		resources.TargetsQueue.EnvVar: r.QueueURL,
		resources.TargetsDLQ.EnvVar:   r.DLQURL,
	}
	for _, t := range resources.All {
		env[t.EnvVar] = r.Tables[t.ID]
	}
	return env
}

// Ensure creates whatever of the stage's tables and queues is missing and
// leaves existing ones (and their data) alone, so it can run on every start.
func Ensure(ctx context.Context, db *dynamodb.Client, q *sqs.Client, stage string) (Resources, error) {
	r := Resources{Stage: stage, Tables: map[string]string{}}
	for _, t := range resources.All {
		name := resources.PhysicalName(stage, t.ID)
		r.Tables[t.ID] = name
		if err := ensureTable(ctx, db, name, t); err != nil {
			return r, fmt.Errorf("table %s: %w", name, err)
		}
	}
	dlq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName:  aws.String(resources.PhysicalName(stage, resources.TargetsDLQ.ID)),
		Attributes: map[string]string{string(sqstypes.QueueAttributeNameMessageRetentionPeriod): strconv.Itoa(14 * 24 * 3600)},
	})
	if err != nil {
		return r, fmt.Errorf("create DLQ: %w", err)
	}
	r.DLQURL = aws.ToString(dlq.QueueUrl)
	attrs, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: dlq.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
	if err != nil {
		return r, fmt.Errorf("read DLQ arn: %w", err)
	}
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": attrs.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
		"maxReceiveCount":     strconv.Itoa(resources.MaxReceiveCount),
	})
	main, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String(resources.PhysicalName(stage, resources.TargetsQueue.ID)),
		Attributes: map[string]string{
			string(sqstypes.QueueAttributeNameVisibilityTimeout): strconv.Itoa(VisibilityTimeoutSeconds),
			string(sqstypes.QueueAttributeNameRedrivePolicy):     string(redrive),
		},
	})
	if err != nil {
		return r, fmt.Errorf("create queue: %w", err)
	}
	r.QueueURL = aws.ToString(main.QueueUrl)
	return r, nil
}

func ensureTable(ctx context.Context, db *dynamodb.Client, name string, t resources.Table) error {
	_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &name})
	var notFound *dbtypes.ResourceNotFoundException
	if err == nil {
		return nil
	}
	if !errors.As(err, &notFound) {
		return err
	}
	in := &dynamodb.CreateTableInput{
		TableName:   &name,
		BillingMode: dbtypes.BillingModePayPerRequest,
		KeySchema:   keySchema(t.PartitionKey, t.SortKey),
	}
	attrs := map[string]resources.AttrType{}
	addAttr := func(k *resources.Key) {
		if k != nil {
			attrs[k.Name] = k.Type
		}
	}
	addAttr(&t.PartitionKey)
	addAttr(t.SortKey)
	for _, ix := range t.Indexes {
		addAttr(&ix.PartitionKey)
		addAttr(ix.SortKey)
		projection := &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeAll}
		if len(ix.Include) > 0 {
			projection = &dbtypes.Projection{ProjectionType: dbtypes.ProjectionTypeInclude, NonKeyAttributes: ix.Include}
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, dbtypes.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.Name),
			KeySchema:  keySchema(ix.PartitionKey, ix.SortKey),
			Projection: projection,
		})
	}
	for n, typ := range attrs {
		in.AttributeDefinitions = append(in.AttributeDefinitions, dbtypes.AttributeDefinition{AttributeName: aws.String(n), AttributeType: dbtypes.ScalarAttributeType(typ)})
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		var inUse *dbtypes.ResourceInUseException
		if errors.As(err, &inUse) {
			return nil // created concurrently
		}
		return err
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 2*time.Minute); err != nil {
		return err
	}
	if t.TTLAttribute != "" {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               &name,
			TimeToLiveSpecification: &dbtypes.TimeToLiveSpecification{AttributeName: aws.String(t.TTLAttribute), Enabled: aws.Bool(true)},
		})
		return err
	}
	return nil
}

func keySchema(pk resources.Key, sk *resources.Key) []dbtypes.KeySchemaElement {
	ks := []dbtypes.KeySchemaElement{{AttributeName: aws.String(pk.Name), KeyType: dbtypes.KeyTypeHash}}
	if sk != nil {
		ks = append(ks, dbtypes.KeySchemaElement{AttributeName: aws.String(sk.Name), KeyType: dbtypes.KeyTypeRange})
	}
	return ks
}
