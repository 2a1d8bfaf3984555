package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"testing"

	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
)

// LocalStack starts the local stack as `make dev` does, on free ports and a
// fresh stage named prefix-xxxxxx, against a moto_server of its own (or the
// endpoint TL_TEST_ENDPOINT names, used whatever it is), for a TestMain.
// stop stops the stack, then the moto_server.
func LocalStack(ctx context.Context, prefix string, log *slog.Logger, opts ...func(*devstack.Options)) (stack *devstack.Stack, stop func(), err error) {
	endpoint := os.Getenv("TL_TEST_ENDPOINT")
	stopMoto := func() {}
	if endpoint == "" {
		moto, err := localaws.StartMoto("127.0.0.1", 0, nil)
		if err != nil {
			return nil, nil, err
		}
		stopMoto = moto.Stop
		endpoint = moto.Endpoint
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	o := devstack.Options{
		Endpoint:         endpoint,
		NoMoto:           true,
		AllowAnyEndpoint: os.Getenv("TL_TEST_ENDPOINT") != "",
		APIAddr:          "127.0.0.1:0",
		LambdaAddr:       "127.0.0.1:0",
		Stage:            prefix + "-" + hex.EncodeToString(suffix),
		Logger:           log,
	}
	for _, opt := range opts {
		opt(&o)
	}
	stack, err = devstack.Start(ctx, o)
	if err != nil {
		stopMoto()
		return nil, nil, err
	}
	return stack, func() { stack.Close(); stopMoto() }, nil
}

// RunShowingLog runs the tests and, when any fails, prints the local
// stack's log (what LocalStack's logger wrote to log).
func RunShowingLog(m *testing.M, log *SyncBuffer) int {
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "--- local stack log ---\n%s", log.String())
	}
	return code
}
