package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// Accounts stores CRM accounts and the email-to-accounts lookup items that
// make email matching a BatchGetItem.
type Accounts struct {
	DB          DynamoDB
	Table       string
	EmailsTable string
}

// emailItem lists the accounts having one normalised email.
type emailItem struct {
	Email      string   `dynamodbav:"email"`
	AccountIDs []string `dynamodbav:"account_ids,stringset"`
}

// ImportStats counts what an import did with each distinct account.
type ImportStats struct {
	Created   int // not stored before
	Updated   int // stored with other values
	Unchanged int // stored as given: not written
}

// Import creates or updates accounts (the last of several with one id wins)
// and keeps the email lookup items in step. Accounts equal to the stored ones
// are not written again, so re-importing a file changes nothing. Email items
// are read-modify-written: concurrent imports touching one email can race,
// so run one import at a time.
func (s Accounts) Import(ctx context.Context, accounts []domain.Account) (ImportStats, error) {
	byID := map[string]domain.Account{}
	var order []string
	for _, a := range accounts {
		a.Emails = normalizedEmails(a.Emails)
		if _, seen := byID[a.ID]; !seen {
			order = append(order, a.ID)
		}
		byID[a.ID] = a
	}
	// Only the content hashes are read first: for a re-import of unchanged
	// accounts that is all there is to read.
	storedHashes, err := s.contentHashes(ctx, order)
	if err != nil {
		return ImportStats{}, err
	}
	var changed []domain.Account
	var existing []string
	var stats ImportStats
	for _, id := range order {
		h, ok := storedHashes[id]
		if ok && h == contentHash(byID[id]) {
			continue
		}
		changed = append(changed, byID[id])
		if ok {
			existing = append(existing, id)
		}
	}
	stats.Updated = len(existing)
	stats.Created = len(changed) - stats.Updated
	stats.Unchanged = len(order) - len(changed)
	// The previous emails of changed accounts tell which lookup items lose them.
	old, err := s.getAccounts(ctx, existing)
	if err != nil {
		return ImportStats{}, err
	}
	added := map[string][]string{}   // email -> ids gaining it
	removed := map[string][]string{} // email -> ids losing it
	for _, a := range changed {
		prev := old[a.ID]
		for _, e := range a.Emails {
			if !slices.Contains(prev.Emails, e) {
				added[e] = append(added[e], a.ID)
			}
		}
		for _, e := range prev.Emails {
			if !slices.Contains(a.Emails, e) {
				removed[e] = append(removed[e], a.ID)
			}
		}
	}
	if err := s.updateEmails(ctx, added, removed); err != nil {
		return ImportStats{}, err
	}
	items := make([]item, len(changed))
	for i, a := range changed {
		if items[i], err = attributevalue.MarshalMap(a); err != nil {
			return ImportStats{}, err
		}
		items[i][attrContentHash] = &types.AttributeValueMemberS{Value: contentHash(a)}
	}
	if err := batchPut(ctx, s.DB, s.Table, items); err != nil {
		return ImportStats{}, err
	}
	return stats, nil
}

func (s Accounts) updateEmails(ctx context.Context, added, removed map[string][]string) error {
	emails := make([]string, 0, len(added)+len(removed))
	for e := range added {
		emails = append(emails, e)
	}
	for e := range removed {
		if _, ok := added[e]; !ok {
			emails = append(emails, e)
		}
	}
	if len(emails) == 0 {
		return nil
	}
	keys := make([]keyRef, len(emails))
	for i, e := range emails {
		keys[i] = keyRef{table: s.EmailsTable, key: emailKey(e)}
	}
	found, err := batchGet(ctx, s.DB, keys, true)
	if err != nil {
		return err
	}
	current := map[string][]string{}
	for _, it := range found[s.EmailsTable] {
		var e emailItem
		if err := attributevalue.UnmarshalMap(it, &e); err != nil {
			return err
		}
		current[e.Email] = e.AccountIDs
	}
	var writes []types.WriteRequest
	for _, e := range emails {
		ids := slices.DeleteFunc(slices.Clone(current[e]), func(id string) bool { return slices.Contains(removed[e], id) })
		ids = append(ids, added[e]...)
		slices.Sort(ids)
		ids = slices.Compact(ids)
		if len(ids) == 0 {
			writes = append(writes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: emailKey(e)}})
			continue
		}
		av, err := attributevalue.MarshalMap(emailItem{Email: e, AccountIDs: ids})
		if err != nil {
			return err
		}
		writes = append(writes, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
	}
	return batchWrite(ctx, s.DB, s.EmailsTable, writes)
}

func (s Accounts) getAccounts(ctx context.Context, ids []string) (map[string]domain.Account, error) {
	keys := make([]keyRef, len(ids))
	for i, id := range ids {
		keys[i] = keyRef{table: s.Table, key: accountKey(id)}
	}
	found, err := batchGet(ctx, s.DB, keys, false)
	if err != nil {
		return nil, err
	}
	return decodeAccounts(found[s.Table])
}

// Lookup reads what matching needs for the given account ids and emails:
// the accounts with those ids, the email lookup items, and the accounts the
// emails point to. It costs one BatchGetItem per 100 ids and emails, plus one
// per 100 accounts found only by email.
func (s Accounts) Lookup(ctx context.Context, ids, emails []string) (domain.Accounts, error) {
	known := domain.Accounts{ByID: map[string]domain.Account{}, ByEmail: map[string][]string{}}
	var keys []keyRef
	for _, id := range uniqueNonEmpty(ids) {
		keys = append(keys, keyRef{table: s.Table, key: accountKey(id)})
	}
	for _, e := range uniqueNonEmpty(normalizedEmails(emails)) {
		keys = append(keys, keyRef{table: s.EmailsTable, key: emailKey(e)})
	}
	found, err := batchGet(ctx, s.DB, keys, false)
	if err != nil {
		return known, err
	}
	if known.ByID, err = decodeAccounts(found[s.Table]); err != nil {
		return known, err
	}
	var missing []string
	for _, it := range found[s.EmailsTable] {
		var e emailItem
		if err := attributevalue.UnmarshalMap(it, &e); err != nil {
			return known, err
		}
		known.ByEmail[e.Email] = e.AccountIDs
		for _, id := range e.AccountIDs {
			if _, ok := known.ByID[id]; !ok && !slices.Contains(missing, id) {
				missing = append(missing, id)
			}
		}
	}
	more, err := s.getAccounts(ctx, missing)
	if err != nil {
		return known, err
	}
	for id, a := range more {
		known.ByID[id] = a
	}
	return known, nil
}

// attrContentHash holds a hash of an account's fields, so that an import
// can tell unchanged accounts by reading two small attributes.
const attrContentHash = "content_hash"

func contentHash(a domain.Account) string {
	b, _ := json.Marshal(a) // plain strings: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// contentHashes reads the stored content hash of each account that exists
// ("" for accounts written before hashes were kept).
func (s Accounts) contentHashes(ctx context.Context, ids []string) (map[string]string, error) {
	keys := make([]keyRef, len(ids))
	for i, id := range ids {
		keys[i] = keyRef{table: s.Table, key: accountKey(id), projection: []string{resources.AttrAccountID, attrContentHash}}
	}
	found, err := batchGet(ctx, s.DB, keys, false)
	if err != nil {
		return nil, err
	}
	hashes := make(map[string]string, len(found[s.Table]))
	for _, it := range found[s.Table] {
		id, _ := it[resources.AttrAccountID].(*types.AttributeValueMemberS)
		h, _ := it[attrContentHash].(*types.AttributeValueMemberS)
		if id != nil {
			hashes[id.Value] = ""
			if h != nil {
				hashes[id.Value] = h.Value
			}
		}
	}
	return hashes, nil
}

func decodeAccounts(items []item) (map[string]domain.Account, error) {
	out := make(map[string]domain.Account, len(items))
	for _, it := range items {
		var a domain.Account
		if err := attributevalue.UnmarshalMap(it, &a); err != nil {
			return nil, err
		}
		out[a.ID] = a
	}
	return out, nil
}

func normalizedEmails(emails []string) []string {
	var out []string
	for _, e := range emails {
		if n := domain.NormalizedEmail(e); n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func uniqueNonEmpty(values []string) []string {
	seen := make(map[string]bool, len(values))
	var out []string
	for _, v := range values {
		if v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func accountKey(id string) item {
	return item{resources.AttrAccountID: &types.AttributeValueMemberS{Value: id}}
}

func emailKey(email string) item {
	return item{resources.AttrEmail: &types.AttributeValueMemberS{Value: email}}
}
