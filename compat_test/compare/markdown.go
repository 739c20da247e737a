package compare

import (
	"fmt"
	"strings"
)

// Markdown renders the table for the README: one line per deliberate difference, where it
// applies, what each engine answers and why.
func (t *Table) Markdown() string {
	var sb strings.Builder
	sb.WriteString("| # | Where (scenario / step) | Field | Native | Plugin | Why |\n")
	sb.WriteString("|---|---|---|---|---|---|\n")
	for i, r := range t.Rows {
		fmt.Fprintf(&sb, "| %d | %s / %s | `%s` | %s | %s | %s |\n", i+1,
			cell(orAny(r.Scenario)), cell(orAny(r.Step)), strings.ReplaceAll(r.Field, "|", `\|`),
			code(r.Native), code(r.Plugin), cell(r.Reason))
	}
	return sb.String()
}

// cell makes text safe inside a Markdown table cell.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// code shows a value pattern as code, or "any" when the row does not constrain it.
func code(s string) string {
	switch s {
	case "":
		return "any"
	default:
		return "`" + cell(s) + "`"
	}
}
