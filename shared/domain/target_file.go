package domain

import "strings"

// TargetFileColumns are the columns of a CSV file of targets an admin
// uploads, and the keys of its JSON lines form (PRODUCT.md §10): a target's
// fields.
var TargetFileColumns = knownFields[:]

// RowValue is one field of a row of a file of targets: its text, or that
// it was not a string (a JSON lines row's number, say).
type RowValue struct {
	Text      string
	WrongType bool
}

// DecodeRow checks one row of a file of targets with the ingest API's own
// rules (decodeTarget): values by field name, a field left out being
// absent. index is the target's index should the row be valid.
func DecodeRow(index int, values map[string]RowValue) (Target, []FieldError) {
	var fields targetFields
	for i, name := range knownFields {
		v := values[name]
		fields[i] = fieldValue{text: v.Text, wrongType: v.WrongType}
	}
	return decodeTarget(index, &fields)
}

// RowMessage words a row's problems, each naming its field: "email must be
// a plain email address such as name@example.com" (the API's message "one
// of account_id or email is required" names its fields already).
func RowMessage(problems []FieldError) string {
	parts := make([]string, len(problems))
	for i, p := range problems {
		parts[i] = p.Message
		if p.Field != "" && !strings.HasPrefix(p.Message, "one of ") {
			parts[i] = p.Field + " " + p.Message
		}
	}
	return strings.Join(parts, "; ")
}
