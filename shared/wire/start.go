// Package wire is the cold start every Lambda main shares. The handler each
// function serves is built by its own package (ingestwire, consumerwire,
// managewire), so a function's binary links only its own handler.
package wire

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
	"github.com/targetloader/targetloader/shared/config"
)

// Start is a Lambda main: it sets up the JSON logger, loads and validates
// the function's config C and the AWS SDK config (from the Lambda
// environment: lambdaenv) once at cold start, exiting with a logged error if
// either is wrong, then serves the handler that handler builds from them.
// No network call happens before the first invoke.
func Start[C any](handler func(cfg C, awsCfg aws.Config, log *slog.Logger) any) {
	logger := lambdacontext.NewLogger()
	slog.SetDefault(logger)
	cfg, err := config.Load[C]()
	if err != nil {
		logger.Error("invalid configuration", "error", err)
		os.Exit(1)
	}
	awsCfg, err := lambdaenv.Load()
	if err != nil {
		logger.Error("load AWS configuration", "error", err)
		os.Exit(1)
	}
	lambda.Start(handler(cfg, awsCfg, logger))
}
