package domain_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
)

// body builds a JSON array body from target objects.
func body(t *testing.T, targets ...map[string]any) []byte {
	t.Helper()
	b, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func repeatTargets(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"source_system_id":"s%d","account_id":"A%d"}`, i, i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func payloadError(t *testing.T, err error) *domain.PayloadError {
	t.Helper()
	var pe *domain.PayloadError
	if !errors.As(err, &pe) {
		t.Fatalf("error = %v (%T), want *domain.PayloadError", err, err)
	}
	return pe
}

// Problems with the body as a whole: no field errors, a detail explaining it.
func TestDecodeTargetsBodyErrors(t *testing.T) {
	tests := []struct {
		name       string
		body       string
		wantDetail string
	}{
		{name: "nil body", body: "", wantDetail: "empty"},
		{name: "whitespace body", body: " \r\n\t ", wantDetail: "empty"},
		{name: "invalid UTF-8", body: "[{\"source_system_id\":\"\xff\",\"account_id\":\"A\"}]", wantDetail: "UTF-8"},
		{name: "truncated", body: `[{"source_system_id":"s"`, wantDetail: "not valid JSON"},
		{name: "open bracket", body: `[`, wantDetail: "not valid JSON"},
		{name: "syntax error", body: `[{"source_system_id":}]`, wantDetail: "not valid JSON"},
		{name: "trailing comma", body: `[{"source_system_id":"s","account_id":"A"},]`, wantDetail: "not valid JSON"},
		{name: "single quotes", body: `[{'source_system_id':'s'}]`, wantDetail: "not valid JSON"},
		{name: "bare word", body: `targets`, wantDetail: "not valid JSON"},
		{name: "object", body: `{"source_system_id":"s","account_id":"A"}`, wantDetail: "not a JSON object"},
		{name: "string", body: `"tl_abc"`, wantDetail: "not a JSON string"},
		{name: "number", body: `42`, wantDetail: "not a JSON number"},
		{name: "bool", body: `true`, wantDetail: "not a JSON bool"},
		{name: "null", body: `null`, wantDetail: "not null"},
		{name: "empty array", body: `[]`, wantDetail: "empty"},
		{name: "empty array with spaces", body: " [ ] \n", wantDetail: "empty"},
		{name: "501 targets", body: repeatTargets(501), wantDetail: "501 targets; at most 500"},
		{name: "second array", body: repeatTargets(1) + " " + repeatTargets(1), wantDetail: "exactly one JSON value"},
		{name: "trailing object", body: repeatTargets(1) + `{}`, wantDetail: "exactly one JSON value"},
		{name: "trailing garbage", body: repeatTargets(1) + ` x`, wantDetail: "exactly one JSON value"},
		{name: "trailing null", body: repeatTargets(1) + "\nnull", wantDetail: "exactly one JSON value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.DecodeTargets([]byte(tt.body))
			if err == nil {
				t.Fatalf("DecodeTargets() = %v, want error", got)
			}
			if got != nil {
				t.Errorf("DecodeTargets() targets = %v on error, want nil", got)
			}
			pe := payloadError(t, err)
			if len(pe.Fields) != 0 {
				t.Errorf("Fields = %v, want none for a body-level problem", pe.Fields)
			}
			if !strings.Contains(pe.Detail, tt.wantDetail) {
				t.Errorf("Detail = %q, want it to contain %q", pe.Detail, tt.wantDetail)
			}
			if pe.Error() != pe.Detail {
				t.Errorf("Error() = %q, want Detail %q", pe.Error(), pe.Detail)
			}
		})
	}
}

func TestDecodeTargetsValid(t *testing.T) {
	tests := []struct {
		name string
		body string
		want []domain.Target
	}{
		{
			name: "account id only",
			body: `[{"source_system_id":"cdp-1","account_id":"V4T000000000001"}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "cdp-1", AccountID: "V4T000000000001"}},
		},
		{
			name: "email only, case kept",
			body: `[{"source_system_id":"cdp-1","email":"Bob.Smith@Example.COM"}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "cdp-1", Email: "Bob.Smith@Example.COM"}},
		},
		{
			name: "every field, trimmed",
			body: `[{"source_system_id":"  cdp-1\t","account_id":" V4T1 ","email":"\n a@b.com ","first_name":"  Ada ","last_name":" Lovelace  "}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "cdp-1", AccountID: "V4T1", Email: "a@b.com", FirstName: "Ada", LastName: "Lovelace"}},
		},
		{
			name: "null fields are absent",
			body: `[{"source_system_id":"s","account_id":"A","email":null,"first_name":null,"last_name":null}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "s", AccountID: "A"}},
		},
		{
			name: "blank optional fields are absent",
			body: `[{"source_system_id":"s","account_id":"  ","email":"a@b.com","first_name":"  "}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "s", Email: "a@b.com"}},
		},
		{
			name: "unknown fields ignored, including differently cased known names",
			body: `[{"source_system_id":"s","account_id":"A","extra":{"x":[1,2]},"Email":5,"ACCOUNT_ID":true,"n":null}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "s", AccountID: "A"}},
		},
		{
			name: "escaped and multibyte values",
			body: `[{"source_system_id":"s\u00e9\n","account_id":"A","first_name":"Zoë","last_name":"\u738b"}]`,
			want: []domain.Target{{Index: 0, SourceSystemID: "sé", AccountID: "A", FirstName: "Zoë", LastName: "王"}},
		},
		{
			name: "indexes follow the array",
			body: `[{"source_system_id":"s0","account_id":"A"},{"source_system_id":"s1","email":"x@y.org"},{"source_system_id":"s2","account_id":"A"}]`,
			want: []domain.Target{
				{Index: 0, SourceSystemID: "s0", AccountID: "A"},
				{Index: 1, SourceSystemID: "s1", Email: "x@y.org"},
				{Index: 2, SourceSystemID: "s2", AccountID: "A"},
			},
		},
		{
			name: "surrounding whitespace around the array",
			body: "\n\t [ {\"source_system_id\":\"s\",\"account_id\":\"A\"} ] \r\n",
			want: []domain.Target{{Index: 0, SourceSystemID: "s", AccountID: "A"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.DecodeTargets([]byte(tt.body))
			if err != nil {
				t.Fatalf("DecodeTargets() error = %v (%+v)", err, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("DecodeTargets() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeTargetsExactly500(t *testing.T) {
	got, err := domain.DecodeTargets([]byte(repeatTargets(domain.MaxTargets)))
	if err != nil {
		t.Fatalf("DecodeTargets(500) error = %v", err)
	}
	if len(got) != 500 {
		t.Fatalf("len = %d, want 500", len(got))
	}
	for i, tg := range got {
		if tg.Index != i || tg.SourceSystemID != fmt.Sprintf("s%d", i) {
			t.Fatalf("target %d = %+v", i, tg)
		}
	}
}

// A valid email of exactly n characters.
func emailOfLen(n int) string {
	domainPart := strings.Repeat("b", 61) + "." + strings.Repeat("c", 61) + "." + strings.Repeat("d", 61) + ".com" // 189
	return strings.Repeat("a", n-1-len(domainPart)) + "@" + domainPart
}

func TestDecodeTargetsFieldErrors(t *testing.T) {
	mustBeString := func(field string) domain.FieldError {
		return domain.FieldError{Index: 0, Field: field, Message: "must be a string"}
	}
	tooLong := func(field string, max int) domain.FieldError {
		return domain.FieldError{Index: 0, Field: field, Message: fmt.Sprintf("must be at most %d characters", max)}
	}
	required := domain.FieldError{Index: 0, Field: "source_system_id", Message: "is required and must not be blank"}
	oneOf := domain.FieldError{Index: 0, Field: "account_id", Message: "one of account_id or email is required"}
	badEmail := domain.FieldError{Index: 0, Field: "email", Message: "must be a plain email address such as name@example.com"}
	notObject := domain.FieldError{Index: 0, Field: "", Message: "each target must be a JSON object"}
	control := func(field string) domain.FieldError {
		return domain.FieldError{Index: 0, Field: field, Message: "must not contain control characters or bidirectional text controls"}
	}

	tests := []struct {
		name   string
		target map[string]any // marshalled as the only element; nil uses raw
		raw    string
		want   []domain.FieldError // nil means valid
	}{
		{name: "element is a number", raw: `[1]`, want: []domain.FieldError{notObject}},
		{name: "element is a string", raw: `["a@b.com"]`, want: []domain.FieldError{notObject}},
		{name: "element is null", raw: `[null]`, want: []domain.FieldError{notObject}},
		{name: "element is an array", raw: `[[{"source_system_id":"s","account_id":"A"}]]`, want: []domain.FieldError{notObject}},
		{name: "element is a bool", raw: `[false]`, want: []domain.FieldError{notObject}},
		{name: "empty object", raw: `[{}]`, want: []domain.FieldError{required, oneOf}},

		{name: "missing source_system_id", target: map[string]any{"account_id": "A"}, want: []domain.FieldError{required}},
		{name: "empty source_system_id", target: map[string]any{"source_system_id": "", "account_id": "A"}, want: []domain.FieldError{required}},
		{name: "blank source_system_id", target: map[string]any{"source_system_id": " \t\n", "account_id": "A"}, want: []domain.FieldError{required}},
		{name: "null source_system_id", target: map[string]any{"source_system_id": nil, "account_id": "A"}, want: []domain.FieldError{required}},
		{name: "source_system_id of 128", target: map[string]any{"source_system_id": strings.Repeat("s", 128), "account_id": "A"}},
		{name: "source_system_id of 128 multibyte characters", target: map[string]any{"source_system_id": strings.Repeat("é", 128), "account_id": "A"}},
		{name: "source_system_id of 128 four-byte characters", target: map[string]any{"source_system_id": strings.Repeat("😀", 128), "account_id": "A"}},
		{name: "source_system_id of 128 after trimming", target: map[string]any{"source_system_id": "  " + strings.Repeat("s", 128) + "  ", "account_id": "A"}},
		{name: "source_system_id of 129", target: map[string]any{"source_system_id": strings.Repeat("s", 129), "account_id": "A"}, want: []domain.FieldError{tooLong("source_system_id", 128)}},
		{name: "source_system_id of 129 multibyte", target: map[string]any{"source_system_id": strings.Repeat("é", 129), "account_id": "A"}, want: []domain.FieldError{tooLong("source_system_id", 128)}},

		{name: "account_id of 64", target: map[string]any{"source_system_id": "s", "account_id": strings.Repeat("a", 64)}},
		{name: "account_id of 64 multibyte characters", target: map[string]any{"source_system_id": "s", "account_id": strings.Repeat("é", 64)}},
		{name: "account_id of 65", target: map[string]any{"source_system_id": "s", "account_id": strings.Repeat("a", 65)}, want: []domain.FieldError{tooLong("account_id", 64)}},
		{name: "account_id of 65 multibyte", target: map[string]any{"source_system_id": "s", "account_id": strings.Repeat("é", 65)}, want: []domain.FieldError{tooLong("account_id", 64)}},

		{name: "email of 254", target: map[string]any{"source_system_id": "s", "email": emailOfLen(254)}},
		{name: "email of 255", target: map[string]any{"source_system_id": "s", "email": emailOfLen(255)}, want: []domain.FieldError{tooLong("email", 254)}},
		{name: "email of 255 with an account id", target: map[string]any{"source_system_id": "s", "account_id": "A", "email": emailOfLen(255)}, want: []domain.FieldError{tooLong("email", 254)}},
		{name: "email with display name", target: map[string]any{"source_system_id": "s", "email": "Bob <b@x.com>"}, want: []domain.FieldError{badEmail}},
		{name: "email with quoted display name", target: map[string]any{"source_system_id": "s", "email": `"Bob Smith" <b@x.com>`}, want: []domain.FieldError{badEmail}},
		{name: "email in angle brackets", target: map[string]any{"source_system_id": "s", "email": "<b@x.com>"}, want: []domain.FieldError{badEmail}},
		{name: "email with comment", target: map[string]any{"source_system_id": "s", "email": "b@x.com (Bob)"}, want: []domain.FieldError{badEmail}},
		{name: "email list", target: map[string]any{"source_system_id": "s", "email": "a@x.com, b@x.com"}, want: []domain.FieldError{badEmail}},
		{name: "email without @", target: map[string]any{"source_system_id": "s", "email": "not-an-email"}, want: []domain.FieldError{badEmail}},
		{name: "email without dot in domain", target: map[string]any{"source_system_id": "s", "email": "a@localhost"}, want: []domain.FieldError{badEmail}},
		{name: "email without local part", target: map[string]any{"source_system_id": "s", "email": "@x.com"}, want: []domain.FieldError{badEmail}},
		{name: "email without domain", target: map[string]any{"source_system_id": "s", "email": "a@"}, want: []domain.FieldError{badEmail}},
		{name: "email with inner space", target: map[string]any{"source_system_id": "s", "email": "a b@x.com"}, want: []domain.FieldError{badEmail}},
		{name: "email with two @", target: map[string]any{"source_system_id": "s", "email": "a@b@x.com"}, want: []domain.FieldError{badEmail}},
		{name: "invalid email with a valid account id", target: map[string]any{"source_system_id": "s", "account_id": "A", "email": "nope"}, want: []domain.FieldError{badEmail}},
		{name: "plus address", target: map[string]any{"source_system_id": "s", "email": "a+tag@sub.example.co.uk"}},

		{name: "first_name of 100", target: map[string]any{"source_system_id": "s", "account_id": "A", "first_name": strings.Repeat("é", 100)}},
		{name: "first_name of 101", target: map[string]any{"source_system_id": "s", "account_id": "A", "first_name": strings.Repeat("f", 101)}, want: []domain.FieldError{tooLong("first_name", 100)}},
		{name: "last_name of 100", target: map[string]any{"source_system_id": "s", "account_id": "A", "last_name": strings.Repeat("l", 100)}},
		{name: "last_name of 101", target: map[string]any{"source_system_id": "s", "account_id": "A", "last_name": strings.Repeat("é", 101)}, want: []domain.FieldError{tooLong("last_name", 100)}},

		{name: "neither account_id nor email", target: map[string]any{"source_system_id": "s", "first_name": "Ada"}, want: []domain.FieldError{oneOf}},
		{name: "both null", target: map[string]any{"source_system_id": "s", "account_id": nil, "email": nil}, want: []domain.FieldError{oneOf}},
		{name: "both blank", target: map[string]any{"source_system_id": "s", "account_id": " ", "email": " "}, want: []domain.FieldError{oneOf}},

		// Terminal escape injection: C0 and C1 controls, DEL and bidi controls, in every field.
		{name: "escape sequence in source_system_id", target: map[string]any{"source_system_id": "s\x1b[2J\x1b[31mOK", "account_id": "A"}, want: []domain.FieldError{control("source_system_id")}},
		{name: "inner newline in first_name", target: map[string]any{"source_system_id": "s", "account_id": "A", "first_name": "Ada\nLovelace"}, want: []domain.FieldError{control("first_name")}},
		{name: "inner tab in last_name", target: map[string]any{"source_system_id": "s", "account_id": "A", "last_name": "Love\tlace"}, want: []domain.FieldError{control("last_name")}},
		{name: "NUL in account_id", target: map[string]any{"source_system_id": "s", "account_id": "A\x00"}, want: []domain.FieldError{control("account_id")}},
		{name: "DEL in account_id", target: map[string]any{"source_system_id": "s", "account_id": "A\x7f"}, want: []domain.FieldError{control("account_id")}},
		{name: "C1 CSI in first_name", target: map[string]any{"source_system_id": "s", "account_id": "A", "first_name": "x\u009b2J"}, want: []domain.FieldError{control("first_name")}},
		{name: "right-to-left override in source_system_id", target: map[string]any{"source_system_id": "abc\u202edcba", "account_id": "A"}, want: []domain.FieldError{control("source_system_id")}},
		{name: "right-to-left isolate in last_name", target: map[string]any{"source_system_id": "s", "account_id": "A", "last_name": "\u2067x\u2069"}, want: []domain.FieldError{control("last_name")}},
		{name: "left-to-right mark in account_id", target: map[string]any{"source_system_id": "s", "account_id": "A\u200e1"}, want: []domain.FieldError{control("account_id")}},
		{name: "control character in email: that error only", target: map[string]any{"source_system_id": "s", "email": "a\u202e@x.com"}, want: []domain.FieldError{control("email")}},
		{name: "outer whitespace is trimmed, not refused", target: map[string]any{"source_system_id": "\ts\r\n", "account_id": " A\n"}},
		{name: "letters of any script are fine", target: map[string]any{"source_system_id": "s", "account_id": "A", "first_name": "محمد", "last_name": "李"}},

		{
			name:   "several problems in one target",
			target: map[string]any{"source_system_id": strings.Repeat("s", 129), "account_id": strings.Repeat("a", 65), "email": "Bob <b@x.com>", "first_name": strings.Repeat("f", 101), "last_name": 7},
			want:   []domain.FieldError{mustBeString("last_name"), tooLong("source_system_id", 128), tooLong("account_id", 64), tooLong("first_name", 100), badEmail},
		},
	}
	// A wrong JSON type for every known field is an error naming the field, and only that error.
	for _, field := range []string{"source_system_id", "account_id", "email", "first_name", "last_name"} {
		for _, v := range []struct {
			kind  string
			value any
		}{{"number", 12}, {"bool", true}, {"object", map[string]any{"v": "x"}}, {"array", []any{"x"}}} {
			target := map[string]any{"source_system_id": "s", "account_id": "A"}
			target[field] = v.value
			tests = append(tests, struct {
				name   string
				target map[string]any
				raw    string
				want   []domain.FieldError
			}{name: field + " is a " + v.kind, target: target, want: []domain.FieldError{mustBeString(field)}})
		}
	}
	tests = append(tests, []struct {
		name   string
		target map[string]any
		raw    string
		want   []domain.FieldError
	}{
		{name: "account_id of wrong type and no email", target: map[string]any{"source_system_id": "s", "account_id": 5}, want: []domain.FieldError{mustBeString("account_id")}},
		{name: "email of wrong type and no account_id", target: map[string]any{"source_system_id": "s", "email": false}, want: []domain.FieldError{mustBeString("email")}},
		{name: "invalid email and no account_id", target: map[string]any{"source_system_id": "s", "email": "x"}, want: []domain.FieldError{badEmail}},
	}...)

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.raw)
			if tt.target != nil {
				b = body(t, tt.target)
			}
			got, err := domain.DecodeTargets(b)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("DecodeTargets(%s) error = %v (%+v)", b, err, err)
				}
				if len(got) != 1 {
					t.Fatalf("len = %d, want 1", len(got))
				}
				return
			}
			if err == nil {
				t.Fatalf("DecodeTargets(%s) = %+v, want errors %v", b, got, tt.want)
			}
			if got != nil {
				t.Errorf("targets = %v on error, want nil", got)
			}
			pe := payloadError(t, err)
			if diff := cmp.Diff(tt.want, pe.Fields); diff != "" {
				t.Errorf("Fields mismatch (-want +got):\n%s", diff)
			}
			if want := fmt.Sprintf("%d problem(s)", len(tt.want)); !strings.Contains(pe.Detail, want) || !strings.Contains(pe.Detail, "nothing was accepted") {
				t.Errorf("Detail = %q, want it to count %s and say nothing was accepted", pe.Detail, want)
			}
		})
	}
}

// All-or-nothing: one bad target among many valid ones refuses the lot, and
// every problem is listed with its own index.
func TestDecodeTargetsAllOrNothing(t *testing.T) {
	raw := `[
		{"source_system_id":"s0","account_id":"A0"},
		{"account_id":"A1"},
		{"source_system_id":"s2","account_id":"A2"},
		{"source_system_id":"s3","email":"Bob <b@x.com>"},
		42,
		{"source_system_id":"s5","email":7,"first_name":["x"]},
		{"source_system_id":"s6"},
		{"source_system_id":"s7","email":"ok@example.com"}
	]`
	got, err := domain.DecodeTargets([]byte(raw))
	if err == nil {
		t.Fatalf("DecodeTargets() = %v, want error", got)
	}
	if got != nil {
		t.Errorf("targets = %v, want nil", got)
	}
	pe := payloadError(t, err)
	want := []domain.FieldError{
		{Index: 1, Field: "source_system_id", Message: "is required and must not be blank"},
		{Index: 3, Field: "email", Message: "must be a plain email address such as name@example.com"},
		{Index: 4, Field: "", Message: "each target must be a JSON object"},
		{Index: 5, Field: "email", Message: "must be a string"},
		{Index: 5, Field: "first_name", Message: "must be a string"},
		{Index: 6, Field: "account_id", Message: "one of account_id or email is required"},
	}
	if diff := cmp.Diff(want, pe.Fields); diff != "" {
		t.Errorf("Fields mismatch (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(pe.Detail, "6 problem(s)") {
		t.Errorf("Detail = %q", pe.Detail)
	}
	// The field errors serialise as the problem-details members of §3.
	b, err := json.Marshal(pe.Fields[0])
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"index":1,"field":"source_system_id","message":"is required and must not be blank"}`; got != want {
		t.Errorf("FieldError JSON = %s, want %s", got, want)
	}
}

// The last of 501 targets being invalid still reports the count problem, not the field.
func TestDecodeTargetsTooManyBeforeFields(t *testing.T) {
	raw := strings.TrimSuffix(repeatTargets(500), "]") + `,{}]`
	_, err := domain.DecodeTargets([]byte(raw))
	pe := payloadError(t, err)
	if len(pe.Fields) != 0 || !strings.Contains(pe.Detail, "at most 500") {
		t.Errorf("got %+v, want the too-many problem", pe)
	}
}
