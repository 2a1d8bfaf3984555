package domain

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// checkSameAsLegacy fails t unless DecodeTargets and the decoder it replaced
// return the same for body: the same targets, or the same problem (detail,
// and every field error with its index, field and message).
func checkSameAsLegacy(t testing.TB, body []byte) {
	t.Helper()
	got, gotErr := DecodeTargets(body)
	want, wantErr := legacyDecodeTargets(body)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("body %q: targets differ from the legacy decoder's (-legacy +new):\n%s", clip(body), diff)
	}
	var gotPE, wantPE *PayloadError
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && (!errors.As(gotErr, &gotPE) || !errors.As(wantErr, &wantPE)) {
		t.Fatalf("body %q: error %v (%T), the legacy decoder's %v (%T)", clip(body), gotErr, gotErr, wantErr, wantErr)
	}
	if diff := cmp.Diff(wantPE, gotPE); diff != "" {
		t.Fatalf("body %q: problem differs from the legacy decoder's (-legacy +new):\n%s", clip(body), diff)
	}
}

// clip shortens a body for a failure message.
func clip(body []byte) []byte {
	if len(body) > 300 {
		return append(body[:300:300], "…"...)
	}
	return body
}

func nested(open, value, closing string, depth int) string {
	return strings.Repeat(open, depth) + value + strings.Repeat(closing, depth)
}

func targetsArray(n int, target string) string {
	return "[" + strings.TrimSuffix(strings.Repeat(target+",", n), ",") + "]"
}

// The edge cases of PRODUCT.md §3's payload rules and of JSON itself, each
// decoded by both decoders.
func TestDecodeTargetsMatchesLegacy(t *testing.T) {
	ok := `{"source_system_id":"s","account_id":"A1"}`
	cases := map[string]string{
		// duplicate names: the last counts
		"duplicate name":                 `[{"source_system_id":"s","account_id":"A1","account_id":"A2"}]`,
		"duplicate: wrong type then ok":  `[{"source_system_id":"s","email":5,"email":"a@b.co"}]`,
		"duplicate: ok then wrong type":  `[{"source_system_id":"s","email":"a@b.co","email":5}]`,
		"duplicate: ok then null":        `[{"source_system_id":"s","account_id":"A","account_id":null}]`,
		"duplicate: null then ok":        `[{"source_system_id":null,"source_system_id":"s","account_id":"A"}]`,
		"duplicate: escaped twin":        `[{"source_system_id":"s","account_id":"A","account\u005fid":"B"}]`,
		"names differing in case":        `[{"Source_System_ID":"s","ACCOUNT_ID":"A1","Email":"a@b.co"}]`,
		"known name with escapes":        `[{"\u0073ource_system_id":"s","\u0065mail":"a@b.co"}]`,
		"known name with a slash escape": `[{"source_system_id":"s","account_id\/":"A"}]`,
		"name with a lone surrogate":     `[{"source_system_id":"s","account_id":"A","\ud800":1}]`,
		"empty name":                     `[{"":"x","source_system_id":"s","account_id":"A"}]`,
		// nulls
		"all fields null": `[{"source_system_id":null,"account_id":null,"email":null,"first_name":null,"last_name":null}]`,
		"null element":    `[null]`,
		"null elements":   `[` + ok + `,null,null]`,
		"null body":       `null`,
		"null and more":   `null [` + ok + `]`,
		"null and spaces": " null \r\n",
		// wrong types, each kind in each field
		"wrong types": `[{"source_system_id":1,"account_id":true,"email":{},"first_name":[],"last_name":false},` +
			`{"source_system_id":-0.5e3,"account_id":[null],"email":{"a":"b"},"first_name":0,"last_name":["x"]}]`,
		"non-object elements": `[1,"a",true,false,[],[` + ok + `],{}]`,
		"mixed good and bad":  `[` + ok + `,{"account_id":"A"},{"source_system_id":"s"},7,{"source_system_id":" ","email":"x"}]`,
		// unknown fields, however nested, never count
		"unknown nested objects":          `[{"source_system_id":"s","account_id":"A","x":{"y":{"z":[1,{"w":null}]}},"meta":[[],[{}]]}]`,
		"known names inside unknown":      `[{"x":{"source_system_id":"s","account_id":"A"},"email":"a@b.co"}]`,
		"unknown values of every kind":    `[{"a":1,"b":"s","c":true,"d":false,"e":null,"f":[],"g":{},"source_system_id":"s","account_id":"A"}]`,
		"deep unknown at the limit":       `[{"source_system_id":"s","account_id":"A","x":` + nested("[", "1", "]", 9998) + `}]`,
		"deep unknown over the limit":     `[{"source_system_id":"s","account_id":"A","x":` + nested("[", "1", "]", 9999) + `}]`,
		"deep objects at the limit":       `[{"source_system_id":"s","account_id":"A","x":` + nested(`{"a":`, "1", "}", 9998) + `}]`,
		"deep objects over the limit":     `[{"source_system_id":"s","account_id":"A","x":` + nested(`{"a":`, "1", "}", 9999) + `}]`,
		"deep arrays at the limit":        nested("[", "", "]", 10000),
		"deep arrays over the limit":      nested("[", "", "]", 10001),
		"deep element over the limit":     "[" + nested("[", "", "]", 10000) + "]",
		"deep top-level object":           nested(`{"a":`, "1", "}", 10001),
		"deep top-level object, in limit": nested(`{"a":`, "1", "}", 10000),
		// numbers
		"huge numbers in known fields": `[{"source_system_id":1e999,"account_id":123456789012345678901234567890}]`,
		"huge numbers unknown":         `[{"source_system_id":"s","account_id":"A","n":1e999,"m":-123456789012345678901234567890.5E-400}]`,
		"bad numbers":                  `[{"source_system_id":"s","account_id":"A","n":01}]`,
		"bad exponent":                 `[{"source_system_id":"s","account_id":"A","n":1e}]`,
		"plus sign":                    `[{"source_system_id":"s","account_id":"A","n":+1}]`,
		// strings
		"escapes in values":            `[{"source_system_id":"s\u00e9\n\t\"\\\/\b\f\r","account_id":"\u0041","first_name":"\ud83d\ude00"}]`,
		"escaped quotes":               `[{"source_system_id":"s\"q\"","account_id":"\"A","first_name":"a \" b","x\"y":"\""}]`,
		"escaped backslash at the end": `[{"source_system_id":"s\\","account_id":"A\\\\","last_name":"\\\""}]`,
		"escaped whitespace trimmed":   `[{"source_system_id":"\u0020s\u00a0","account_id":"\tA\n"}]`,
		"lone surrogates in values":    `[{"source_system_id":"\ud800","account_id":"\udc00x","first_name":"\ud800\ud800\udc00","last_name":"\ud800\u0041"}]`,
		"reversed surrogate pair":      `[{"source_system_id":"\udc00\ud800","account_id":"A"}]`,
		"escaped NUL":                  `[{"source_system_id":"s\u0000","account_id":"A"}]`,
		"raw control character":        "[{\"source_system_id\":\"s\x01\",\"account_id\":\"A\"}]",
		"raw DEL":                      "[{\"source_system_id\":\"s\x7f\",\"account_id\":\"A\"}]",
		"bad escape":                   `[{"source_system_id":"s\x","account_id":"A"}]`,
		"short unicode escape":         `[{"source_system_id":"s\u12","account_id":"A"}]`,
		"unicode values":               `[{"source_system_id":"王","account_id":"A","first_name":"Zoë","last_name":"😀"}]`,
		"U+FFFD literally":             "[{\"source_system_id\":\"\uFFFD\",\"account_id\":\"A\"}]",
		"BOM inside a string":          "[{\"source_system_id\":\"\uFEFFs\",\"account_id\":\"A\"}]",
		"line separator in a string":   "[{\"source_system_id\":\"s\u2028\",\"account_id\":\"A\"}]",
		"email that takes a shortcut":  `[{"source_system_id":"s","email":"a.b+c@d.e"},{"source_system_id":"s","email":"a..b@d.e"},{"source_system_id":"s","email":"é@d.e"}]`,
		// invalid UTF-8
		"invalid UTF-8 in a value":     "[{\"source_system_id\":\"\xff\",\"account_id\":\"A\"}]",
		"invalid UTF-8 in a name":      "[{\"\xc3\":\"s\"}]",
		"invalid UTF-8 outside":        "[\xff]",
		"truncated multibyte at end":   "[{\"source_system_id\":\"s\",\"account_id\":\"A\"}]\xe2\x82",
		"UTF-8 surrogate bytes":        "[{\"source_system_id\":\"\xed\xa0\x80\",\"account_id\":\"A\"}]",
		"syntax error and bad UTF-8":   "[{,\"\xff\"}]",
		"overlong encoding":            "[{\"source_system_id\":\"\xc0\xaf\",\"account_id\":\"A\"}]",
		"invalid UTF-8 after the body": "[" + ok + "] \xff",
		// trailing data
		"second array":            "[" + ok + "] [" + ok + "]",
		"trailing object":         "[" + ok + "]{}",
		"trailing garbage":        "[" + ok + "] x",
		"trailing null":           "[" + ok + "]\nnull",
		"trailing bracket":        "[" + ok + "]]",
		"trailing comma":          "[" + ok + "],",
		"trailing whitespace":     "[" + ok + "] \t\r\n ",
		"trailing NBSP":           "[" + ok + "]\u00a0",
		"trailing BOM":            "[" + ok + "]\uFEFF",
		"trailing NUL":            "[" + ok + "]\x00",
		"trailing after too many": targetsArray(501, ok) + " x",
		"trailing after empty":    "[] 1",
		// empty
		"empty":               "",
		"spaces":              " \r\n\t ",
		"NBSP only":           "\u00a0",
		"NBSP and an array":   "\u00a0[" + ok + "]",
		"vertical tab":        "\v[" + ok + "]",
		"form feed":           "\f[" + ok + "]",
		"empty array":         "[]",
		"empty array spaced":  " [ \n ] ",
		"empty object":        "[{}]",
		"unterminated":        "[",
		"unterminated object": `[{"source_system_id":"s"`,
		"unterminated string": `[{"source_system_id":"s`,
		"missing colon":       `[{"source_system_id" "s"}]`,
		"missing comma":       `[{"source_system_id":"s" "account_id":"A"}]`,
		"trailing comma in":   `[{"source_system_id":"s",}]`,
		"trailing comma out":  `[` + ok + `,]`,
		"leading comma":       `[,` + ok + `]`,
		"number as a name":    `[{1:"s"}]`,
		"single quotes":       `[{'source_system_id':'s'}]`,
		"mismatched close":    `[{"source_system_id":"s"]]`,
		"close array in obj":  `[{]`,
		// not an array
		"object":           `{"source_system_id":"s","account_id":"A"}`,
		"object and more":  `{} x`,
		"bad object":       `{"a":}`,
		"string":           `"tl_abc"`,
		"string and more":  `"s"x`,
		"number":           `42`,
		"negative number":  `-1.5e3`,
		"leading zero":     `01`,
		"number and more":  `42x`,
		"minus only":       `-`,
		"true":             `true`,
		"false":            `false`,
		"true and more":    `truex`,
		"truncated true":   `tru`,
		"bare word":        `targets`,
		"BOM":              "\uFEFF[" + ok + "]",
		"BOM and space":    "\uFEFF [" + ok + "]",
		"closing bracket":  `]`,
		"closing brace":    `}`,
		"colon":            `:`,
		"NUL":              "\x00",
		"array then close": `[]]`,
		// counts and sizes
		"one":                       targetsArray(1, ok),
		"500":                       targetsArray(MaxTargets, ok),
		"501":                       targetsArray(MaxTargets+1, ok),
		"1000 invalid":              targetsArray(1000, `{}`),
		"501 with a bad last":       strings.TrimSuffix(targetsArray(MaxTargets, ok), "]") + `,{}]`,
		"501 with a syntax error":   strings.TrimSuffix(targetsArray(MaxTargets+1, ok), "]") + `,{]`,
		"501 non-objects":           targetsArray(MaxTargets+1, "1"),
		"500 invalid":               targetsArray(MaxTargets, `{"source_system_id":"","email":"x"}`),
		"1 MiB of body":             `[{"source_system_id":"s","account_id":"A","first_name":"` + strings.Repeat("x", MaxBodyBytes-70) + `"}]`,
		"over 1 MiB of body":        `[{"source_system_id":"s","account_id":"A","first_name":"` + strings.Repeat("x", MaxBodyBytes) + `"}]`,
		"1 MiB of unknown":          `[{"source_system_id":"s","account_id":"A","x":"` + strings.Repeat("é", MaxBodyBytes/2) + `"}]`,
		"1 MiB of escapes":          `[{"source_system_id":"s","account_id":"A","first_name":"` + strings.Repeat(`\u00e9`, MaxBodyBytes/6) + `"}]`,
		"long known values":         `[{"source_system_id":"` + strings.Repeat("s", 129) + `","account_id":"` + strings.Repeat("é", 65) + `","email":"` + strings.Repeat("a", 250) + `@b.co"}]`,
		"whitespace everywhere":     " [ { \"source_system_id\" : \"s\" , \"account_id\" : \"A\" } , { } ] ",
		"every field, every target": targetsArray(3, `{"source_system_id":" s ","account_id":" A ","email":" a@b.co ","first_name":" F ","last_name":" L "}`),
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) { checkSameAsLegacy(t, []byte(body)) })
	}
}

// Every truncation of a body, and every byte of it replaced by each of the
// characters that change JSON's structure, decode alike: the syntax errors'
// words and offsets included.
func TestDecodeTargetsMatchesLegacyOnDamagedBodies(t *testing.T) {
	body := `[{"source_system_id":"s\u00e9 1","account_id":"A1","x":{"y":[1,-2.5e3,true,null]}},` +
		"\n" + `{"email":"a@b.co","first_name":"Zoë","Email":7}, 3, null]`
	for i := range len(body) + 1 {
		checkSameAsLegacy(t, []byte(body[:i]))
	}
	for i := range len(body) {
		for _, c := range []byte("[]{}:,\"\\ x0-.eE\x00\xff\n") {
			damaged := []byte(body)
			damaged[i] = c
			checkSameAsLegacy(t, damaged)
			inserted := append([]byte(body[:i]), c)
			checkSameAsLegacy(t, append(inserted, body[i:]...))
		}
	}
}

// Random bodies built from the pieces that matter (known, unknown, cased
// and escaped names; values of every kind), some of them damaged, decode
// alike.
func TestDecodeTargetsMatchesLegacyOnRandomBodies(t *testing.T) {
	names := []string{
		`"source_system_id"`, `"account_id"`, `"email"`, `"first_name"`, `"last_name"`,
		`"Email"`, `"ACCOUNT_ID"`, `"\u0065mail"`, `"account\u005Fid"`, `"x"`, `""`, `"source_system_id "`,
	}
	values := []string{
		`"s"`, `" A1 "`, `"a@b.co"`, `"Bob <b@x.com>"`, `""`, `"  "`, `"\u00e9\n"`, `"\ud800"`, `"x\"y"`,
		`null`, `true`, `false`, `0`, `-1.5e999`, `12345678901234567890`, `[]`, `{}`, `["s"]`, `{"email":"a@b.co"}`,
		`"` + strings.Repeat("é", 129) + `"`, `"` + strings.Repeat("a", 70) + `"`,
	}
	elements := []string{`null`, `1`, `"s"`, `[]`, `true`}
	spaces := []string{"", "", "", " ", "\n", "\t "}
	rng := rand.New(rand.NewPCG(14, 2))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	for range 3000 {
		var b bytes.Buffer
		b.WriteString(pick(spaces) + "[")
		for i := range rng.IntN(8) {
			if i > 0 {
				b.WriteString("," + pick(spaces))
			}
			if rng.IntN(10) == 0 {
				b.WriteString(pick(elements))
				continue
			}
			b.WriteString("{")
			for j := range rng.IntN(7) {
				if j > 0 {
					b.WriteString(",")
				}
				fmt.Fprintf(&b, "%s%s:%s%s", pick(spaces), pick(names), pick(spaces), pick(values))
			}
			b.WriteString("}")
		}
		b.WriteString("]" + pick(spaces))
		body := b.Bytes()
		if rng.IntN(3) == 0 && len(body) > 0 {
			i := rng.IntN(len(body))
			switch rng.IntN(3) {
			case 0:
				body = body[:i]
			case 1:
				body[i] = "[]{}:,\"\\ x0"[rng.IntN(11)]
			default:
				body = append(body[:i:i], append([]byte{"[]{}:,\"\\ x0"[rng.IntN(11)]}, body[i:]...)...)
			}
		}
		checkSameAsLegacy(t, body)
	}
}
