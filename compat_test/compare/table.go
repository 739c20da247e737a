package compare

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Allowed is one deliberate difference between native PKI and the plugin. Scenario, Step and
// Field are patterns in which "*" stands for any run of characters; Native and Plugin, when set,
// must also match the two values (so a row cannot hide a different difference on the same field).
type Allowed struct {
	Scenario string `json:"scenario"`
	Step     string `json:"step"`
	Field    string `json:"field"`
	Native   string `json:"native,omitempty"`
	Plugin   string `json:"plugin,omitempty"`
	Reason   string `json:"reason"`
}

// Table is the list of deliberate differences.
type Table struct {
	Rows []Allowed `json:"differences"`
	// path is the file the table was read from, for messages.
	path string
}

// LoadTable reads the table from a JSON file and checks every row has a pattern and a reason.
func LoadTable(path string) (*Table, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Table
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, r := range t.Rows {
		if r.Field == "" || strings.TrimSpace(r.Reason) == "" {
			return nil, fmt.Errorf("%s: row %d needs a field pattern and a reason", path, i)
		}
	}
	t.path = path
	return &t, nil
}

// name is the table's file for messages.
func (t *Table) name() string {
	if t == nil {
		return "the table (none given)"
	}
	return t.path
}

// Match returns the index of the first row that allows d in the given scenario and step, or -1.
func (t *Table) Match(scenario, step string, d Difference) int {
	if t == nil {
		return -1
	}
	for i, r := range t.Rows {
		if Glob(orAny(r.Scenario), scenario) && Glob(orAny(r.Step), step) && Glob(r.Field, d.Field) &&
			(r.Native == "" || Glob(r.Native, d.Native)) && (r.Plugin == "" || Glob(r.Plugin, d.Plugin)) {
			return i
		}
	}
	return -1
}

func orAny(p string) string {
	if p == "" {
		return "*"
	}
	return p
}

// Glob reports whether s matches pattern, where "*" matches any run of characters (including
// none) and every other character matches itself.
func Glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
