package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/callcount"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The call budget of an import (PERFORMANCE.md): each upload of 500 rows
// costs the manage function exactly UploadCallsPerPart calls, and the
// consumer processes its rows within the API targets' budget per 500
// (tests/budget's ConsumerBudgetPer500, its loader records' one write
// included), however big the file.
const (
	UploadCallsPerPart   = 4
	ConsumerBudgetPer500 = 39
	// sampledParts is how many of the import's messages the consumer
	// processes in make test: the first add their accounts to the journey,
	// the next find them there.
	sampledParts = 4
)

// processAll processes every row of the 100,000 with the consumer, not only
// a sample: some 40,000 DynamoDB item writes and reads, minutes against
// moto_server (PERFORMANCE.md). go test ./cmd/tl -run 100000 -args -import-all
var processAll = flag.Bool("import-all", false, "TestLoaderImport100000RowsCallBudget: process every row with the consumer (minutes against moto_server)")

// A file of 100,000 rows, the most tl takes, is imported in 200 uploads of
// 500 rows, each at the same number of AWS calls; the consumer processes
// its messages (a sample of them, or with -import-all every one) within
// its budget per 500 rows.
func TestLoaderImport100000RowsCallBudget(t *testing.T) {
	counter := callcount.New()
	stack := testenv.NewStack(t)
	counted := stack.AWS.Copy()
	counted.HTTPClient = counter.Wrap(counted.HTTPClient)
	stack.DynamoDB, stack.SQS = dynamodb.NewFromConfig(counted), sqs.NewFromConfig(counted)
	h := newHarnessOn(t, stack)
	h.ok("journeys", "put", "--id", "J-BIG", "--name", "Big list")
	accounts := workload.Accounts(1_000)
	stack.ImportAccounts(t, accounts)

	// Every row names one of 1,000 accounts, half by id, half by email: the
	// first 1,000 rows add them to the journey, the others find them there.
	var b strings.Builder
	b.WriteString("source_system_id,account_id,email,first_name,last_name\n")
	for i := range domain.MaxImportRows {
		a := accounts[i%len(accounts)]
		if i%2 == 0 {
			fmt.Fprintf(&b, "list-%d,%s,,%s,%s\n", i, a.ID, a.FirstName, a.LastName)
		} else {
			fmt.Fprintf(&b, "list-%d,,%s,%s,%s\n", i, a.Emails[0], a.FirstName, a.LastName)
		}
	}
	file := writeFile(t, "big.csv", b.String())

	// The import: 200 uploads, 4 at once, each the same 4 calls.
	counter.Reset()
	start := time.Now()
	sum := decodeJSON[loaderImport](t, h.ok("loader", "import", "--journey", "J-BIG", file, "--json").stdout)
	uploads := counter.Snapshot()
	parts := len(sum.Requests)
	t.Logf("tl loader import of %d rows: %d uploads in %s:\n%s", sum.Rows, parts, time.Since(start).Round(time.Millisecond), uploads.Table(float64(parts), "per upload"))
	if sum.Rows != domain.MaxImportRows || sum.Queued != domain.MaxImportRows || sum.Bad != 0 || parts != domain.MaxImportRows/domain.MaxTargets {
		t.Fatalf("summary: %d rows, %d queued, %d bad, %d requests", sum.Rows, sum.Queued, sum.Bad, parts)
	}
	for op, st := range uploads {
		if st.Calls != parts {
			t.Errorf("%s: %d calls for %d uploads; want one per upload", op, st.Calls, parts)
		}
	}
	if n := uploads.Calls(nil); n != UploadCallsPerPart*parts {
		t.Errorf("the uploads cost %d calls, %.2f per 500 rows; want %d", n, float64(n)/float64(parts), UploadCallsPerPart)
	}
	if n := stack.QueueDepth(t, stack.Resources.QueueURL); n != parts {
		t.Fatalf("%d messages queued, want %d", n, parts)
	}

	// The consumer: a sample of the messages, or every one.
	want := sampledParts
	if *processAll {
		want = parts
	}
	handlers := stack.Wire(t, slog.New(slog.DiscardHandler), testenv.Clients{})
	counter.Reset()
	start = time.Now()
	// The poller hands the consumer its messages as the event source
	// mapping does, the journey's message group with them.
	poller := stack.Poller(handlers.Consumer.Handle)
	processed := 0
	for processed < want {
		poller.BatchSize = int32(min(10, want-processed))
		n, err := poller.Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		processed += n
	}
	consumer := counter.Snapshot().Without(callcount.Op{Service: callcount.SQS, Operation: "ReceiveMessage"},
		callcount.Op{Service: callcount.SQS, Operation: "GetQueueAttributes"})
	t.Logf("consumer, %d of the %d messages (%d rows) in %s:\n%s", processed, parts, processed*domain.MaxTargets, time.Since(start).Round(time.Millisecond),
		consumer.Table(float64(processed), "per 500 rows"))
	if n := consumer.Calls(nil); n > ConsumerBudgetPer500*processed {
		t.Errorf("the consumer cost %d calls, %.1f per 500 rows; the budget is %d", n, float64(n)/float64(processed), ConsumerBudgetPer500)
	}
	for op, st := range consumer {
		if limit := map[string]int{"BatchWriteItem": 25, "BatchGetItem": 100, "DeleteMessageBatch": 10}[op.Operation]; limit > 0 && st.MaxItems > limit {
			t.Errorf("a %s call carried %d items; the AWS limit is %d", op, st.MaxItems, limit)
		}
	}

	// Each processed request completed, every row a success.
	requests := stack.Requests()
	completed := 0
	for _, r := range sum.Requests {
		req, err := requests.Get(context.Background(), r.RequestUUID)
		if err != nil {
			t.Fatal(err)
		}
		switch p := req.Progress(); {
		case p.Status == domain.ProgressCompleted && p.ProcessingStatus[domain.StatusSuccess] == domain.MaxTargets:
			completed++
		case p.Status != domain.ProgressQueued:
			t.Errorf("request %s (lines %d-%d): %+v", r.RequestUUID, r.FirstLine, r.LastLine, p)
		}
	}
	if completed != processed {
		t.Errorf("%d requests completed, %d processed", completed, processed)
	}
}
