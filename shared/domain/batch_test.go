package domain_test

import (
	"encoding/json"
	"errors"
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

// CheckBatch accepts exactly the parts ingest queued for a request.
func TestRequestCheckBatch(t *testing.T) {
	targets := make([]domain.Target, 5)
	for i := range targets {
		targets[i] = domain.Target{Index: i, SourceSystemID: fmt.Sprintf("s%d", i), AccountID: fmt.Sprintf("A%d", i)}
	}
	queued := []domain.Batch{
		{RequestUUID: "req-1", JourneyID: "J1", Part: 0, Parts: 2, Targets: targets[:3]},
		{RequestUUID: "req-1", JourneyID: "J1", Part: 1, Parts: 2, Targets: targets[3:]},
	}
	r := domain.Request{UUID: "req-1", JourneyID: "J1", Accepted: 5, Parts: 2, PartDigests: domain.PartDigests(queued)}
	for _, b := range queued {
		if err := r.CheckBatch(b); err != nil {
			t.Errorf("part %d as queued: %v", b.Part, err)
		}
		// A redelivered message decodes to the same digest.
		raw, _ := json.Marshal(b)
		var again domain.Batch
		if err := json.Unmarshal(raw, &again); err != nil || r.CheckBatch(again) != nil {
			t.Errorf("part %d after a JSON round trip: %v", b.Part, r.CheckBatch(again))
		}
	}

	edit := func(f func(b *domain.Batch)) domain.Batch {
		b := queued[0]
		b.Targets = append([]domain.Target(nil), b.Targets...)
		f(&b)
		return b
	}
	forged := map[string]domain.Batch{
		"another request":           edit(func(b *domain.Batch) { b.RequestUUID = "req-2" }),
		"another journey":           edit(func(b *domain.Batch) { b.JourneyID = "J2" }),
		"a part beyond the request": edit(func(b *domain.Batch) { b.Part, b.Parts = 2, 3 }),
		"a negative part":           edit(func(b *domain.Batch) { b.Part = -1 }),
		"another part count":        edit(func(b *domain.Batch) { b.Parts = 1 }),
		"no targets":                edit(func(b *domain.Batch) { b.Targets = nil }),
		"an edited target":          edit(func(b *domain.Batch) { b.Targets[1].SourceSystemID = "evil" }),
		"another account":           edit(func(b *domain.Batch) { b.Targets[0].AccountID = "A9" }),
		"a target of another part":  edit(func(b *domain.Batch) { b.Targets[2] = targets[3] }),
		"an index beyond accepted": edit(func(b *domain.Batch) {
			b.Targets = append(b.Targets, domain.Target{Index: 5, SourceSystemID: "s", AccountID: "A"})
		}),
		"a negative index": edit(func(b *domain.Batch) { b.Targets[0].Index = -1 }),
		"a repeated index": edit(func(b *domain.Batch) { b.Targets[1].Index = 0 }),
		"a dropped target": edit(func(b *domain.Batch) { b.Targets = b.Targets[:2] }),
	}
	for name, b := range forged {
		if err := r.CheckBatch(b); !errors.Is(err, domain.ErrBatchMismatch) {
			t.Errorf("%s: CheckBatch = %v, want ErrBatchMismatch", name, err)
		}
	}
	// A request written without digests accepts no message at all.
	legacy := r
	legacy.PartDigests = nil
	if err := legacy.CheckBatch(queued[0]); !errors.Is(err, domain.ErrBatchMismatch) {
		t.Errorf("request without digests: %v", err)
	}
}
