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
	"strconv"
	"syscall"
	"time"

	"github.com/targetloader/targetloader/shared/local/devstack"
)

func main() {
	os.Exit(run())
}

func run() int {
	fs := flag.NewFlagSet("devstack", flag.ContinueOnError)
	str := func(s devstack.Setting) *string {
		return fs.String(s.Flag, envOr(s.Default, s.Env), s.Usage+" (env "+s.Env+")")
	}
	boolean := func(s devstack.Setting) *bool {
		v, _ := strconv.ParseBool(envOr("false", s.Env))
		return fs.Bool(s.Flag, v, s.Usage+" (env "+s.Env+"=1)")
	}
	endpoint := str(devstack.SettingEndpoint)
	apiAddr := str(devstack.SettingAPIAddr)
	lambdaAddr := str(devstack.SettingLambdaAddr)
	stage := str(devstack.SettingStage)
	noMoto := boolean(devstack.SettingNoMoto)
	allowAny := boolean(devstack.SettingAllowAny)
	verbose := fs.Bool("v", false, "debug logging")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), `Usage: make dev [DEV_FLAGS="flags"]   (or: go run ./cmd/devstack [flags])

Runs the Target Loader local stack in the foreground until Ctrl-C.

Examples:
  TL_API_ADDR=127.0.0.1:8000 TL_LAMBDA_ADDR=127.0.0.1:8001 make dev
  make dev DEV_FLAGS="--endpoint http://127.0.0.1:4567 --stage demo"

Flags:`)
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
		Endpoint:         *endpoint,
		NoMoto:           *noMoto,
		AllowAnyEndpoint: *allowAny,
		APIAddr:          *apiAddr,
		LambdaAddr:       *lambdaAddr,
		Stage:            *stage,
		Logger:           logger,
	})
	if err != nil {
		// One plain line that says what to change, after the log.
		fmt.Fprintln(os.Stderr, "devstack: the local stack did not start: "+err.Error())
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
