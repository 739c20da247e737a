package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
)

// row is one line of the table. A nil value is "not measured" (e.g. no direct-to-Command RSA
// issuance: Command alone never generates keys for Vault).
type row struct {
	Measure          string   `json:"measure"`
	Unit             string   `json:"unit"`
	Native           *float64 `json:"native,omitempty"`
	Plugin           *float64 `json:"plugin,omitempty"`
	Direct           *float64 `json:"direct,omitempty"`
	PluginOverNative *float64 `json:"plugin_over_native,omitempty"`
	PluginOverDirect *float64 `json:"plugin_over_direct,omitempty"`
}

// report is the whole result, written as JSON so runs can be compared.
type report struct {
	Date         string         `json:"date"`
	Machine      string         `json:"machine"`
	CPUs         int            `json:"cpus"`
	GoVersion    string         `json:"go_version"`
	PluginSHA256 string         `json:"plugin_sha256"`
	Settings     map[string]any `json:"settings"`
	Rows         []row          `json:"rows"`
}

// value makes a table cell from a measurement.
func value(v float64) *float64 { return &v }

// newRow fills the ratios from the values present.
func newRow(measure, unit string, native, plugin, direct *float64) row {
	r := row{Measure: measure, Unit: unit, Native: native, Plugin: plugin, Direct: direct}
	r.PluginOverNative = ratio(plugin, native)
	r.PluginOverDirect = ratio(plugin, direct)
	return r
}

func ratio(a, b *float64) *float64 {
	if a == nil || b == nil || *b == 0 {
		return nil
	}
	return value(*a / *b)
}

func (r *report) add(measure, unit string, native, plugin, direct *float64) {
	r.Rows = append(r.Rows, newRow(measure, unit, native, plugin, direct))
}

// addWithoutRatios adds a row whose columns are not comparable (e.g. one process's CPU, which
// is near zero for the targets that do not use that process).
func (r *report) addWithoutRatios(measure, unit string, native, plugin, direct *float64) {
	r.Rows = append(r.Rows, row{Measure: measure, Unit: unit, Native: native, Plugin: plugin, Direct: direct})
}

// writeMarkdown prints the table as Markdown, ready for the README.
func (r *report) writeMarkdown(w io.Writer) {
	fmt.Fprintf(w, "%s, %s (%d CPUs), %s, Command over %v\n\n", r.Date, r.Machine, r.CPUs, r.GoVersion, r.Settings["command_protocol"])
	fmt.Fprintln(w, "| measure | unit | native | plugin | direct to Command | plugin/native | plugin/direct |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, x := range r.Rows {
		cells := []string{x.Measure, x.Unit, cell(x.Native), cell(x.Plugin), cell(x.Direct), cell(x.PluginOverNative), cell(x.PluginOverDirect)}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}

// cell formats a value with three significant digits (integers as they are).
func cell(v *float64) string {
	if v == nil {
		return "–"
	}
	x := *v
	switch {
	case x == math.Trunc(x) && math.Abs(x) < 1e9:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func (r *report) writeJSON(path string) error {
	raw, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(raw, '\n'), 0o644)
}
