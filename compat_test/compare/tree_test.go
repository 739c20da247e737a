package compare

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// selfSigned makes a certificate whose serial, key and times differ on every call.
func selfSigned(t *testing.T, cn string, dns ...string) string {
	t.Helper()
	tmpl := testcerts.LeafTemplate(t, cn, dns...)
	tmpl.NotBefore = time.Now().Add(time.Duration(tmpl.SerialNumber.Int64()%1000) * time.Millisecond)
	tmpl.NotAfter = tmpl.NotBefore.Add(24 * time.Hour)
	return strings.TrimSpace(testcerts.PEM(testcerts.SelfSigned(t, tmpl, testcerts.ECKey(t))))
}

func issueAnswer(cert, serial string, expiration int64) *Observation {
	return &Observation{Status: 200, Data: map[string]interface{}{
		"certificate":   cert,
		"serial_number": serial,
		"expiration":    json.Number(big.NewInt(expiration).String()),
		"ca_chain":      []interface{}{cert},
	}}
}

func TestDiffMasksRandomnessOnly(t *testing.T) {
	a := issueAnswer(selfSigned(t, "a.example.com", "a.example.com"), "0a:1b:2c:3d:4e:5f:60:71", 1700000000)
	b := issueAnswer(selfSigned(t, "a.example.com", "a.example.com"), "71:60:5f:4e:3d:2c:1b:0a:99", 1700000999)
	diffs, compared := Diff(Describe(a), Describe(b))
	if len(diffs) != 0 {
		t.Errorf("two equivalent answers differ: %v", diffs)
	}
	if compared < 20 {
		t.Errorf("only %d values compared", compared)
	}
}

func TestDiffFindsEveryKindOfDifference(t *testing.T) {
	base := func() *Observation {
		return issueAnswer(selfSigned(t, "a.example.com", "a.example.com"), "0a:1b:2c:3d:4e:5f:60:71", 1700000000)
	}
	tests := []struct {
		name   string
		mutate func(o *Observation)
		field  string
	}{
		{"missing key", func(o *Observation) { delete(o.Data, "expiration") }, "data.expiration"},
		{"extra key", func(o *Observation) { o.Data["extra"] = "x" }, "data.extra"},
		{"JSON type", func(o *Observation) { o.Data["ca_chain"] = o.Data["certificate"] }, "data.ca_chain.(json type)"},
		{"expiration as string", func(o *Observation) { o.Data["expiration"] = "1700000000" }, "data.expiration.(json type)"},
		{"status", func(o *Observation) { o.Status = 201 }, "status"},
		{"warning", func(o *Observation) { o.Warnings = []string{"w"} }, "warnings"},
		{"error text", func(o *Observation) { o.Error = "other" }, "error"},
		{"serial spelling", func(o *Observation) { o.Data["serial_number"] = "0A-1B-2C-3D-4E-5F-60-71" }, "data.serial_number"},
		{"certificate SAN", func(o *Observation) {
			o.Data["certificate"] = selfSigned(t, "a.example.com", "b.example.com")
		}, "data.certificate.block[0].dns_names"},
		{"certificate subject", func(o *Observation) {
			o.Data["certificate"] = selfSigned(t, "b.example.com", "a.example.com")
		}, "data.certificate.block[0].subject"},
		{"trailing newline", func(o *Observation) { o.Data["certificate"] = o.Data["certificate"].(string) + "\n" }, "data.certificate.trimmed"},
		{"chain length", func(o *Observation) { o.Data["ca_chain"] = []interface{}{} }, "data.ca_chain.(length)"},
		{"zero versus set time", func(o *Observation) { o.Data["expiration"] = json.Number("0") }, "data.expiration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, b := base(), base()
			tc.mutate(b)
			diffs, _ := Diff(Describe(a), Describe(b))
			found := false
			for _, d := range diffs {
				if d.Field == tc.field {
					found = true
				}
			}
			if !found {
				t.Errorf("difference at %s not reported; got %v", tc.field, diffs)
			}
		})
	}
}

func TestMaskWarningHidesSerialsAndTimes(t *testing.T) {
	got := maskWarning("certificate with serial 0a:1b:2c:3d:4e:5f:60:71:82 not found at 2026-11-29T08:49:32.974426374Z")
	want := "certificate with serial <serial> not found at <time>"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestWarningsCompareAsMultiset(t *testing.T) {
	a := &Observation{Status: 200, Warnings: []string{"x", "y", "y"}}
	b := &Observation{Status: 200, Warnings: []string{"y", "x", "z"}}
	diffs, _ := Diff(Describe(a), Describe(b))
	want := map[Difference]bool{
		{Field: "warnings", Native: "y", Plugin: absent}: true,
		{Field: "warnings", Native: absent, Plugin: "z"}: true,
	}
	if len(diffs) != len(want) {
		t.Fatalf("got %v, want %v", diffs, want)
	}
	for _, d := range diffs {
		if !want[d] {
			t.Errorf("unexpected %v", d)
		}
	}
}

func TestRawBodyMissingEqualsEmpty(t *testing.T) {
	a := &Observation{Status: 204, Data: map[string]interface{}{"http_raw_body": nil}}
	b := &Observation{Status: 204, Data: map[string]interface{}{"http_raw_body": ""}}
	if diffs, _ := Diff(Describe(a), Describe(b)); len(diffs) != 0 {
		t.Errorf("missing and empty raw bodies differ: %v", diffs)
	}
}
