package compattest

import (
	"testing"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
)

// allScenarios is issue 6's scenario list, each played on both engines.
func allScenarios(t *testing.T) []scenario {
	t.Helper()
	var all []scenario
	all = append(all, roleScenarios()...)
	all = append(all, issueScenarios()...)
	all = append(all, signScenarios(t)...)
	all = append(all, fetchScenarios()...)
	all = append(all, revokeScenarios(t)...)
	all = append(all, errorScenarios()...)
	all = append(all, issuerScenarios(t)...)
	all = append(all, nameScenarios(t)...)
	all = append(all, clientScenarios(t)...)
	all = append(all, tidyScenarios()...)
	all = append(all, configCAScenarios()...)
	return all
}

// enginePair makes a fresh pair of engines for one scenario, so scenarios do not see each
// other's certificates, roles or revocations.
type enginePair func(t *testing.T) (native, other *engine)

// suiteFigures are the figures the suite logs (scenarios, steps, compared values, allowed
// differences) so they can be quoted.
type suiteFigures struct {
	compare.Figures
	scenarios int
	// total is how many scenarios the suite has; scenarios < total under a -run filter.
	total int
}

// runSuite plays every scenario on a fresh pair, compares every answer under the same CA
// (compare.Describe) and logs the figures.
func runSuite(t *testing.T, label string, pair enginePair, table *compare.Table) suiteFigures {
	t.Helper()
	all := allScenarios(t)
	fig := suiteFigures{total: len(all)}
	for _, sc := range all {
		t.Run(sc.name, func(t *testing.T) {
			native, other := pair(t)
			cmp := &compare.Comparison{Scenario: sc.name, Table: table, Describe: compare.Describe}
			runScenario(t, sc, native, other, cmp)
			fig.scenarios++
			fig.Add(cmp.Figures)
		})
	}
	t.Logf("%s: %d scenarios, %d requests per engine, %d compared values, %d differences allowed by differences.json, %d unexplained",
		label, fig.scenarios, fig.Steps, fig.Compared, fig.Allowed, fig.Unexplained)
	return fig
}

// TestHarnessSeesNoDifferenceBetweenTwoNativeEngines proves the harness itself: two native PKI
// engines signing under the same imported CA must compare equal on every scenario with NO
// allowed differences, so everything the plugin comparison reports comes from the plugin, not
// from unmasked randomness.
func TestHarnessSeesNoDifferenceBetweenTwoNativeEngines(t *testing.T) {
	ca := newTestCA(t)
	fig := runSuite(t, "native vs native", func(t *testing.T) (*engine, *engine) {
		return newNativeEngine(t, "native-a", ca), newNativeEngine(t, "native-b", ca)
	}, nil)
	if fig.Compared == 0 {
		t.Fatal("no value was compared")
	}
}
