// Package testenv gives integration tests a real DynamoDB/SQS API: it starts
// moto_server on a free loopback port (or uses TL_TEST_ENDPOINT, e.g. a
// LocalStack), and provisions a fresh stage of tables and queues per test.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	sharedconfig "github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/local/provision"
	"github.com/targetloader/targetloader/shared/sqsbatch"
)

var endpoint string

// Run starts moto_server unless TL_TEST_ENDPOINT names an endpoint, runs the
// tests and stops the server. Call it from TestMain.
func Run(m *testing.M) int {
	endpoint = os.Getenv("TL_TEST_ENDPOINT")
	if endpoint == "" {
		moto, err := localaws.StartMoto("127.0.0.1", 0, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "testenv:", err)
			return 1
		}
		defer moto.Stop()
		endpoint = moto.Endpoint
	}
	return m.Run()
}

// Endpoint is the AWS endpoint the tests use.
func Endpoint() string { return endpoint }

// AWSConfig is the SDK config the functions would build, for endpoint,
// with us-east-1 and dummy credentials whatever the environment says.
func AWSConfig(ctx context.Context, endpoint string, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	return localaws.Config(ctx, endpoint, localaws.IgnoreEnv, opts...)
}

// Stack is one provisioned stage for one test.
type Stack struct {
	AWS       aws.Config
	DynamoDB  *dynamodb.Client
	SQS       *sqs.Client
	Secrets   *secretsmanager.Client
	Resources provision.Resources
	// Env is the environment the deployed functions would get.
	Env map[string]string
}

// NewStack provisions a fresh stage named after the test.
func NewStack(t testing.TB, opts ...func(*config.LoadOptions) error) *Stack {
	t.Helper()
	if endpoint == "" {
		t.Fatal("testenv: call testenv.Run from TestMain")
	}
	ctx := context.Background()
	cfg, err := AWSConfig(ctx, endpoint, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := &Stack{AWS: cfg, DynamoDB: dynamodb.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), Secrets: secretsmanager.NewFromConfig(cfg)}
	if s.Resources, err = provision.Ensure(ctx, s.DynamoDB, s.SQS, s.Secrets, StageName(t)); err != nil {
		t.Fatal(err)
	}
	s.Env = s.Resources.Env()
	// A user pool that is not there, until the test asks for one (UserPool).
	maps.Copy(s.Env, provision.UserPool{ID: localaws.CognitoRegion + "_none", ClientID: "none", Endpoint: endpoint}.Env())
	return s
}

// StageName is a short unique stage name for t.
func StageName(t testing.TB) string {
	name := strings.ToLower(t.Name())
	name = strings.Map(func(r rune) rune {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			return r
		}
		return '-'
	}, name)
	if len(name) > 30 {
		name = name[:30]
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return name + "-" + hex.EncodeToString(b)
}

// Logger writes JSON log lines at level and above to the test's output and
// to also (when not nil), e.g. a SyncBuffer the test searches.
func Logger(t testing.TB, level slog.Level, also io.Writer) *slog.Logger {
	var w io.Writer = testWriter{t}
	if also != nil {
		w = io.MultiWriter(also, w)
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter writes each log line to the test's output.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Config loads a function's config C from the stack's env, as the deployed
// function loads it from its environment.
func Config[C any](t testing.TB, s *Stack) C {
	t.Helper()
	cfg, err := sharedconfig.LoadFrom[C](s.Env)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// ReceiveAll takes every message visible on queueURL off it, as SQS event
// records with their attributes (a FIFO message's group among them), for a
// test to deliver as it likes. It deletes what it receives: on a FIFO queue
// a group's later messages are delivered only once the earlier ones are
// gone. Requeue puts messages back.
func ReceiveAll(t testing.TB, client *sqs.Client, queueURL string) []events.SQSMessage {
	t.Helper()
	var msgs []events.SQSMessage
	for {
		out, err := client.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
			QueueUrl:                    aws.String(queueURL),
			MaxNumberOfMessages:         10,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameAll},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Messages) == 0 {
			return msgs
		}
		var done []sqstypes.DeleteMessageBatchRequestEntry
		for i, m := range out.Messages {
			msgs = append(msgs, events.SQSMessage{MessageId: aws.ToString(m.MessageId), ReceiptHandle: aws.ToString(m.ReceiptHandle), Body: aws.ToString(m.Body), Attributes: m.Attributes})
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
		}
		if del, err := client.DeleteMessageBatch(context.Background(), &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(queueURL), Entries: done}); err != nil || len(del.Failed) > 0 {
			t.Fatalf("delete received messages: %v %+v", err, del)
		}
	}
}

// Requeue sends messages ReceiveAll took back to queueURL, each in its
// FIFO group, behind what the queue holds.
func Requeue(t testing.TB, client *sqs.Client, queueURL string, msgs []events.SQSMessage) {
	t.Helper()
	for _, m := range msgs {
		in := &sqs.SendMessageInput{QueueUrl: aws.String(queueURL), MessageBody: aws.String(m.Body)}
		if g := m.Attributes[sqsbatch.GroupAttribute]; g != "" {
			in.MessageGroupId, in.MessageDeduplicationId = aws.String(g), aws.String("requeued-"+m.MessageId)
		}
		if _, err := client.SendMessage(context.Background(), in); err != nil {
			t.Fatal(err)
		}
	}
}

// SyncBuffer is a bytes.Buffer safe for concurrent writers, e.g. to collect
// every log line of a test.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// SampleEvent reads events/<name> from the repository root (found from
// root) with its REPLACE_WITH_ placeholders replaced by old, new pairs,
// failing the test if one is left or the result is not JSON.
func SampleEvent(t testing.TB, root, name string, replace ...string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "events", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.NewReplacer(replace...).Replace(string(b))
	if strings.Contains(s, "REPLACE_WITH_") {
		t.Fatalf("%s: placeholder left after replacement", name)
	}
	if !json.Valid([]byte(s)) {
		t.Fatalf("%s is not valid JSON", name)
	}
	return []byte(s)
}
