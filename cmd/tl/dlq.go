package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/ops/dlq"
	"github.com/targetloader/targetloader/shared/resources"
)

func (a *app) dlqCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "dlq", Short: "Operate the dead-letter queue of the targets queue"}
	cmd.AddCommand(a.dlqRedriveCmd())
	return cmd
}

func (a *app) dlqRedriveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "redrive",
		Short: "Move every message on the DLQ back to the targets queue (after fixing what failed them)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			client, err := a.sqsClient(ctx)
			if err != nil {
				return err
			}
			queueURL, err := a.queueURL(ctx, client, resources.TargetsQueue.ID)
			if err != nil {
				return err
			}
			dlqURL, err := a.queueURL(ctx, client, resources.TargetsDLQ.ID)
			if err != nil {
				return err
			}
			moved, err := dlq.Redrive(ctx, client, dlqURL, queueURL)
			a.printf("moved %d message(s) from %s to %s\n", moved, resources.PhysicalName(a.stage, resources.TargetsDLQ.ID), resources.PhysicalName(a.stage, resources.TargetsQueue.ID))
			return err
		},
	}
}

// sqsClient returns an SQS client (locally: the --endpoint).
func (a *app) sqsClient(ctx context.Context) (*sqs.Client, error) {
	cfg, err := a.clientConfig(ctx, a.endpoint, localAWS)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg), nil
}

func (a *app) queueURL(ctx context.Context, client *sqs.Client, id string) (string, error) {
	name := resources.PhysicalName(a.stage, id)
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		return "", fmt.Errorf("queue %s not found (stage %q): %w", name, a.stage, err)
	}
	return aws.ToString(out.QueueUrl), nil
}
