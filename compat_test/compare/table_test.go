package compare

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"a", "a", true},
		{"a", "ab", false},
		{"*", "", true},
		{"data.*.lifetime_hours", "data.certificate.block[1].lifetime_hours", true},
		{"data.*.lifetime_hours", "data.certificate.block[1].subject", false},
		{"issue*", "issue: SANs", true},
		{"*[0]*", "data.ca_chain[0].subject", true},
		{"a*b*c", "abc", true},
		{"a*b*c", "acb", false},
		{"ab*ba", "aba", false},
	}
	for _, tc := range tests {
		if got := Glob(tc.pattern, tc.s); got != tc.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestTableMatchesScenarioStepFieldAndValues(t *testing.T) {
	table := &Table{Rows: []Allowed{
		{Scenario: "issue*", Field: "data.*.lifetime_hours", Plugin: "720", Reason: "template validity"},
		{Field: "warnings*", Step: "ttl*", Reason: "x"},
	}}
	tests := []struct {
		scenario, step string
		d              Difference
		want           int
	}{
		{"issue: ttl", "ttl 1h", Difference{Field: "data.certificate.block[0].lifetime_hours", Native: "1", Plugin: "720"}, 0},
		{"issue: ttl", "ttl 1h", Difference{Field: "data.certificate.block[0].lifetime_hours", Native: "1", Plugin: "3"}, -1},
		{"sign", "x", Difference{Field: "data.certificate.block[0].lifetime_hours", Plugin: "720"}, -1},
		{"sign", "ttl 1h", Difference{Field: "warnings.(length)"}, 1},
		{"sign", "other", Difference{Field: "warnings.(length)"}, -1},
	}
	for _, tc := range tests {
		if got := table.Match(tc.scenario, tc.step, tc.d); got != tc.want {
			t.Errorf("Match(%q, %q, %v) = %d, want %d", tc.scenario, tc.step, tc.d, got, tc.want)
		}
	}
}

func TestLoadTableRejectsRowsWithoutReason(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"differences":[{"field":"status","reason":" "}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTable(bad); err == nil {
		t.Error("a row without a reason was accepted")
	}
	good := filepath.Join(dir, "good.json")
	if err := os.WriteFile(good, []byte(`{"differences":[{"field":"status","reason":"because"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	table, err := LoadTable(good)
	if err != nil || len(table.Rows) != 1 {
		t.Errorf("LoadTable = %v, %v", table, err)
	}
}

func TestMarkdownRendersEveryRowSafely(t *testing.T) {
	table := &Table{Rows: []Allowed{
		{Field: "status", Native: "500", Plugin: "400", Reason: "a | b\nc"},
		{Scenario: "s", Step: "x", Field: "data.ca", Native: "<absent>", Reason: "r"},
	}}
	got := table.Markdown()
	for _, want := range []string{
		"| 1 | * / * | `status` | `500` | `400` | a \\| b c |",
		"| 2 | s / x | `data.ca` | `<absent>` | any | r |",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("markdown lacks %q:\n%s", want, got)
		}
	}
}
