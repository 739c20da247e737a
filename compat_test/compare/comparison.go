package compare

import (
	"testing"
)

// Comparison compares native PKI's and the plugin's answers to the same requests, one step at a
// time, within one scenario: both answers are normalised by Describe, diffed, and every
// difference is either allowed by a row of the table (counted) or fails the test. The in-process
// suite checks each step as soon as both engines answered (Check); a script over real HTTP runs
// against one mount at a time and is compared afterwards (CheckTranscripts).
type Comparison struct {
	// Scenario names the comparison in messages and in the table's scenario patterns.
	Scenario string
	// Table holds the deliberate differences; nil allows none.
	Table *Table
	// Describe normalises an answer: Describe when both engines sign under the same CA,
	// DescribeShape when they do not.
	Describe func(*Observation) *Node
	Figures
}

// Figures are what comparisons contributed to a suite's figures, so they can be quoted.
type Figures struct {
	Steps, Compared, Allowed, Unexplained int
	// UsedRows are the indexes of the table rows that allowed a difference.
	UsedRows map[int]bool
}

// Add adds o's figures to f.
func (f *Figures) Add(o Figures) {
	f.Steps += o.Steps
	f.Compared += o.Compared
	f.Allowed += o.Allowed
	f.Unexplained += o.Unexplained
	for row := range o.UsedRows {
		if f.UsedRows == nil {
			f.UsedRows = map[int]bool{}
		}
		f.UsedRows[row] = true
	}
}

// Check compares native's and the plugin's answers to req.
func (c *Comparison) Check(t testing.TB, req Request, native, plugin *Observation) {
	t.Helper()
	diffs, compared := Diff(c.Describe(native), c.Describe(plugin))
	c.Steps++
	c.Compared += compared
	for _, d := range diffs {
		if row := c.Table.Match(c.Scenario, req.Step, d); row >= 0 {
			c.Allowed++
			if c.UsedRows == nil {
				c.UsedRows = map[int]bool{}
			}
			c.UsedRows[row] = true
			continue
		}
		c.Unexplained++
		t.Errorf("difference not in %s: %s / %s: %s\n  request: %s", c.Table.name(), c.Scenario, req.Step, d, req)
	}
}

// CheckTranscripts compares two recordings of the same script, request by request. The script
// must have made the same requests to both engines, or there is nothing to pair.
func (c *Comparison) CheckTranscripts(t testing.TB, native, plugin []Exchange) {
	t.Helper()
	if len(native) != len(plugin) {
		t.Fatalf("%s: the script made %d requests to native and %d to the plugin", c.Scenario, len(native), len(plugin))
		return
	}
	for i := range native {
		if native[i].Request.Step != plugin[i].Request.Step {
			t.Fatalf("%s: request %d is %q on native and %q on the plugin", c.Scenario, i, native[i].Request.Step, plugin[i].Request.Step)
			return
		}
		c.Check(t, native[i].Request, native[i].Answer, plugin[i].Answer)
	}
}
