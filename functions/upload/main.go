// Command upload is the upload Lambda function (admins' files of targets):
// it only wires configuration, clients and the handler; the logic lives in
// shared/.
package main

import (
	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/wire"
	"github.com/targetloader/targetloader/shared/wire/uploadwire"
)

func main() {
	wire.Start(func(cfg config.Upload, awsCfg aws.Config, log *slog.Logger) any {
		api := lambdaenv.ForAPI(awsCfg)
		return uploadwire.New(cfg, dynamodb.NewFromConfig(api), sqs.NewFromConfig(api), log).Handle
	})
}
