// Command consumer is the consumer Lambda function: it only wires configuration,
// clients and the handler; the logic lives in shared/.
package main

import (
	"log/slog"

	"github.com/targetloader/targetloader/shared/wire/consumerwire"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/wire"
)

func main() {
	wire.Start(func(cfg config.Consumer, awsCfg aws.Config, log *slog.Logger) any {
		return consumerwire.New(cfg, dynamodb.NewFromConfig(awsCfg), sqs.NewFromConfig(awsCfg), log).Handle
	})
}
