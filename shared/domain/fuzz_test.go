package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzBodies are seeds beyond testdata/fuzz/FuzzDecodeTargets: inputs too
// big or too regular to keep as files.
func fuzzBodies() [][]byte {
	target := `{"source_system_id":"s","account_id":"A1"}`
	array := func(n int) []byte {
		return []byte("[" + strings.TrimSuffix(strings.Repeat(target+",", n), ",") + "]")
	}
	// Just over MaxBodyBytes (the handler refuses it before decoding; the
	// decoder must still cope).
	overMiB := append([]byte(`[{"source_system_id":"s","account_id":"A1","first_name":"`), bytes.Repeat([]byte("x"), MaxBodyBytes-50)...)
	overMiB = append(overMiB, `"}]`...)
	return [][]byte{
		array(1), array(500), array(501),
		[]byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000)),
		[]byte("[" + strings.Repeat(`{"a":`, 5000) + "1" + strings.Repeat("}", 5000) + "]"),
		overMiB,
	}
}

// FuzzDecodeTargets is differential: DecodeTargets must answer every body as
// the decoder it replaced does (legacyDecodeTargets), and its answers must
// hold on their own against encoding/json's reading of the body.
func FuzzDecodeTargets(f *testing.F) {
	for _, b := range fuzzBodies() {
		f.Add(b)
	}
	f.Add([]byte(`[{"source_system_id":"s","account_id":"A1","account_id":"A2"}]`))
	f.Add([]byte(`[{"source_system_id":"s","email":"a@b.co"}] [1]`))
	f.Add([]byte("[{\"source_system_id\":\"s\xff\",\"account_id\":\"A1\"}]"))
	f.Add([]byte(`[{"\u0065mail":"a@b.co","source_system_id":"\ud800 s","email":7,"email":"x@y.z","Email":1}]`))
	f.Add([]byte(`[{"x":{"source_system_id":"s"},"account_id":null,"account_id":"A"},1,null,[]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		checkSameAsLegacy(t, body)
		targets, err := DecodeTargets(body)
		if err != nil {
			var pe *PayloadError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T %v is not a *PayloadError", err, err)
			}
			if pe.Detail == "" || !utf8.ValidString(pe.Detail) {
				t.Fatalf("PayloadError without a readable detail: %q", pe.Detail)
			}
			if targets != nil {
				t.Fatal("targets returned with an error")
			}
			for _, fe := range pe.Fields {
				if fe.Index < 0 || fe.Index >= MaxTargets || fe.Message == "" {
					t.Fatalf("field error %+v", fe)
				}
			}
			return
		}
		if len(targets) < 1 || len(targets) > MaxTargets {
			t.Fatalf("%d targets accepted", len(targets))
		}
		if len(body) > 0 && !json.Valid(body) {
			t.Fatalf("accepted a body that is not valid JSON: %q", body)
		}
		// A reference decode of the same body with encoding/json.
		var ref []map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber() // numbers beyond float64 (unknown fields may hold them) are not an error
		if err := dec.Decode(&ref); err != nil || len(ref) != len(targets) {
			t.Fatalf("reference decode: %d items, %v; DecodeTargets: %d targets", len(ref), err, len(targets))
		}
		for i, tg := range targets {
			if tg.Index != i {
				t.Fatalf("target %d has index %d", i, tg.Index)
			}
			if tg.SourceSystemID == "" || utf8.RuneCountInString(tg.SourceSystemID) > MaxSourceSystemIDChars {
				t.Fatalf("target %d: source_system_id %q", i, tg.SourceSystemID)
			}
			if tg.AccountID == "" && tg.Email == "" {
				t.Fatalf("target %d has neither account_id nor email", i)
			}
			if utf8.RuneCountInString(tg.AccountID) > MaxAccountIDChars || utf8.RuneCountInString(tg.Email) > MaxEmailChars ||
				utf8.RuneCountInString(tg.FirstName) > MaxNameChars || utf8.RuneCountInString(tg.LastName) > MaxNameChars {
				t.Fatalf("target %d exceeds a length limit: %+v", i, tg)
			}
			for name, got := range map[string]string{FieldSourceSystemID: tg.SourceSystemID, FieldAccountID: tg.AccountID, FieldEmail: tg.Email, FieldFirstName: tg.FirstName, FieldLastName: tg.LastName} {
				if !utf8.ValidString(got) || got != strings.TrimSpace(got) {
					t.Fatalf("target %d %s = %q: not trimmed valid UTF-8", i, name, got)
				}
				want := ""
				if v, ok := ref[i][name].(string); ok {
					want = strings.TrimSpace(v)
				} else if ref[i][name] != nil {
					t.Fatalf("target %d %s is a %T but was accepted", i, name, ref[i][name])
				}
				if got != want {
					t.Fatalf("target %d %s = %q, encoding/json reads %q", i, name, got, want)
				}
			}
			if tg.Email != "" && !plainAddress(tg.Email) {
				t.Fatalf("target %d: email %q accepted", i, tg.Email)
			}
		}
	})
}

func FuzzValidTokenFormat(f *testing.F) {
	valid := TokenPrefix + strings.Repeat("a", tokenRandomLen)
	valid += tokenChecksum(valid)
	for _, s := range []string{valid, "", "tl_", TokenPrefix + strings.Repeat("a", tokenRandomLen+tokenChecksumLen), strings.ToUpper(valid), valid + " ", " " + valid, valid[:TokenLength-1], "tl_\xff" + valid[4:]} {
		f.Add(s, uint(0), byte('x'))
	}
	f.Fuzz(func(t *testing.T, s string, pos uint, c byte) {
		if ValidTokenFormat(s) {
			if len(s) != TokenLength || !strings.HasPrefix(s, TokenPrefix) {
				t.Fatalf("accepted %q without the token's prefix and length", s)
			}
			for _, ch := range []byte(s[len(TokenPrefix):]) {
				if !strings.ContainsRune(base62Alphabet, rune(ch)) {
					t.Fatalf("accepted %q with a non-base62 character", s)
				}
			}
			if s[len(s)-tokenChecksumLen:] != tokenChecksum(s[:len(s)-tokenChecksumLen]) {
				t.Fatalf("accepted %q with a wrong checksum", s)
			}
		}
		if ObscureToken(s) == "" || len(HashToken(s)) != 64 {
			t.Fatal("ObscureToken or HashToken misbehaves")
		}
		// A token built from the input is valid, and any one-character typo
		// in it is refused.
		body := []byte(TokenPrefix)
		for i := range tokenRandomLen {
			var b byte
			if len(s) > 0 {
				b = s[i%len(s)] + byte(i)
			}
			body = append(body, base62Alphabet[int(b)%62])
		}
		tok := string(body) + tokenChecksum(string(body))
		if !ValidTokenFormat(tok) {
			t.Fatalf("a well-formed token %q is refused", tok)
		}
		p := int(pos % uint(TokenLength))
		if tok[p] != c {
			typo := tok[:p] + string([]byte{c}) + tok[p+1:]
			if ValidTokenFormat(typo) {
				t.Fatalf("typo %q of %q (position %d) is accepted", typo, tok, p)
			}
		}
	})
}
