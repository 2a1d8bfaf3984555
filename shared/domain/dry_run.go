package domain

import "time"

// DryRun is what each target would become if the request were submitted
// now (PRODUCT.md §9): matched as the consumer matches it (§4), and shown
// through the same API view as the status endpoint's records, so a dry run
// tells the caller nothing about the CRM that a real request would not. A
// dry run has no request: its records have no id and no request uuid.
type DryRun struct {
	Records          []APIRecord              `json:"records"`
	ProcessingStatus map[ProcessingStatus]int `json:"processing_status"`
	MatchingOutcome  map[MatchingOutcome]int  `json:"matching_outcome"`
}

// NewDryRun matches targets of journeyID against known at now.
func NewDryRun(journeyID string, targets []Target, known Accounts, now time.Time) DryRun {
	d := DryRun{Records: make([]APIRecord, len(targets)), ProcessingStatus: map[ProcessingStatus]int{}, MatchingOutcome: map[MatchingOutcome]int{}}
	for _, s := range ProcessingStatuses {
		d.ProcessingStatus[s] = 0
	}
	for _, o := range MatchingOutcomes {
		d.MatchingOutcome[o] = 0
	}
	for i, t := range targets {
		m := MatchTarget(t, known)
		rec := NewLoaderRecord("", journeyID, now, now, t, m)
		rec.ID = ""
		d.Records[i] = rec.APIView()
		d.ProcessingStatus[m.Status]++
		d.MatchingOutcome[m.Outcome]++
	}
	return d
}
