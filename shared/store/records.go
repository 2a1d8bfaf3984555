package store

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
)

// Target loader records are stored by message part (resources.LoaderRecords):
// the part item, keyed by request uuid and part number, holds the part's
// records as one blob, and the request, journey and times they share once.
// The blob is a JSON array of rows, one per record (see row), compressed
// with DEFLATE: the failure reasons repeat the submitted values next to
// them, which compression takes back. A part too large for one item is
// split (see Put); with 500 targets of typical length a part is far from it
// (PERFORMANCE.md "Loader records by part").

// MaxItemBytes is DynamoDB's item size limit (400 KB: attribute names and
// values), which moto does not enforce. Put splits a part whose records do
// not fit one item.
const MaxItemBytes = 400 * 1024

// maxListReadBytes bounds the part items one page of a listing reads: a
// filtered page may then hold fewer records than asked for, with a cursor
// to go on, rather than keep a caller waiting.
const maxListReadBytes = 4 << 20

// recordsFormat is the layout of the records blob; a reader refuses others.
const recordsFormat = 1

// Attributes of a part item besides its keys and the journey index's.
const (
	attrRecords     = "records"
	attrFormat      = "format"
	attrChunks      = "chunks"
	attrWriteID     = "write_id"
	attrProcessedAt = "processed_at"
)

// sortTimeLayout is RFC 3339 with a fixed width, so that journey_sort orders
// parts by the time their request was received.
const sortTimeLayout = "2006-01-02T15:04:05.000000000Z"

// LoaderRecords stores target loader records by message part.
type LoaderRecords struct {
	DB    DynamoDB
	Table string
	// Retention, when positive, is how long a record is kept after its
	// creation (DynamoDB TTL); zero keeps it.
	Retention time.Duration
}

// Put writes the records of one message part, which share their request,
// journey and times, as one item keyed by request uuid and part: writing
// the part again replaces it, so a redelivered message leaves one copy.
//
// A part whose records do not fit one item (MaxItemBytes) is cut in halves
// until every chunk fits. The part item holds the first chunk; continuation
// items keyed "<request uuid>#<write id>" and 1, 2, … hold the others. The
// write id is new with every write and the continuations are written first,
// so the part item, written last in one PutItem, always names a complete
// set; the set of the item it replaced is deleted after.
func (s LoaderRecords) Put(ctx context.Context, part int, records []domain.LoaderRecord) error {
	if len(records) == 0 {
		return nil
	}
	first := records[0]
	for _, r := range records {
		if r.RequestUUID != first.RequestUUID || r.Journey != first.Journey || !r.CreatedAt.Equal(first.CreatedAt) || !r.ProcessedAt.Equal(first.ProcessedAt) {
			return errors.New("the records of one part must share their request, journey and times")
		}
	}
	head := item{
		resources.AttrRequestUUID: &types.AttributeValueMemberS{Value: first.RequestUUID},
		resources.AttrPart:        number(part),
		resources.AttrJourneyID:   &types.AttributeValueMemberS{Value: first.Journey},
		resources.AttrJourneySort: &types.AttributeValueMemberS{Value: journeySort(first.CreatedAt, first.RequestUUID, part)},
		resources.AttrCreatedAt:   &types.AttributeValueMemberS{Value: first.CreatedAt.UTC().Format(time.RFC3339Nano)},
		attrProcessedAt:           &types.AttributeValueMemberS{Value: first.ProcessedAt.UTC().Format(time.RFC3339Nano)},
		resources.AttrRecordCount: number(len(records)),
		resources.AttrKinds:       &types.AttributeValueMemberSS{Value: kinds(records)},
		attrFormat:                number(recordsFormat),
	}
	expireAfter(head, first.CreatedAt, s.Retention)
	// Room for the chunk attributes too: every chunk's item is smaller than this.
	withChunks := merged(head, item{
		attrChunks:  number(999),
		attrWriteID: &types.AttributeValueMemberS{Value: strings.Repeat("w", writeIDLen)},
		attrRecords: &types.AttributeValueMemberB{},
	})
	blobs, err := splitRecords(records, MaxItemBytes-ItemSize(withChunks))
	if err != nil {
		return fmt.Errorf("part %d of request %s: %w", part, first.RequestUUID, err)
	}
	head[attrRecords] = &types.AttributeValueMemberB{Value: blobs[0]}
	writeID := ""
	if len(blobs) > 1 {
		writeID = newWriteID()
		head[attrChunks] = number(len(blobs))
		head[attrWriteID] = &types.AttributeValueMemberS{Value: writeID}
		rest := make([]item, 0, len(blobs)-1)
		for i, b := range blobs[1:] {
			it := chunkKey(first.RequestUUID, writeID, i+1)
			it[attrRecords] = &types.AttributeValueMemberB{Value: b}
			expireAfter(it, first.CreatedAt, s.Retention)
			rest = append(rest, it)
		}
		if err := batchPut(ctx, s.DB, s.Table, rest); err != nil {
			return err
		}
	}
	out, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.Table, Item: head, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		return err
	}
	return s.deleteChunks(ctx, first.RequestUUID, out.Attributes, writeID)
}

// deleteChunks deletes the continuation items of the part item old that a
// write with id writeID replaced. Were it to fail, the message is retried;
// items it leaves are never read and expire with the retention period.
func (s LoaderRecords) deleteChunks(ctx context.Context, requestUUID string, old item, writeID string) error {
	chunks, oldID := partChunks(old)
	if chunks <= 1 || oldID == writeID {
		return nil
	}
	deletes := make([]types.WriteRequest, 0, chunks-1)
	for i := 1; i < chunks; i++ {
		deletes = append(deletes, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: chunkKey(requestUUID, oldID, i)}})
	}
	return batchWrite(ctx, s.DB, s.Table, deletes)
}

// splitRecords encodes records as one blob of at most maxBlob bytes, or,
// when they do not fit, as the blobs of its halves, recursively.
func splitRecords(records []domain.LoaderRecord, maxBlob int) ([][]byte, error) {
	blob, err := encodeRows(records)
	if err != nil {
		return nil, err
	}
	if len(blob) <= maxBlob {
		return [][]byte{blob}, nil
	}
	if len(records) == 1 {
		return nil, fmt.Errorf("the record of target %d takes %d bytes compressed, more than an item holds (%d)", records[0].Index, len(blob), maxBlob)
	}
	half := len(records) / 2
	head, err := splitRecords(records[:half], maxBlob)
	if err != nil {
		return nil, err
	}
	tail, err := splitRecords(records[half:], maxBlob)
	return append(head, tail...), err
}

// rowFields is the length of a full row: a record's target index, then its
// own fields in the order of row. The part item holds the rest.
const rowFields = 10

// row is r as the blob stores it, trailing empty fields left out.
func row(r domain.LoaderRecord) []string {
	f := []string{strconv.Itoa(r.Index), r.SourceSystemID, r.SubmittedEmail, r.SubmittedAccountID, r.SubmittedFirstName,
		r.SubmittedLastName, r.Account, string(r.MatchingOutcome), string(r.ProcessingStatus), r.FailureReason}
	for len(f) > 1 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return f
}

// fromRow is the record of row f in a part whose shared fields base holds.
func fromRow(f []string, base domain.LoaderRecord) (domain.LoaderRecord, error) {
	if len(f) == 0 || len(f) > rowFields {
		return base, fmt.Errorf("a record row has %d fields", len(f))
	}
	f = append(f, make([]string, rowFields-len(f))...)
	index, err := strconv.Atoi(f[0])
	if err != nil {
		return base, fmt.Errorf("a record row's index: %w", err)
	}
	r := base
	r.ID, r.Index = domain.RecordID(base.RequestUUID, index), index
	r.SourceSystemID, r.SubmittedEmail, r.SubmittedAccountID, r.SubmittedFirstName, r.SubmittedLastName = f[1], f[2], f[3], f[4], f[5]
	r.Account, r.MatchingOutcome, r.ProcessingStatus, r.FailureReason = f[6], domain.MatchingOutcome(f[7]), domain.ProcessingStatus(f[8]), f[9]
	return r, nil
}

func encodeRows(records []domain.LoaderRecord) ([]byte, error) {
	rows := make([][]string, len(records))
	for i, r := range records {
		rows[i] = row(r)
	}
	var buf bytes.Buffer
	zw, err := flate.NewWriter(&buf, flate.DefaultCompression)
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(zw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rows); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeRows(blob []byte) ([][]string, error) {
	var rows [][]string
	err := json.NewDecoder(flate.NewReader(bytes.NewReader(blob))).Decode(&rows)
	return rows, err
}

// kinds are the matching outcomes and processing statuses r holds: the
// journey index carries them, so a filtered listing skips parts without.
func kinds(records []domain.LoaderRecord) []string {
	var k []string
	for _, r := range records {
		for _, v := range []string{string(r.MatchingOutcome), string(r.ProcessingStatus)} {
			if !slices.Contains(k, v) {
				k = append(k, v)
			}
		}
	}
	return k
}

// writeIDLen is the length of a write id: a random 64-bit number in base 36.
const writeIDLen = 13

func newWriteID() string {
	id := strconv.FormatUint(rand.Uint64(), 36)
	return strings.Repeat("0", writeIDLen-len(id)) + id
}

func chunkKey(requestUUID, writeID string, chunk int) item {
	return item{
		resources.AttrRequestUUID: &types.AttributeValueMemberS{Value: requestUUID + "#" + writeID},
		resources.AttrPart:        number(chunk),
	}
}

func partKey(requestUUID string, part int) item {
	return item{
		resources.AttrRequestUUID: &types.AttributeValueMemberS{Value: requestUUID},
		resources.AttrPart:        number(part),
	}
}

// partChunks reads how many items the part item it spans, and their write id.
func partChunks(it item) (int, string) {
	chunks := 1
	if n, ok := it[attrChunks].(*types.AttributeValueMemberN); ok {
		chunks, _ = strconv.Atoi(n.Value)
	}
	return chunks, str(it, attrWriteID)
}

func journeySort(createdAt time.Time, requestUUID string, part int) string {
	return createdAt.UTC().Format(sortTimeLayout) + "#" + requestUUID + "#" + fmt.Sprintf("%05d", part)
}

func number(n int) *types.AttributeValueMemberN {
	return &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
}

func str(it item, attr string) string {
	if v, ok := it[attr].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(it item, attr string) int {
	if v, ok := it[attr].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.Atoi(v.Value)
		return n
	}
	return -1
}

// merged is a new item with the attributes of all of its.
func merged(its ...item) item {
	out := item{}
	for _, it := range its {
		for k, v := range it {
			out[k] = v
		}
	}
	return out
}

// partRecords is one part as a listing reads it.
type partRecords struct {
	request string
	part    int
	sort    string
	records []domain.LoaderRecord
	// bytes are the sizes of the items read for it.
	bytes int
}

// readParts reads the continuations of heads (part items, in listing order)
// and decodes each part's records.
func (s LoaderRecords) readParts(ctx context.Context, heads []item, consistent bool) ([]partRecords, error) {
	var keys []keyRef
	for _, h := range heads {
		chunks, writeID := partChunks(h)
		for i := 1; i < chunks; i++ {
			keys = append(keys, keyRef{table: s.Table, key: chunkKey(str(h, resources.AttrRequestUUID), writeID, i)})
		}
	}
	continuations := map[string]item{}
	if len(keys) > 0 {
		found, err := batchGet(ctx, s.DB, keys, consistent)
		if err != nil {
			return nil, err
		}
		for _, it := range found[s.Table] {
			continuations[str(it, resources.AttrRequestUUID)+"/"+strconv.Itoa(num(it, resources.AttrPart))] = it
		}
	}
	parts := make([]partRecords, len(heads))
	for i, h := range heads {
		p := partRecords{request: str(h, resources.AttrRequestUUID), part: num(h, resources.AttrPart), sort: str(h, resources.AttrJourneySort), bytes: ItemSize(h)}
		if num(h, attrFormat) != recordsFormat {
			return nil, fmt.Errorf("part %d of request %s has records format %d", p.part, p.request, num(h, attrFormat))
		}
		base := domain.LoaderRecord{RequestUUID: p.request, Journey: str(h, resources.AttrJourneyID)}
		var err error
		if base.CreatedAt, err = time.Parse(time.RFC3339Nano, str(h, resources.AttrCreatedAt)); err != nil {
			return nil, err
		}
		if base.ProcessedAt, err = time.Parse(time.RFC3339Nano, str(h, attrProcessedAt)); err != nil {
			return nil, err
		}
		items := []item{h}
		chunks, writeID := partChunks(h)
		for c := 1; c < chunks; c++ {
			it, ok := continuations[p.request+"#"+writeID+"/"+strconv.Itoa(c)]
			if !ok {
				// Replaced and deleted since the part item was read: a retry reads the new one.
				return nil, fmt.Errorf("part %d of request %s: continuation %d is gone", p.part, p.request, c)
			}
			p.bytes += ItemSize(it)
			items = append(items, it)
		}
		for _, it := range items {
			blob, _ := it[attrRecords].(*types.AttributeValueMemberB)
			if blob == nil {
				return nil, fmt.Errorf("part %d of request %s has no records", p.part, p.request)
			}
			rows, err := decodeRows(blob.Value)
			if err != nil {
				return nil, fmt.Errorf("part %d of request %s: %w", p.part, p.request, err)
			}
			for _, f := range rows {
				r, err := fromRow(f, base)
				if err != nil {
					return nil, fmt.Errorf("part %d of request %s: %w", p.part, p.request, err)
				}
				p.records = append(p.records, r)
			}
		}
		parts[i] = p
	}
	return parts, nil
}

// ListByRequest returns one page of a request's records in index order.
func (s LoaderRecords) ListByRequest(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	return s.List(ctx, domain.RecordQuery{RequestUUID: requestUUID}, cursor, limit)
}

// partSource yields the parts a listing reads, in order.
type partSource interface {
	// next reads the next parts, as many as may hold need records (at
	// least one), or none after the last.
	next(ctx context.Context, need int) ([]partRecords, error)
	// done reports that the last part was read.
	done() bool
}

// List returns one page of the records q selects: a request's in index
// order (its part items read from the table, strongly consistent), else a
// journey's oldest first (its parts found through the journey index). A
// page reads whole parts and cuts the last one short: the cursor names the
// part and how many of its records were listed. limit <= 0 lists all. With a
// filter a page may hold fewer than limit records even when more follow:
// follow the cursor until it is "".
func (s LoaderRecords) List(ctx context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	c, err := decodeRecordCursor(cursor, q)
	if err != nil {
		return nil, "", err
	}
	var src partSource
	byJourney := q.RequestUUID == ""
	if !byJourney {
		src = s.requestParts(q, c)
	} else {
		src = s.journeyParts(q, c)
	}
	var out []domain.LoaderRecord
	read := 0
	resume := c != nil && c.Offset > 0
	for {
		need := math.MaxInt
		if limit > 0 {
			need = limit - len(out)
		}
		parts, err := src.next(ctx, need)
		if err != nil || len(parts) == 0 {
			return out, "", err
		}
		for i, p := range parts {
			last := i == len(parts)-1 && src.done()
			from := 0
			if resume && p.request == c.Request && p.part == c.Part {
				from = c.Offset
			}
			resume = false
			for j := from; j < len(p.records); j++ {
				if !q.Matches(p.records[j]) {
					continue
				}
				out = append(out, p.records[j])
				if limit > 0 && len(out) == limit {
					switch {
					case j+1 < len(p.records):
						return out, p.cursor(j+1, byJourney), nil
					case last:
						return out, "", nil
					}
					return out, p.cursor(0, byJourney), nil
				}
			}
			read += p.bytes
			if limit > 0 && read >= maxListReadBytes && !last {
				return out, p.cursor(0, byJourney), nil
			}
		}
	}
}

// requestParts reads a request's part items from the table, two per Query
// (a request of up to 500 typical targets has one), from the cursor's part.
func (s LoaderRecords) requestParts(q domain.RecordQuery, c *recordCursor) *requestParts {
	from := 0
	if c != nil {
		from = c.Part
		if c.Offset == 0 {
			from++
		}
	}
	return &requestParts{s: s, q: q, from: from}
}

type requestParts struct {
	s        LoaderRecords
	q        domain.RecordQuery
	from     int
	start    item
	finished bool
}

const requestPartsPerQuery = 2

func (r *requestParts) done() bool { return r.finished }

func (r *requestParts) next(ctx context.Context, _ int) ([]partRecords, error) {
	b := expression.NewBuilder().WithKeyCondition(expression.Key(resources.AttrRequestUUID).Equal(expression.Value(r.q.RequestUUID)).
		And(expression.Key(resources.AttrPart).GreaterThanEqual(expression.Value(r.from))))
	if f, ok := kindsFilter(r.q); ok {
		b = b.WithFilter(f)
	}
	expr, err := b.Build()
	if err != nil {
		return nil, err
	}
	for !r.finished {
		out, err := r.s.DB.Query(ctx, &dynamodb.QueryInput{
			TableName:                 &r.s.Table,
			KeyConditionExpression:    expr.KeyCondition(),
			FilterExpression:          expr.Filter(),
			ExpressionAttributeNames:  expr.Names(),
			ExpressionAttributeValues: expr.Values(),
			ConsistentRead:            aws.Bool(true),
			Limit:                     aws.Int32(requestPartsPerQuery),
			ExclusiveStartKey:         r.start,
		})
		if err != nil {
			return nil, err
		}
		r.start = out.LastEvaluatedKey
		r.finished = len(out.LastEvaluatedKey) == 0
		if len(out.Items) > 0 {
			return r.s.readParts(ctx, out.Items, true)
		}
	}
	return nil, nil
}

// journeyParts finds a journey's parts in the journey index, whose entries
// say how many records each holds, and reads as many part items as may fill
// the page in one BatchGetItem (eventually consistent, as the index is).
func (s LoaderRecords) journeyParts(q domain.RecordQuery, c *recordCursor) *journeyParts {
	j := &journeyParts{s: s, q: q}
	if c == nil {
		return j
	}
	j.start = item{
		resources.AttrJourneyID:   &types.AttributeValueMemberS{Value: q.JourneyID},
		resources.AttrJourneySort: &types.AttributeValueMemberS{Value: c.Sort},
	}
	j.start = merged(j.start, partKey(c.Request, c.Part))
	if c.Offset > 0 {
		j.pending = []indexEntry{{key: partKey(c.Request, c.Part), records: domain.MaxTargets}}
		j.resumed = true
	}
	return j
}

type journeyParts struct {
	s         LoaderRecords
	q         domain.RecordQuery
	start     item
	indexDone bool
	pending   []indexEntry
	// resumed: pending[0] is the cursor's part, which must be the journey's.
	resumed bool
}

type indexEntry struct {
	key     item
	records int
}

func (j *journeyParts) done() bool { return j.indexDone && len(j.pending) == 0 }

func (j *journeyParts) next(ctx context.Context, need int) ([]partRecords, error) {
	for {
		parts, err := j.fetch(ctx, need)
		// None found, though the index listed some: they expired since.
		if err != nil || len(parts) > 0 || j.done() {
			return parts, err
		}
	}
}

// fetch reads the part items of the next index entries, as many as may hold need records.
func (j *journeyParts) fetch(ctx context.Context, need int) ([]partRecords, error) {
	for !j.indexDone && pendingRecords(j.pending) < need {
		if err := j.readIndex(ctx, need); err != nil {
			return nil, err
		}
	}
	take, sum := 0, 0
	for take < len(j.pending) && (take == 0 || sum < need) {
		sum += j.pending[take].records
		take++
	}
	if take == 0 {
		return nil, nil
	}
	entries := j.pending[:take]
	j.pending = j.pending[take:]
	keys := make([]keyRef, len(entries))
	for i, e := range entries {
		keys[i] = keyRef{table: j.s.Table, key: e.key}
	}
	found, err := batchGet(ctx, j.s.DB, keys, false)
	if err != nil {
		return nil, err
	}
	byKey := map[string]item{}
	for _, it := range found[j.s.Table] {
		byKey[str(it, resources.AttrRequestUUID)+"/"+strconv.Itoa(num(it, resources.AttrPart))] = it
	}
	heads := make([]item, 0, len(entries))
	for i, e := range entries {
		h, ok := byKey[str(e.key, resources.AttrRequestUUID)+"/"+strconv.Itoa(num(e.key, resources.AttrPart))]
		if i == 0 && j.resumed && ok && str(h, resources.AttrJourneyID) != j.q.JourneyID {
			return nil, errInvalidCursor
		}
		if ok { // else expired since the index listed it
			heads = append(heads, h)
		}
	}
	j.resumed = false
	return j.s.readParts(ctx, heads, false)
}

func pendingRecords(entries []indexEntry) int {
	n := 0
	for _, e := range entries {
		n += e.records
	}
	return n
}

// readIndex reads the next page of the journey index: at most need entries,
// as each part holds at least one record, and MaxBatchGetKeys.
func (j *journeyParts) readIndex(ctx context.Context, need int) error {
	b := expression.NewBuilder().WithKeyCondition(expression.Key(resources.AttrJourneyID).Equal(expression.Value(j.q.JourneyID)))
	if f, ok := kindsFilter(j.q); ok {
		b = b.WithFilter(f)
	}
	expr, err := b.Build()
	if err != nil {
		return err
	}
	out, err := j.s.DB.Query(ctx, &dynamodb.QueryInput{
		TableName:                 &j.s.Table,
		IndexName:                 aws.String(resources.IndexRecordsByJourney),
		KeyConditionExpression:    expr.KeyCondition(),
		FilterExpression:          expr.Filter(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     aws.Int32(int32(min(need, MaxBatchGetKeys))),
		ExclusiveStartKey:         j.start,
	})
	if err != nil {
		return err
	}
	for _, it := range out.Items {
		j.pending = append(j.pending, indexEntry{key: partKey(str(it, resources.AttrRequestUUID), num(it, resources.AttrPart)), records: max(num(it, resources.AttrRecordCount), 1)})
	}
	j.start = out.LastEvaluatedKey
	j.indexDone = len(out.LastEvaluatedKey) == 0
	return nil
}

// kindsFilter keeps the part items holding q's outcome and status (each in
// some record: the records themselves are filtered after reading).
func kindsFilter(q domain.RecordQuery) (expression.ConditionBuilder, bool) {
	var conds []expression.ConditionBuilder
	for _, v := range []string{string(q.MatchingOutcome), string(q.ProcessingStatus)} {
		if v != "" {
			conds = append(conds, expression.Name(resources.AttrKinds).Contains(v))
		}
	}
	switch len(conds) {
	case 0:
		return expression.ConditionBuilder{}, false
	case 1:
		return conds[0], true
	}
	return expression.And(conds[0], conds[1]), true
}

// recordCursor is where the next page of a records listing starts: after
// Offset records of part Part of request Request, or after the whole part
// when Offset is 0. Sort, in a journey's listing, is the part's journey_sort
// (where the journey index goes on). Callers see it as base64url JSON.
type recordCursor struct {
	Request string `json:"r"`
	Part    int    `json:"p"`
	Offset  int    `json:"o,omitempty"`
	Sort    string `json:"s,omitempty"`
}

// cursor is the cursor after offset records of p (0: all of them), in a
// journey's listing when byJourney.
func (p partRecords) cursor(offset int, byJourney bool) string {
	c := recordCursor{Request: p.request, Part: p.part, Offset: offset}
	if byJourney {
		c.Sort = p.sort
	}
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodeRecordCursor reads a cursor of q's listing; it returns nil for ""
// and errInvalidCursor for anything else that is not one: every field is
// checked, as a DynamoDB start key is built from them.
func decodeRecordCursor(cursor string, q domain.RecordQuery) (*recordCursor, error) {
	if cursor == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, errInvalidCursor
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var c recordCursor
	if err := dec.Decode(&c); err != nil || dec.More() {
		return nil, errInvalidCursor
	}
	if !domain.ValidRequestUUID(c.Request) || c.Part < 0 || c.Part >= domain.MaxTargets || c.Offset < 0 || c.Offset >= domain.MaxTargets {
		return nil, errInvalidCursor
	}
	if q.RequestUUID != "" {
		if c.Request != q.RequestUUID || c.Sort != "" {
			return nil, errInvalidCursor
		}
		return &c, nil
	}
	at, _, _ := strings.Cut(c.Sort, "#")
	if t, err := time.Parse(sortTimeLayout, at); err != nil || journeySort(t, c.Request, c.Part) != c.Sort {
		return nil, errInvalidCursor
	}
	return &c, nil
}
