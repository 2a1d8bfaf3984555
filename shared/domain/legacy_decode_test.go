package domain

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"unicode/utf8"
)

// legacyDecodeTargets is the decoder DecodeTargets replaced, kept as the
// reference of the differential test and fuzz target: encoding/json into one
// map per target, each field read from its raw value. Validation
// (decodeTarget) and the wording of syntax errors (jsonErrorText) are shared:
// what is compared is the reading of the body.
func legacyDecodeTargets(body []byte) ([]Target, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, &PayloadError{Detail: "The request body is empty; send a JSON array of 1 to 500 targets."}
	}
	if !utf8.Valid(body) {
		return nil, &PayloadError{Detail: "The request body is not valid UTF-8."}
	}
	// One pass decodes the array and its objects. An element that is not an
	// object stays nil (reported per target below); encoding/json carries on
	// past it and returns its type error, which is not fatal.
	dec := json.NewDecoder(bytes.NewReader(body))
	var items []map[string]json.RawMessage
	if err := dec.Decode(&items); err != nil {
		var typeErr *json.UnmarshalTypeError
		switch {
		case errors.As(err, &typeErr) && typeErr.Type != nil && typeErr.Type.Kind() == reflect.Map:
		case errors.As(err, &typeErr) && typeErr.Field == "":
			return nil, &PayloadError{Detail: "The request body must be a JSON array of targets, not a JSON " + typeErr.Value + "."}
		default:
			return nil, &PayloadError{Detail: "The request body is not valid JSON: " + jsonErrorText(err)}
		}
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &PayloadError{Detail: "The request body must hold exactly one JSON value; found more after the array."}
	}
	if items == nil {
		return nil, &PayloadError{Detail: "The request body must be a JSON array of targets, not null."}
	}
	if len(items) == 0 {
		return nil, &PayloadError{Detail: "The array is empty; send 1 to 500 targets."}
	}
	if len(items) > MaxTargets {
		return nil, &PayloadError{Detail: fmt.Sprintf("The array holds %d targets; at most %d are accepted per request.", len(items), MaxTargets)}
	}
	targets := make([]Target, len(items))
	var problems []FieldError
	for i, fields := range items {
		t, errs := decodeTarget(i, legacyFields(fields))
		targets[i] = t
		problems = append(problems, errs...)
	}
	if len(problems) > 0 {
		return nil, &PayloadError{
			Detail: fmt.Sprintf("%d problem(s) in the submitted targets; nothing was accepted.", len(problems)),
			Fields: problems,
		}
	}
	return targets, nil
}

// legacyFields reads a target's known fields from its map as the legacy
// decoder did: absent or null is "", a string is read directly when it has
// no escapes and through encoding/json otherwise, anything else is of the
// wrong type.
func legacyFields(m map[string]json.RawMessage) *targetFields {
	if m == nil {
		return nil
	}
	var fields targetFields
	for i, name := range knownFields {
		v, ok := m[name]
		if !ok || string(v) == "null" {
			continue
		}
		s, ok := legacyPlainJSONString(v)
		if !ok {
			if err := json.Unmarshal(v, &s); err != nil {
				fields[i] = fieldValue{wrongType: true}
				continue
			}
		}
		fields[i] = fieldValue{text: s}
	}
	return &fields
}

// legacyPlainJSONString reads a JSON string literal without escapes directly.
func legacyPlainJSONString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v[1:len(v)-1], '\\') >= 0 {
		return "", false
	}
	return string(v[1 : len(v)-1]), true
}
