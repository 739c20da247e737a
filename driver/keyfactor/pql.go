package keyfactor

import (
	"fmt"
	"strconv"
	"strings"
)

// pqlTerm is one equality comparison of Command's query language (PQL), e.g. CA -eq "X".
type pqlTerm struct {
	field  string
	text   string // compared as a quoted string when number is nil
	number *int   // compared as a bare integer (CertState must be numeric)
}

func pqlText(field, value string) pqlTerm { return pqlTerm{field: field, text: value} }
func pqlInt(field string, value int) pqlTerm {
	return pqlTerm{field: field, number: &value}
}

// pqlAllOf renders terms joined by AND. PQL documents no escape for a double quote inside a
// string, so a value holding one (or a line break) is refused rather than guessed at; callers
// report it as the caller's mistake.
func pqlAllOf(terms ...pqlTerm) (string, error) {
	parts := make([]string, 0, len(terms))
	for _, t := range terms {
		if t.number != nil {
			parts = append(parts, t.field+" -eq "+strconv.Itoa(*t.number))
			continue
		}
		if strings.ContainsAny(t.text, "\"\r\n") {
			return "", fmt.Errorf("%s '%s' cannot be searched for in Command: it contains a double quote or line break", t.field, t.text)
		}
		parts = append(parts, t.field+` -eq "`+t.text+`"`)
	}
	return strings.Join(parts, " AND "), nil
}
