package awsclient_test

import (
	"context"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/targetloader/targetloader/shared/awsclient"
)

func TestLoadKeepsConnectionsForConcurrentCalls(t *testing.T) {
	cfg, err := awsclient.Load(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	c, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	if !ok {
		t.Fatalf("HTTP client %T", cfg.HTTPClient)
	}
	if n := c.GetTransport().MaxIdleConnsPerHost; n != awsclient.MaxIdleConnsPerHost {
		t.Errorf("MaxIdleConnsPerHost = %d, want %d", n, awsclient.MaxIdleConnsPerHost)
	}
}

func TestForAPIHasAShortRetryBudget(t *testing.T) {
	cfg, err := awsclient.Load(context.Background(), config.WithRegion("us-east-1"))
	if err != nil {
		t.Fatal(err)
	}
	if n := cfg.Retryer().MaxAttempts(); n != 8 {
		t.Errorf("Load's retryer makes %d attempts, want 8", n)
	}
	if n := awsclient.ForAPI(cfg).Retryer().MaxAttempts(); n != awsclient.APIMaxAttempts {
		t.Errorf("ForAPI's retryer makes %d attempts, want %d", n, awsclient.APIMaxAttempts)
	}
	if n := cfg.Retryer().MaxAttempts(); n != 8 {
		t.Errorf("ForAPI changed the config it was given: %d attempts", n)
	}
}
