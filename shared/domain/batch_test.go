package domain_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

func bigTargets(n int) []domain.Target {
	ts := make([]domain.Target, n)
	for i := range ts {
		// Control characters are escaped as \u00XX: six bytes each in JSON.
		ts[i] = domain.Target{Index: i, SourceSystemID: strings.Repeat("\x01", 128), Email: strings.Repeat("e", 240) + "@x.com", FirstName: strings.Repeat("\x02", 100), LastName: strings.Repeat("\x03", 100)}
	}
	return ts
}

func TestSplitBatchesKeepsEveryMessageUnder256KiB(t *testing.T) {
	batches, err := domain.SplitBatches(domain.Batch{RequestUUID: "u", JourneyID: "j"}, bigTargets(500))
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) < 2 {
		t.Fatalf("%d batches; a ~1.2 MB request must be split", len(batches))
	}
	total := 0
	for i, b := range batches {
		body, _ := json.Marshal(b)
		if len(body) > domain.MaxBatchMessageBytes {
			t.Errorf("batch %d is %d bytes", i, len(body))
		}
		if b.Part != i || b.Parts != len(batches) || b.RequestUUID != "u" {
			t.Errorf("batch %d: part %d of %d", i, b.Part, b.Parts)
		}
		for j, tg := range b.Targets {
			if tg.Index != total+j {
				t.Fatalf("targets out of order")
			}
		}
		total += len(b.Targets)
	}
	if total != 500 {
		t.Errorf("%d targets in all", total)
	}
}

func TestSplitBatchesSmallRequestIsOneBatch(t *testing.T) {
	ts := make([]domain.Target, 500)
	for i := range ts {
		ts[i] = domain.Target{Index: i, SourceSystemID: fmt.Sprint(i), AccountID: fmt.Sprint("V", i)}
	}
	batches, _ := domain.SplitBatches(domain.Batch{}, ts)
	if len(batches) != 1 {
		t.Errorf("%d batches", len(batches))
	}
}
