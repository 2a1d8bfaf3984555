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
	"github.com/targetloader/targetloader/shared/store"
)

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
				sizes = append(sizes, store.ItemSize(it))
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
		mean := float64(sum) / float64(len(sizes))
		lines = append(lines, fmt.Sprintf("%-22s items %5d  bytes mean %6.0f  max %6d  WRU/write %d  RRU/strong read %d",
			env, len(sizes), mean, sizes[len(sizes)-1], int(math.Ceil(float64(sizes[len(sizes)-1])/1024)), int(math.Ceil(float64(sizes[len(sizes)-1])/4096))))
		if sizes[len(sizes)-1] > 1024 && (env == "LOADER_RECORDS_TABLE" || env == "JOURNEY_TARGETS_TABLE") {
			t.Errorf("%s items reach %d bytes: over 1 KB each write costs 2 WRU", env, sizes[len(sizes)-1])
		}
	}
	t.Logf("item sizes (attribute names + values, as DynamoDB bills):\n%s", strings.Join(lines, "\n"))
}
