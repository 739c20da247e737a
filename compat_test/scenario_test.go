package compattest

import (
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
)

// scenario is a scripted conversation with an engine. Every step goes to both engines; each
// engine keeps its own variables (serials, certificates, keys it issued) so later steps can refer
// to what that engine answered before.
type scenario struct {
	name  string
	steps []step
}

// step is one request. In path and in string data values, "{var}" is replaced by the engine's
// variable var (see save).
type step struct {
	name string
	op   logical.Operation
	path string
	data map[string]interface{}
	// want is the status native PKI answers (0 means 200). It keeps every scenario honest: a
	// step meant to be refused must be refused by native, or the scenario tests nothing.
	want int
	// save records string values of the answer's data as variables for later steps.
	save []saveRule
	// client, when set, decodes the answer the way a real client does and fails the test when
	// that client would break. It runs once per engine.
	client func(t *testing.T, engine string, obs *compare.Observation)
}

// answers sets the status native PKI gives this step.
func (s step) answers(status int) step {
	s.want = status
	return s
}

// saveRule stores data[key] (a string), optionally transformed, as variable as.
type saveRule struct {
	as        string
	key       string
	transform func(string) string
}

// saveIssued keeps what later steps need from an issue or sign answer: the serial in the three
// spellings clients use, the certificate and the private key.
func saveIssued() []saveRule {
	return []saveRule{
		{as: "serial", key: "serial_number"},
		{as: "serial_hyphen", key: "serial_number", transform: func(s string) string { return strings.ReplaceAll(s, ":", "-") }},
		{as: "serial_upper", key: "serial_number", transform: strings.ToUpper},
		{as: "cert", key: "certificate"},
		{as: "key", key: "private_key"},
	}
}

// runResult is what one scenario contributed to the suite's figures.
type runResult struct {
	steps       int
	compared    int
	allowed     int
	unexplained []string
	// usedRows are the indexes of the table rows that allowed a difference.
	usedRows map[int]bool
}

// runScenario plays sc on both engines step by step and compares each pair of answers. Every
// difference is either allowed by the table (counted) or reported as a test error.
func runScenario(t *testing.T, sc scenario, native, plugin *engine, table *compare.Table) runResult {
	t.Helper()
	res := runResult{usedRows: map[int]bool{}}
	vars := map[*engine]map[string]string{native: {}, plugin: {}}
	for _, st := range sc.steps {
		var obs [2]*compare.Observation
		for i, e := range []*engine{native, plugin} {
			path, data := expand(st.path, st.data, vars[e])
			obs[i] = e.observe(t, st.op, path, data)
			for _, r := range st.save {
				if v, ok := obs[i].Data[r.key].(string); ok {
					if r.transform != nil {
						v = r.transform(v)
					}
					vars[e][r.as] = v
				}
			}
			if st.client != nil {
				st.client(t, e.name, obs[i])
			}
		}
		if want := orOK(st.want); obs[0].Status != want {
			t.Errorf("%s / %s: %s answered %d (%s), the scenario expects %d", sc.name, st.name, native.name, obs[0].Status, obs[0].Error, want)
		}
		diffs, compared := compare.Diff(compare.Describe(obs[0]), compare.Describe(obs[1]))
		res.steps++
		res.compared += compared
		for _, d := range diffs {
			if row := table.Match(sc.name, st.name, d); row >= 0 {
				res.allowed++
				res.usedRows[row] = true
				continue
			}
			msg := sc.name + " / " + st.name + ": " + d.String()
			res.unexplained = append(res.unexplained, msg)
			t.Errorf("difference not in differences.json: %s\n  request: %s %s %v", msg, st.op, st.path, redactData(st.data))
		}
	}
	return res
}

// expand substitutes the engine's variables into a step's path and string data values.
func expand(path string, data map[string]interface{}, vars map[string]string) (string, map[string]interface{}) {
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	r := strings.NewReplacer(pairs...)
	var out map[string]interface{}
	if data != nil {
		out = make(map[string]interface{}, len(data))
		for k, v := range data {
			if s, ok := v.(string); ok {
				v = r.Replace(s)
			}
			out[k] = v
		}
	}
	return r.Replace(path), out
}

// redactData shortens PEM values for failure messages (a private key is test material, but a
// megabyte of PEM in a failure message helps nobody).
func redactData(data map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(data))
	for k, v := range data {
		if s, ok := v.(string); ok && (strings.Contains(s, "-----BEGIN") || strings.HasPrefix(s, "{")) {
			v = "<pem or variable>"
		}
		out[k] = v
	}
	return out
}

func orOK(status int) int {
	if status == 0 {
		return 200
	}
	return status
}
