// Command consumer is the consumer Lambda function: it only wires configuration,
// clients and the handler; the logic lives in shared/.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/targetloader/targetloader/shared/awsclient"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/wire"
)

func main() {
	logger := lambdacontext.NewLogger()
	slog.SetDefault(logger)
	cfg, err := config.Load[config.Consumer]()
	if err != nil {
		logger.Error("invalid configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := awsclient.Load(context.Background())
	if err != nil {
		logger.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(wire.Consumer(cfg, dynamodb.NewFromConfig(awsCfg), logger).Handle)
}
