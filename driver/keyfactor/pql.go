package keyfactor

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// pqlTerm is one comparison of Command's query language (PQL), e.g. CA -eq "X".
type pqlTerm struct {
	field  string
	op     string // "-eq" when empty
	text   string // compared as a quoted string when number is nil
	number *int   // compared as a bare integer (CertState must be numeric)
}

func pqlText(field, value string) pqlTerm { return pqlTerm{field: field, text: value} }
func pqlInt(field string, value int) pqlTerm {
	return pqlTerm{field: field, number: &value}
}

// pqlDate compares a date field with op ("-ge", "-le", ...). Dates are sent as quoted ISO 8601
// UTC to the second, the form Command's own date-time fields use.
func pqlDate(field, op string, at time.Time) pqlTerm {
	return pqlTerm{field: field, op: op, text: at.UTC().Format("2006-01-02T15:04:05Z")}
}

// pqlAllOf renders terms joined by AND. PQL documents no escape for a double quote inside a
// string, so a value holding one (or a line break) is refused rather than guessed at; callers
// report it as the caller's mistake.
func pqlAllOf(terms ...pqlTerm) (string, error) {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		op := t.op
		if op == "" {
			op = "-eq"
		}
		if t.number != nil {
			parts = append(parts, t.field+" "+op+" "+strconv.Itoa(*t.number))
			continue
		}
		if strings.ContainsAny(t.text, "\"\r\n") {
			return "", fmt.Errorf("%s '%s' cannot be searched for in Command: it contains a double quote or line break", t.field, t.text)
		}
		parts = append(parts, t.field+" "+op+` "`+t.text+`"`)
	}
	return strings.Join(parts, " AND "), nil
}
