package main

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsdynamodb"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/targetloader/targetloader/shared/resources"
)

// TablesProps configure NewTables.
type TablesProps struct {
	Stage string
	// Key, when set, encrypts every table (CUSTOMER_MANAGED); otherwise
	// DynamoDB's AWS owned key does.
	Key awskms.IKey
}

// Tables are the service's DynamoDB tables by resources.Table ID.
type Tables map[string]awsdynamodb.Table

// NewTables creates every table of shared/resources (on-demand, point-in-time
// recovery) and an output with each table's name.
func NewTables(scope constructs.Construct, props *TablesProps) Tables {
	tables := Tables{}
	for _, t := range resources.All {
		tp := &awsdynamodb.TableProps{
			TableName:    jsii.String(resources.PhysicalName(props.Stage, t.ID)),
			PartitionKey: attr(t.PartitionKey),
			BillingMode:  awsdynamodb.BillingMode_PAY_PER_REQUEST,
			PointInTimeRecoverySpecification: &awsdynamodb.PointInTimeRecoverySpecification{
				PointInTimeRecoveryEnabled: jsii.Bool(true),
			},
			RemovalPolicy:      removalPolicy(props.Stage),
			DeletionProtection: jsii.Bool(retainsData(props.Stage)),
		}
		if t.SortKey != nil {
			tp.SortKey = attr(*t.SortKey)
		}
		if props.Key != nil {
			tp.Encryption = awsdynamodb.TableEncryption_CUSTOMER_MANAGED
			tp.EncryptionKey = props.Key
		}
		if t.TTLAttribute != "" {
			tp.TimeToLiveAttribute = jsii.String(t.TTLAttribute)
		}
		table := awsdynamodb.NewTable(scope, jsii.String(constructID("Table", t.ID)), tp)
		for _, ix := range t.Indexes {
			gp := &awsdynamodb.GlobalSecondaryIndexProps{
				IndexName:      jsii.String(ix.Name),
				PartitionKey:   attr(ix.PartitionKey),
				ProjectionType: awsdynamodb.ProjectionType_ALL,
			}
			if ix.SortKey != nil {
				gp.SortKey = attr(*ix.SortKey)
			}
			if len(ix.Include) > 0 {
				gp.ProjectionType = awsdynamodb.ProjectionType_INCLUDE
				gp.NonKeyAttributes = jsii.Strings(ix.Include...)
			}
			table.AddGlobalSecondaryIndex(gp)
		}
		tables[t.ID] = table
		awscdk.NewCfnOutput(scope, jsii.String(constructID("TableName", t.ID)), &awscdk.CfnOutputProps{
			Value:       table.TableName(),
			Description: jsii.String(fmt.Sprintf("DynamoDB table %s (%s)", t.ID, t.EnvVar)),
		})
	}
	return tables
}

func attr(k resources.Key) *awsdynamodb.Attribute {
	t := awsdynamodb.AttributeType_STRING
	if k.Type == resources.Number {
		t = awsdynamodb.AttributeType_NUMBER
	}
	return &awsdynamodb.Attribute{Name: jsii.String(k.Name), Type: t}
}
