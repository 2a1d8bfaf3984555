package budget

import (
	"fmt"
	"math"
	"strings"

	"github.com/targetloader/targetloader/shared/resources"
)

// AWS list prices (us-east-1, 2026) the cost model assumes.
const (
	pricePerMillionWRU  = 0.625 // DynamoDB on-demand, standard table class
	pricePerMillionRRU  = 0.125
	priceStorageGBMonth = 0.25 // DynamoDB standard table class
	pricePITRGBMonth    = 0.20 // continuous backups, on the table's size
	priceSQSFIFOMillion = 0.50 // per 64 KiB chunk
	priceAPIMillion     = 3.50 // REST API
	priceLambdaGBSecond = 0.0000133334
	priceLambdaMillion  = 0.20
	// itemOverhead is what DynamoDB adds to each item's (and index entry's)
	// size for storage.
	itemOverhead = 100
	daysPerMonth = 365.0 / 12
)

// costModel is the cost of one million targets, each a new journey target,
// sent as requests of 500 (half matched by account id, half by email), from
// the items' measured sizes. Reads and writes follow the code: see
// PERFORMANCE.md "Cost per million targets".
type costModel struct {
	lines []costLine
}

type costLine struct {
	what    string
	units   string
	dollars float64
	// records marks the loader records' share (another branch changes it).
	records bool
	// storage marks what storage costs, which grows with the time kept.
	storage bool
}

func wru(bytes float64) float64 { return math.Ceil(bytes / 1024) }

func costOf(mean map[string]float64) costModel {
	const perMillion = 1e6 / targetsPerRequest // requests of 500 per million targets
	// part is the item holding a message part's 500 records (issue 14 item
	// 1), with one entry in the journey index (~240 bytes, 1 WRU).
	request, part, target := mean["REQUESTS_TABLE"], mean["LOADER_RECORDS_TABLE"], mean["JOURNEY_TARGETS_TABLE"]
	const partIndexEntry = 240
	rate := math.Max(mean["RATE_LIMITS_TABLE"], 250) // ~250 bytes once it holds 20 request times
	var m costModel
	add := func(what, units string, dollars float64, records bool) {
		m.lines = append(m.lines, costLine{what: what, units: units, dollars: dollars, records: records, storage: strings.HasPrefix(what, "storage")})
	}

	// Writes, per 500 targets.
	ingestW := wru(request) + wru(rate) + wru(request) // create, rate limit, mark queued
	add("writes: ingest", fmt.Sprintf("%.0f WRU per 500 (request, rate limit, queued)", ingestW), ingestW*perMillion/1e6*pricePerMillionWRU, false)
	add("writes: journey targets", fmt.Sprintf("%.0f WRU each (%.0f bytes)", wru(target), target), 1e6*wru(target)/1e6*pricePerMillionWRU, false)
	add("writes: loader records", fmt.Sprintf("%.0f WRU per 500 (a %.0f-byte part item) + 1 (its journey index entry)", wru(part), part), (wru(part)+1)*perMillion/1e6*pricePerMillionWRU, true)
	add("writes: part result", fmt.Sprintf("%.0f WRU per 500", wru(request)), wru(request)*perMillion/1e6*pricePerMillionWRU, false)

	// Reads, per 500 targets: every item is under 4 KB, so 1 RRU strongly
	// consistent, 0.5 eventually, found or not.
	reads := 2.0 + 2 + // ingest: token and journey; consumer: journey and request (strong)
		0.5*targetsPerRequest + // 250 account ids + 250 emails (eventual)
		0.5*targetsPerRequest/2 + // the 250 accounts found by email (eventual)
		1.0*targetsPerRequest // the journey-target check, strongly consistent (FIFO design)
	add("reads", fmt.Sprintf("%.0f RRU per 500 (journey-target check %d strong)", reads, targetsPerRequest), reads*perMillion/1e6*pricePerMillionRRU, false)

	// Requests: SQS FIFO (a 73 KB message is 2 chunks sent, 2 received, 1
	// delete), API Gateway, Lambda (measured handler times against moto,
	// which overstate DynamoDB's latency).
	add("SQS FIFO", "5 requests per 500", 5*perMillion/1e6*priceSQSFIFOMillion, false)
	add("API Gateway", "1 request per 500", perMillion/1e6*priceAPIMillion, false)
	lambda := perMillion*(0.256*0.07+0.512*1.5)*priceLambdaGBSecond + 2*perMillion/1e6*priceLambdaMillion
	add("Lambda", "ingest 256 MB x 70 ms, consumer 512 MB x 1.5 s, per 500", lambda, false)

	// Storage and point-in-time recovery: journey targets for as long as
	// their journey; requests and loader records for the retention period.
	month := priceStorageGBMonth + pricePITRGBMonth
	retention := float64(resources.DefaultRetentionDays) / daysPerMonth
	targetsGB := 1e6 * (target + itemOverhead) / 1e9
	recordsGB := perMillion * (part + partIndexEntry + 2*itemOverhead) / 1e9 // item and index entry
	requestsGB := perMillion * (request + itemOverhead) / 1e9
	add("storage + PITR: journey targets, first month", fmt.Sprintf("%.3f GB, $%.3f a month for as long as the journey", targetsGB, targetsGB*month), targetsGB*month, false)
	add("storage + PITR: requests, 400 days", fmt.Sprintf("%.4f GB x %.1f months", requestsGB, retention), requestsGB*month*retention, false)
	add("storage + PITR: loader records, 400 days", fmt.Sprintf("%.4f GB (parts and index) x %.1f months", recordsGB, retention), recordsGB*month*retention, true)
	return m
}

// sum adds the lines keep selects.
func (m costModel) sum(keep func(costLine) bool) float64 {
	t := 0.0
	for _, l := range m.lines {
		if keep(l) {
			t += l.dollars
		}
	}
	return t
}

func (m costModel) total() float64 { return m.sum(func(costLine) bool { return true }) }

// processing is what handling the targets costs once: writes, reads, requests.
func (m costModel) processing(withRecords bool) float64 {
	return m.sum(func(l costLine) bool { return !l.storage && (withRecords || !l.records) })
}

// firstMonth is a month of storage and PITR of everything a million targets
// leave.
func (m costModel) firstMonth() float64 {
	retention := float64(resources.DefaultRetentionDays) / daysPerMonth
	return m.sum(func(l costLine) bool { return l.storage && !strings.Contains(l.what, "first month") })/retention +
		m.sum(func(l costLine) bool { return strings.Contains(l.what, "first month") })
}

func (m costModel) String() string {
	var b strings.Builder
	for _, l := range m.lines {
		fmt.Fprintf(&b, "%-56s %-70s $%.4f\n", l.what, l.units, l.dollars)
	}
	fmt.Fprintf(&b, "%-56s %-70s $%.4f\n", "processing (writes, reads, requests)", "", m.processing(true))
	fmt.Fprintf(&b, "%-56s %-70s $%.4f\n", "processing and the first month's storage", "", m.processing(true)+m.firstMonth())
	fmt.Fprintf(&b, "%-56s %-70s $%.4f\n", "total with storage as above", "", m.total())
	return b.String()
}
