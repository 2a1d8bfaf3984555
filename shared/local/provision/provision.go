// Package provision creates a stage's tables and queues from shared/resources
// against any AWS-compatible endpoint (moto_server, LocalStack). The local
// stack and the integration tests use it; in AWS the CDK stack does this.
package provision

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/resources"
)

// Resources are a stage's physical names.
type Resources struct {
	Stage  string
	Tables map[string]string // table ID -> physical name
	Queues map[string]string // queue ID -> URL
	// QueueURL and DLQURL are the targets queue's and its DLQ's,
	// WebhooksQueueURL and WebhooksDLQURL the webhooks queue's and its DLQ's.
	QueueURL, DLQURL                 string
	WebhooksQueueURL, WebhooksDLQURL string
	// WebhookKeySecret names the secret holding the webhook master key.
	WebhookKeySecret string
}

// Env is the environment the deployed functions get: every table's and
// queue's env var, the webhook master key's secret, and the local stack's
// settings (webhooks may reach this machine's addresses).
func (r Resources) Env() map[string]string {
	env := map[string]string{
		resources.WebhookMasterKey.EnvVar: r.WebhookKeySecret,
		resources.EnvWebhookAllowPrivate:  "true",
	}
	for _, q := range resources.Queues {
		env[q.EnvVar] = r.Queues[q.ID]
	}
	for _, t := range resources.All {
		env[t.EnvVar] = r.Tables[t.ID]
	}
	return env
}

// Ensure creates whatever of the stage's tables, queues and secret is
// missing and leaves existing ones (and their data) alone, so it can run on
// every start.
func Ensure(ctx context.Context, db *dynamodb.Client, q *sqs.Client, sm *secretsmanager.Client, stage string) (Resources, error) {
	r := Resources{Stage: stage, Tables: map[string]string{}, Queues: map[string]string{}}
	for _, t := range resources.All {
		name := resources.PhysicalName(stage, t.ID)
		r.Tables[t.ID] = name
		if err := ensureTable(ctx, db, name, t); err != nil {
			return r, fmt.Errorf("table %s: %w", name, err)
		}
	}
	for _, def := range resources.Queues {
		url, err := ensureQueue(ctx, q, stage, def, r.Queues)
		if err != nil {
			return r, fmt.Errorf("queue %s: %w", def.ID, err)
		}
		r.Queues[def.ID] = url
	}
	r.QueueURL, r.DLQURL = r.Queues[resources.TargetsQueue.ID], r.Queues[resources.TargetsDLQ.ID]
	r.WebhooksQueueURL, r.WebhooksDLQURL = r.Queues[resources.WebhooksQueue.ID], r.Queues[resources.WebhooksDLQ.ID]
	var err error
	if r.WebhookKeySecret, err = ensureSecret(ctx, sm, resources.PhysicalName(stage, resources.WebhookMasterKey.ID)); err != nil {
		return r, fmt.Errorf("secret %s: %w", resources.WebhookMasterKey.ID, err)
	}
	return r, nil
}

// ensureQueue creates queue def of stage, with its redrive policy to its
// DLQ (whose URL urls already holds), and returns its URL.
func ensureQueue(ctx context.Context, q *sqs.Client, stage string, def resources.Queue, urls map[string]string) (string, error) {
	attrs := map[string]string{}
	switch {
	case def.DLQ == nil:
		attrs[string(sqstypes.QueueAttributeNameMessageRetentionPeriod)] = strconv.Itoa(int(resources.DLQRetention.Seconds()))
	default:
		out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(urls[def.DLQ.ID]), AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameQueueArn}})
		if err != nil {
			return "", fmt.Errorf("read DLQ arn: %w", err)
		}
		redrive, _ := json.Marshal(map[string]string{
			"deadLetterTargetArn": out.Attributes[string(sqstypes.QueueAttributeNameQueueArn)],
			"maxReceiveCount":     strconv.Itoa(def.MaxReceiveCount),
		})
		attrs[string(sqstypes.QueueAttributeNameRedrivePolicy)] = string(redrive)
		attrs[string(sqstypes.QueueAttributeNameVisibilityTimeout)] = strconv.Itoa(int(resources.FedBy(def).QueueVisibilityTimeout().Seconds()))
	}
	out, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(def.Name(stage)), Attributes: fifo(def, attrs)})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.QueueUrl), nil
}

// fifo adds the FIFO attributes of def, as the stack sets them, to attrs:
// high-throughput mode (deduplication and limits per message group) and
// deduplication by the ids senders give, not by content.
func fifo(def resources.Queue, attrs map[string]string) map[string]string {
	if def.FIFO {
		attrs[string(sqstypes.QueueAttributeNameFifoQueue)] = "true"
		attrs[string(sqstypes.QueueAttributeNameDeduplicationScope)] = "messageGroup"
		attrs[string(sqstypes.QueueAttributeNameFifoThroughputLimit)] = "perMessageGroupId"
	}
	return attrs
}

// ensureSecret creates the secret name holding a random master key unless
// it exists, and returns its name (what the functions get as its id).
func ensureSecret(ctx context.Context, sm *secretsmanager.Client, name string) (string, error) {
	_, err := sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	var notFound *smtypes.ResourceNotFoundException
	if err == nil {
		return name, nil
	}
	if !errors.As(err, &notFound) {
		return "", err
	}
	key := make([]byte, 48)
	if _, err := rand.Read(key); err != nil {
		return "", err
	}
	_, err = sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String(name),
		Description:  aws.String("Target Loader: the key every token's webhook signing secret is derived from"),
		SecretString: aws.String(base64.RawURLEncoding.EncodeToString(key)),
	})
	var exists *smtypes.ResourceExistsException
	if errors.As(err, &exists) {
		return name, nil // created concurrently
	}
	return name, err
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
