package budget

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ItemSize is an item's size as DynamoDB bills it: the UTF-8 bytes of every
// attribute name plus its value (strings by UTF-8 length, numbers about one
// byte per two digits plus one, binary by length, booleans and null one
// byte, lists and maps 3 bytes plus their elements and one byte each).
func ItemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		digits := len(strings.TrimLeft(strings.NewReplacer("-", "", ".", "").Replace(v.Value), "0"))
		return (digits+1)/2 + 1
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += valueSize(&types.AttributeValueMemberN{Value: s})
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// TestItemSizesAndCost runs 500 targets through the pipeline, measures the
// items it wrote and prints the write and read units one target costs and
// the handler times, the inputs of PERFORMANCE.md's cost model.
func TestItemSizesAndCost(t *testing.T) {
	p := newPipeline(t, targetsPerRequest)
	ctx := context.Background()
	token := p.journeyWithToken(t, "SIZES")
	start := time.Now()
	resp := p.post(t, "SIZES", token, 0, nil)
	ingestTime := time.Since(start)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	start = time.Now()
	p.drain(t)
	consumerTime := time.Since(start)
	t.Logf("handler wall time against this endpoint: ingest %s per 500-target POST, consumer %s per 500 targets", ingestTime.Round(time.Millisecond), consumerTime.Round(time.Millisecond))

	var lines []string
	mean := map[string]float64{} // env var of the table -> mean item bytes
	for _, env := range []string{"ACCOUNTS_TABLE", "ACCOUNT_EMAILS_TABLE", "TOKENS_TABLE", "JOURNEYS_TABLE", "REQUESTS_TABLE", "LOADER_RECORDS_TABLE", "JOURNEY_TARGETS_TABLE", "RATE_LIMITS_TABLE"} {
		table := p.stack.Env[env]
		if table == "" {
			continue
		}
		var sizes []int
		var startKey map[string]types.AttributeValue
		for {
			out, err := p.stack.DynamoDB.Scan(ctx, &dynamodb.ScanInput{TableName: &table, ExclusiveStartKey: startKey})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range out.Items {
				sizes = append(sizes, ItemSize(it))
			}
			if len(out.LastEvaluatedKey) == 0 {
				break
			}
			startKey = out.LastEvaluatedKey
		}
		if len(sizes) == 0 {
			continue
		}
		sort.Ints(sizes)
		sum := 0
		for _, s := range sizes {
			sum += s
		}
		mean[env] = float64(sum) / float64(len(sizes))
		lines = append(lines, fmt.Sprintf("%-22s items %5d  bytes mean %6.0f  max %6d  WRU/write %d  RRU/strong read %d",
			env, len(sizes), mean[env], sizes[len(sizes)-1], int(math.Ceil(float64(sizes[len(sizes)-1])/1024)), int(math.Ceil(float64(sizes[len(sizes)-1])/4096))))
		if sizes[len(sizes)-1] > 1024 && (env == "LOADER_RECORDS_TABLE" || env == "JOURNEY_TARGETS_TABLE") {
			t.Errorf("%s items reach %d bytes: over 1 KB each write costs 2 WRU", env, sizes[len(sizes)-1])
		}
	}
	t.Logf("item sizes (attribute names + values, as DynamoDB bills):\n%s", strings.Join(lines, "\n"))

	m := costOf(mean)
	t.Logf("cost per million targets, every one a new journey target, at list prices (PERFORMANCE.md):\n%s", m)
	// The cost model's inputs that this branch owns: a new journey target is
	// one write unit, an account item is read as one unit, and processing
	// everything but the loader records (written as they are here until
	// records-by-part lands) stays within $0.90 a million, so that records
	// written by part at up to $0.10 a million keep processing within issue
	// 14's dollar. Storage is a monthly cost besides (PERFORMANCE.md).
	if wru := math.Ceil(mean["JOURNEY_TARGETS_TABLE"] / 1024); wru != 1 {
		t.Errorf("a journey target costs %.0f WRU, the model holds 1", wru)
	}
	if a := mean["ACCOUNTS_TABLE"]; a > 4096 {
		t.Errorf("an account item is %.0f bytes: reading it costs more than the model's unit", a)
	}
	if got := m.processing(false); got > 0.90 {
		t.Errorf("processing everything but the loader records costs $%.3f per million targets, over $0.90", got)
	}
}
