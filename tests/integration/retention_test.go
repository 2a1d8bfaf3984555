package integration

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/resources"
)

// Requests and loader records hold personal data (submitted emails and
// names): they expire after the retention period; the journey's own target
// list does not.
func TestPersonalDataExpiresAfterTheRetentionPeriod(t *testing.T) {
	// GIVEN the stack as deployed (RETENTION_DAYS unset: the default) and an accepted request
	e := newEnv(t)
	e.putJourney("J1", "")
	e.importAccounts(domain.Account{ID: "A1", Emails: []string{"one@example.com"}, Status: domain.AccountActive})
	tok := e.createToken("J1", "30d")
	before := time.Now()
	resp := e.post("J1", tok.Token, []map[string]any{
		{"source_system_id": "s0", "account_id": "A1", "first_name": "Ann"},
		{"source_system_id": "s1", "email": "nobody@example.com"},
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	acc := decode[ingest.Accepted](t, resp.Body)
	// WHEN the consumer has processed it
	e.drain()
	after := time.Now()

	keep := resources.DefaultRetentionDays * 24 * time.Hour
	inWindow := func(what string, it map[string]dbtypes.AttributeValue) {
		t.Helper()
		n, ok := it[resources.AttrDeleteAfter].(*dbtypes.AttributeValueMemberN)
		if !ok {
			t.Errorf("%s has no %s", what, resources.AttrDeleteAfter)
			return
		}
		epoch, _ := strconv.ParseInt(n.Value, 10, 64)
		if lo, hi := before.Add(keep).Unix()-1, after.Add(keep).Unix()+1; epoch < lo || epoch > hi {
			t.Errorf("%s expires at %v, want %d days after it was received", what, time.Unix(epoch, 0).UTC(), resources.DefaultRetentionDays)
		}
	}
	db := e.stack.DynamoDB
	// THEN the request expires the retention period after it was received
	req, err := db.GetItem(e.ctx(), &dynamodb.GetItemInput{
		TableName: aws.String(e.stack.Env[resources.Requests.EnvVar]),
		Key:       map[string]dbtypes.AttributeValue{resources.AttrRequestUUID: &dbtypes.AttributeValueMemberS{Value: acc.RequestUUID}},
	})
	if err != nil {
		t.Fatal(err)
	}
	inWindow("the request", req.Item)
	// AND so does the item holding its loader records
	recs, err := db.Scan(e.ctx(), scanInput(e.stack.Env[resources.LoaderRecords.EnvVar]))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs.Items) != 1 {
		t.Fatalf("%d part items, want the one part's", len(recs.Items))
	}
	for _, it := range recs.Items {
		inWindow("loader records of part "+it[resources.AttrPart].(*dbtypes.AttributeValueMemberN).Value, it)
	}
	// AND the tables delete on that attribute (DynamoDB TTL)
	for _, table := range []resources.Table{resources.Requests, resources.LoaderRecords} {
		ttl, err := db.DescribeTimeToLive(e.ctx(), &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(e.stack.Env[table.EnvVar])})
		if err != nil {
			t.Fatal(err)
		}
		if d := ttl.TimeToLiveDescription; d.TimeToLiveStatus != dbtypes.TimeToLiveStatusEnabled || aws.ToString(d.AttributeName) != resources.AttrDeleteAfter {
			t.Errorf("%s TTL: %s on %s", table.ID, d.TimeToLiveStatus, aws.ToString(d.AttributeName))
		}
	}
	// AND the journey's target list is kept
	targets, err := db.Scan(e.ctx(), scanInput(e.stack.Env[resources.JourneyTargets.EnvVar]))
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Items) != 1 {
		t.Fatalf("%d journey targets", len(targets.Items))
	}
	if _, ok := targets.Items[0][resources.AttrDeleteAfter]; ok {
		t.Errorf("the journey target expires")
	}
}
