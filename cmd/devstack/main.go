// Command devstack runs the whole Target Loader service locally, in the
// foreground, until interrupted (`make dev`; PRODUCT.md §7): DynamoDB and
// SQS at an AWS-compatible endpoint (moto_server is started unless one
// answers), the REST API as `sam local start-api` serves it, the Lambda
// Invoke API as `sam local start-lambda` serves it, and the consumer fed
// from the queue.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
)

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	endpoint := fs.String("endpoint", envOr(localaws.DefaultEndpoint, "TL_ENDPOINT"), "AWS endpoint for DynamoDB and SQS; moto_server is started there unless something answers (env TL_ENDPOINT)")
	apiAddr := fs.String("api-addr", envOr(localaws.DefaultAPIAddr, "TL_API_ADDR"), "address of the REST API (env TL_API_ADDR)")
	lambdaAddr := fs.String("lambda-addr", envOr(localaws.DefaultLambdaAddr, "TL_LAMBDA_ADDR"), "address of the Lambda Invoke API (env TL_LAMBDA_ADDR)")
	stage := fs.String("stage", envOr(localaws.DefaultStage, "TL_STAGE"), "stage whose tables and queues are used (env TL_STAGE)")
	noMoto := fs.Bool("no-moto", false, "never start moto_server; fail when nothing answers at --endpoint")
	verbose := fs.Bool("v", false, "debug logging")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: go run ./cmd/devstack [flags]\n\nRuns the Target Loader local stack in the foreground until Ctrl-C.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	log := logger.With("component", "devstack")

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	log.Info("starting the local stack", "endpoint", *endpoint, "api", *apiAddr, "invoke_api", *lambdaAddr, "stage", *stage)
	stack, err := devstack.Start(ctx, devstack.Options{
		Endpoint:   *endpoint,
		NoMoto:     *noMoto,
		APIAddr:    *apiAddr,
		LambdaAddr: *lambdaAddr,
		Stage:      *stage,
		Logger:     logger,
	})
	if err != nil {
		log.Error("the local stack did not start", "error", err)
		return 1
	}
	fmt.Fprintln(os.Stderr, "\n"+stack.Banner()+"\n")

	<-ctx.Done()
	stop() // a second Ctrl-C kills at once
	log.Info("shutting down")
	done := make(chan struct{})
	go func() {
		stack.Close()
		close(done)
	}()
	select {
	case <-done:
		log.Info("stopped")
		return 0
	case <-time.After(20 * time.Second):
		log.Error("shutdown timed out")
		return 1
	}
}

func envOr(def string, keys ...string) string {
	for _, k := range keys {
		if v := os.Getenv(k); v != "" {
			return v
		}
	}
	return def
}
