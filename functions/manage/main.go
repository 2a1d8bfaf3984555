// Command manage is the management Lambda function: it only wires
// configuration, clients and the handler; the logic lives in shared/.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/wire"
	"github.com/targetloader/targetloader/shared/wire/managewire"
)

func main() {
	wire.Start(func(cfg config.Manage, awsCfg aws.Config, log *slog.Logger) any {
		return managewire.New(cfg, dynamodb.NewFromConfig(awsCfg), secretsmanager.NewFromConfig(awsCfg), log).Handle
	})
}
