package faultinject_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
)

// fakeAWS answers every call with an empty JSON object.
func fakeAWS(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", "2745614147") // of "{}"
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func awsConfig(t *testing.T, url string, attempts int) aws.Config {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("k", "s", "")),
		config.WithBaseEndpoint(url),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = attempts
				o.MaxBackoff = time.Millisecond
			})
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestThrottlingIsRetriedAndSurfacesAsTheModeledError(t *testing.T) {
	srv := fakeAWS(t)
	tr := faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810.GetItem", Rate: 1})
	db := dynamodb.NewFromConfig(awsConfig(t, srv.URL, 3), func(o *dynamodb.Options) { o.HTTPClient = tr.Wrap(o.HTTPClient) })
	_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]dbtypes.AttributeValue{"k": &dbtypes.AttributeValueMemberS{Value: "v"}}})
	var pte *dbtypes.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("err = %v, want ProvisionedThroughputExceededException", err)
	}
	if got := tr.Attempts()["DynamoDB_20120810.GetItem"]; got != 3 {
		t.Errorf("attempts = %d, want 3 (the retryer retries throttling)", got)
	}
	// Other operations pass.
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("t"), Item: map[string]dbtypes.AttributeValue{"k": &dbtypes.AttributeValueMemberS{Value: "v"}}}); err != nil {
		t.Errorf("PutItem: %v", err)
	}
}

func TestRateIsDeterministicPerSeed(t *testing.T) {
	srv := fakeAWS(t)
	run := func(seed uint64) []bool {
		tr := faultinject.New(nil, seed, faultinject.Rule{Match: "DynamoDB_20120810.", Rate: 0.3})
		db := dynamodb.NewFromConfig(awsConfig(t, srv.URL, 1), func(o *dynamodb.Options) { o.HTTPClient = tr.Wrap(o.HTTPClient) })
		var out []bool
		for range 50 {
			_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]dbtypes.AttributeValue{"k": &dbtypes.AttributeValueMemberS{Value: "v"}}})
			out = append(out, err != nil)
		}
		return out
	}
	a, b := run(7), run(7)
	failed := 0
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("seed 7 gave different failures at call %d", i)
		}
		if a[i] {
			failed++
		}
	}
	if failed < 5 || failed > 25 {
		t.Errorf("%d of 50 calls failed at rate 0.3", failed)
	}
}

func TestCallsFailEveryAttemptOfTheChosenCall(t *testing.T) {
	srv := fakeAWS(t)
	tr := faultinject.New(nil, 1, faultinject.Rule{Match: "AmazonSQS.SendMessageBatch", Calls: []int{2}, Status: http.StatusInternalServerError})
	q := sqs.NewFromConfig(awsConfig(t, srv.URL, 3), func(o *sqs.Options) { o.HTTPClient = tr.Wrap(o.HTTPClient) })
	send := func() error {
		_, err := q.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(srv.URL + "/q"), Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String("x")}}})
		return err
	}
	if err := send(); err != nil {
		t.Fatalf("call 1: %v", err)
	}
	err := send()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("call 2: err = %v, want an API error", err)
	}
	if tr.Injected(0) != 3 {
		t.Errorf("injected %d attempts, want all 3 attempts of call 2", tr.Injected(0))
	}
	if err := send(); err != nil {
		t.Fatalf("call 3: %v", err)
	}
}

func TestStallAfterBlocksUntilTheDeadline(t *testing.T) {
	srv := fakeAWS(t)
	tr := faultinject.New(nil, 1, faultinject.Rule{StallAfter: 1})
	db := dynamodb.NewFromConfig(awsConfig(t, srv.URL, 1), func(o *dynamodb.Options) { o.HTTPClient = tr.Wrap(o.HTTPClient) })
	in := &dynamodb.GetItemInput{TableName: aws.String("t"), Key: map[string]dbtypes.AttributeValue{"k": &dbtypes.AttributeValueMemberS{Value: "v"}}}
	if _, err := db.GetItem(context.Background(), in); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := db.GetItem(ctx, in); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("stalled call took %s", d)
	}
}

func TestRoundTripperWrapsAPlainHTTPClient(t *testing.T) {
	srv := fakeAWS(t)
	tr := faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810.", Calls: []int{1}})
	req, _ := http.NewRequest(http.MethodPost, srv.URL, nil)
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	resp, err := tr.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("X-Amzn-ErrorType") != "ProvisionedThroughputExceededException" {
		t.Errorf("got %d %v", resp.StatusCode, resp.Header)
	}
	req, _ = http.NewRequest(http.MethodPost, srv.URL, nil)
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	resp, err = tr.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("second call: %d", resp.StatusCode)
	}
}

func TestAfterForwardReachesTheServerAndAttemptsLimitsTheFailures(t *testing.T) {
	hits := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.Header().Set("X-Amz-Crc32", "2745614147")
		_, _ = w.Write([]byte(`{}`))
	}))
	t.Cleanup(srv.Close)
	tr := faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810.UpdateItem", Calls: []int{1}, Attempts: 1, AfterForward: true, Status: http.StatusInternalServerError})
	db := dynamodb.NewFromConfig(awsConfig(t, srv.URL, 3), func(o *dynamodb.Options) { o.HTTPClient = tr.Wrap(o.HTTPClient) })
	_, err := db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: map[string]dbtypes.AttributeValue{"k": &dbtypes.AttributeValueMemberS{Value: "v"}}})
	if err != nil {
		t.Fatalf("the retry should succeed: %v", err)
	}
	if hits != 2 || tr.Injected(0) != 1 {
		t.Errorf("server saw %d attempts, %d replaced; want 2 and 1", hits, tr.Injected(0))
	}
}
