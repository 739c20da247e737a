package compattest

import (
	"strings"
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
)

// differencesFile is the one table of deliberate differences between native PKI and this plugin.
// Any difference it does not list fails TestNativeVsPlugin; the README quotes it.
const differencesFile = "differences.json"

// TestNativeVsPlugin plays every scenario on native PKI and on this plugin (pkicompat with the
// Keyfactor driver, against the Command simulator), both signing under the simulator's issuing
// CA, and fails on every difference differences.json does not explain.
func TestNativeVsPlugin(t *testing.T) {
	table, err := compare.LoadTable(differencesFile)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int]bool{}
	completeRuns := 0
	// Both of the simulator's issuing CAs: RSA (the default) and EC P-256 under the same root.
	cas := []string{commandtest.DefaultCALogicalName, commandtest.ECCALogicalName}
	for _, caName := range cas {
		t.Run(caName, func(t *testing.T) {
			// A simulator per scenario, so Command's inventory and CRL hold only what the
			// scenario did, as native's storage does.
			fig := runSuite(t, "native vs plugin, CA "+caName, func(t *testing.T) (*engine, *engine) {
				sim := commandtest.NewServer()
				t.Cleanup(sim.Close)
				return newNativeEngine(t, "native", simulatorCA(t, sim, caName)), newPluginEngine(t, sim, caName)
			}, table)
			if fig.Compared == 0 {
				t.Fatal("no value was compared")
			}
			if fig.scenarios == fig.total {
				completeRuns++
			}
			for row := range fig.UsedRows {
				used[row] = true
			}
		})
	}
	// A row that explains nothing would make the README claim a difference that is gone. Only
	// checked when every scenario ran (not under -run filters); level-2 rows ("http/...") are
	// the real-Vault test's.
	if completeRuns == len(cas) {
		for i, row := range table.Rows {
			if !used[i] && !strings.HasPrefix(row.Scenario, "http/") {
				t.Errorf("%s row %d (field %q, scenario %q, step %q) allowed no difference in this run: remove it, or restore the scenario it was written for",
					differencesFile, i, row.Field, row.Scenario, row.Step)
			}
		}
	}
}
