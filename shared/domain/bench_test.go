package domain_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// benchAccounts are the accounts the 500-target body names.
var benchAccounts = workload.Accounts(domain.MaxTargets)

// benchBody is a 500-target body: even targets by account_id, odd ones by
// email, all with names, as the budget tests and the load harness send.
func benchBody(b *testing.B) []byte {
	b.Helper()
	return workload.Body(benchAccounts, 0, domain.MaxTargets)
}

// BenchmarkDecodeTargets is decode plus validation of a 500-target body.
func BenchmarkDecodeTargets(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ts, err := domain.DecodeTargets(body)
		if err != nil || len(ts) != domain.MaxTargets {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineDecodeMaps is a bare encoding/json decode of the same
// body into []map[string]any: no validation.
func BenchmarkBaselineDecodeMaps(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		var v []map[string]any
		if err := json.Unmarshal(body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineDecodeStructs is a bare encoding/json decode of the same
// body into []struct: the floor for any encoding/json-based decoder.
func BenchmarkBaselineDecodeStructs(b *testing.B) {
	body := benchBody(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		decodeStructs(b, body)
	}
}

// baselineTarget is the struct of the baseline decode: encoding/json matches
// its names case-insensitively and reports no field of a wrong type by index.
type baselineTarget struct {
	SourceSystemID string `json:"source_system_id"`
	AccountID      string `json:"account_id"`
	Email          string `json:"email"`
	FirstName      string `json:"first_name"`
	LastName       string `json:"last_name"`
}

func decodeStructs(b *testing.B, body []byte) {
	var v []baselineTarget
	if err := json.Unmarshal(body, &v); err != nil || len(v) != domain.MaxTargets {
		b.Fatal(err)
	}
}

// BenchmarkDecodeVsStructs runs DecodeTargets and the struct baseline in
// turns in one loop and reports the median time of each and their ratio
// (decode/structs, the figure PERFORMANCE.md gives): side by side, the
// machine's load weighs on both alike, and medians leave out the iterations
// another process preempted.
func BenchmarkDecodeVsStructs(b *testing.B) {
	body := benchBody(b)
	var decode, structs []time.Duration
	for b.Loop() {
		start := time.Now()
		if ts, err := domain.DecodeTargets(body); err != nil || len(ts) != domain.MaxTargets {
			b.Fatal(err)
		}
		mid := time.Now()
		decodeStructs(b, body)
		end := time.Now()
		decode = append(decode, mid.Sub(start))
		structs = append(structs, end.Sub(mid))
	}
	d, s := median(decode), median(structs)
	b.ReportMetric(float64(d.Nanoseconds()), "decode-ns")
	b.ReportMetric(float64(s.Nanoseconds()), "structs-ns")
	b.ReportMetric(float64(d)/float64(s), "decode/structs")
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}

// BenchmarkMatch500 matches 500 targets against the accounts a consumer
// lookup returns for them.
func BenchmarkMatch500(b *testing.B) {
	targets, err := domain.DecodeTargets(benchBody(b))
	if err != nil {
		b.Fatal(err)
	}
	known := domain.Accounts{ByID: map[string]domain.Account{}, ByEmail: map[string][]string{}}
	for _, a := range benchAccounts {
		known.ByID[a.ID] = a
		for _, e := range a.Emails {
			known.ByEmail[domain.NormalizedEmail(e)] = append(known.ByEmail[domain.NormalizedEmail(e)], a.ID)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range targets {
			if m := domain.MatchTarget(t, known); m.Status != domain.StatusSuccess {
				b.Fatalf("target %d: %+v", t.Index, m)
			}
		}
	}
}

// BenchmarkTokenVerify is what ingest does with a bearer token before its
// one read: the format and checksum check, then the hash to look it up by.
func BenchmarkTokenVerify(b *testing.B) {
	secret, err := domain.NewTokenSecret()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if !domain.ValidTokenFormat(secret) {
			b.Fatal("invalid")
		}
		if domain.HashToken(secret) == "" {
			b.Fatal("empty hash")
		}
	}
}
