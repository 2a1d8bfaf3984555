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
	cmd := &cobra.Command{Use: "dlq", Short: "Operate the dead-letter queue of the targets queue",
		Example: `  tl dlq redrive`}
	cmd.AddCommand(a.dlqRedriveCmd())
	return cmd
}

func (a *app) dlqRedriveCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "redrive",
		Short: "Move every message on the DLQ back to the targets queue (after fixing what failed them)",
		Example: `  tl dlq redrive
  tl --aws --stage prod dlq redrive --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			client, err := a.sqsClient(ctx)
			if err != nil {
				return err
			}
			queueURL, err := a.queueURL(ctx, client, resources.TargetsQueue)
			if err != nil {
				return err
			}
			dlqURL, err := a.queueURL(ctx, client, resources.TargetsDLQ)
			if err != nil {
				return err
			}
			moved, err := dlq.Redrive(ctx, client, dlqURL, queueURL)
			from, to := resources.TargetsDLQ.Name(a.stage), resources.TargetsQueue.Name(a.stage)
			if asJSON {
				if jerr := a.printJSON(map[string]any{"moved": moved, "from": from, "to": to}); jerr != nil {
					return jerr
				}
			} else {
				a.printf("moved %d message(s) from %s to %s\n", moved, from, to)
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"moved","from","to"} as JSON`)
	return cmd
}

// sqsClient returns an SQS client (locally: the --endpoint).
func (a *app) sqsClient(ctx context.Context) (*sqs.Client, error) {
	cfg, err := a.clientConfig(ctx, a.endpoint, localAWS)
	if err != nil {
		return nil, err
	}
	return sqs.NewFromConfig(cfg), nil
}

func (a *app) queueURL(ctx context.Context, client *sqs.Client, q resources.Queue) (string, error) {
	name := q.Name(a.stage)
	out, err := client.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: &name})
	if err != nil {
		return "", fmt.Errorf("queue %s not found (stage %q): %w", name, a.stage, err)
	}
	return aws.ToString(out.QueueUrl), nil
}
