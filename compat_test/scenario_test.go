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

// step is one request of a scenario, written once for both engines: in path and in string data
// values, "{var}" is replaced by the engine's variable var (see save), which makes it the
// compare.Request sent to that engine.
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

// runScenario plays sc on both engines step by step: each step, expanded with each engine's
// variables, goes to native then to the other engine, and cmp compares the two answers.
func runScenario(t *testing.T, sc scenario, native, plugin *engine, cmp *compare.Comparison) {
	t.Helper()
	vars := map[*engine]map[string]string{native: {}, plugin: {}}
	for _, st := range sc.steps {
		var obs [2]*compare.Observation
		var req compare.Request
		for i, e := range []*engine{native, plugin} {
			path, data := expand(st.path, st.data, vars[e])
			req = compare.Request{Step: st.name, Op: st.op, Path: path, Data: data}
			obs[i] = e.Send(t, req)
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
		cmp.Check(t, req, obs[0], obs[1])
	}
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

func orOK(status int) int {
	if status == 0 {
		return 200
	}
	return status
}
