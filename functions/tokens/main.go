// Command tokens is the tokens Lambda function: it only wires configuration,
// clients and the handler; the logic lives in shared/.
package main

import (
	"log/slog"

	"github.com/targetloader/targetloader/shared/wire/tokenswire"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/wire"
)

func main() {
	wire.Start(func(cfg config.Tokens, awsCfg aws.Config, log *slog.Logger) any {
		return tokenswire.New(cfg, dynamodb.NewFromConfig(awsCfg), log).Handle
	})
}
