package compare

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

// errorRecorder is a testing.TB that keeps failures instead of failing, so a test can assert
// what a comparison reports.
type errorRecorder struct {
	testing.TB
	errors []string
}

func (r *errorRecorder) Helper() {}

func (r *errorRecorder) Errorf(format string, args ...interface{}) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *errorRecorder) Fatalf(format string, args ...interface{}) {
	r.errors = append(r.errors, "fatal: "+fmt.Sprintf(format, args...))
}

func TestComparisonAllowsTableRowsAndReportsTheRest(t *testing.T) {
	table := &Table{path: "differences.json", Rows: []Allowed{
		{Scenario: "s", Step: "issue", Field: "warnings", Plugin: "from the CA", Reason: "r"},
	}}
	c := &Comparison{Scenario: "s", Table: table, Describe: Describe}
	rec := &errorRecorder{TB: t}
	req := Request{Step: "issue", Op: logical.UpdateOperation, Path: "issue/web", Data: map[string]interface{}{"csr": "-----BEGIN CERTIFICATE REQUEST-----"}}
	native := &Observation{Status: 200}
	plugin := &Observation{Status: 200, Warnings: []string{"from the CA"}}
	c.Check(rec, req, native, plugin)
	if len(rec.errors) != 0 || c.Allowed != 1 || !c.UsedRows[0] {
		t.Fatalf("an allowed difference: errors %v, allowed %d, rows %v", rec.errors, c.Allowed, c.UsedRows)
	}
	c.Check(rec, req, native, &Observation{Status: 400})
	if c.Unexplained != 1 || len(rec.errors) != 1 {
		t.Fatalf("an unexplained difference: %d unexplained, errors %v", c.Unexplained, rec.errors)
	}
	for _, want := range []string{"differences.json", "s / issue", "status", "update issue/web", "<pem or variable>"} {
		if !strings.Contains(rec.errors[0], want) {
			t.Errorf("failure %q does not name %q", rec.errors[0], want)
		}
	}
	if c.Steps != 2 || c.Compared == 0 {
		t.Errorf("figures: %d steps, %d compared", c.Steps, c.Compared)
	}
}

func TestCheckTranscriptsPairsRequestsByStep(t *testing.T) {
	ok := &Observation{Status: 200}
	ex := func(step string) Exchange { return Exchange{Request: Request{Step: step}, Answer: ok} }
	c := &Comparison{Scenario: "http/x", Describe: DescribeShape}
	rec := &errorRecorder{TB: t}
	c.CheckTranscripts(rec, []Exchange{ex("a"), ex("b")}, []Exchange{ex("a"), ex("b")})
	if len(rec.errors) != 0 || c.Steps != 2 {
		t.Fatalf("equal transcripts: errors %v, %d steps", rec.errors, c.Steps)
	}
	c.CheckTranscripts(rec, []Exchange{ex("a")}, []Exchange{ex("b")})
	c.CheckTranscripts(rec, []Exchange{ex("a")}, nil)
	if len(rec.errors) != 2 || !strings.HasPrefix(rec.errors[0], "fatal:") || !strings.HasPrefix(rec.errors[1], "fatal:") {
		t.Errorf("mismatched transcripts: %v", rec.errors)
	}
}

func TestObserveHTTPReadsVaultsEnvelope(t *testing.T) {
	header := http.Header{"Content-Type": []string{"application/json"}}
	body := `{"lease_id":"pki/issue/web/abc","renewable":false,"lease_duration":3600,"data":{"n":1},"warnings":["w"],"errors":[],"mount_type":"pki"}`
	obs := ObserveHTTP(200, header, []byte(body))
	if !obs.Envelope || obs.Lease == nil || obs.Lease.TTL.Hours() != 1 || obs.MountType != "pki" || obs.Data["n"].(interface{ String() string }).String() != "1" || len(obs.Warnings) != 1 {
		t.Errorf("JSON answer: %+v", obs)
	}
	obs = ObserveHTTP(400, header, []byte(`{"errors":["unknown role: nope"]}`))
	if obs.Error != "unknown role: nope" || obs.Lease != nil {
		t.Errorf("error answer: %+v", obs)
	}
	obs = ObserveHTTP(200, http.Header{"Content-Type": []string{"application/pkix-cert"}}, []byte{0x30, 0x82})
	if obs.Envelope || obs.Data != nil || obs.ContentType != "application/pkix-cert" {
		t.Errorf("raw answer: %+v", obs)
	}
}

func TestDescribeShapeKeepsWhatClientsTellApart(t *testing.T) {
	cert := selfSigned(t, "a.example.com")
	native := ObserveHTTP(200, http.Header{"Content-Type": []string{"application/json"}},
		[]byte(`{"data":{"serial_number":"01:02:03","certificate":`+fmt.Sprintf("%q", cert)+`,"expiration":1700000000},"mount_type":"pki"}`))
	plugin := ObserveHTTP(200, http.Header{"Content-Type": []string{"application/json"}},
		[]byte(`{"data":{"serial_number":"0A-0B","certificate":`+fmt.Sprintf("%q", selfSigned(t, "b.example.com"))+`,"expiration":1800000000},"mount_type":"keyfactor"}`))
	diffs, _ := Diff(DescribeShape(native), DescribeShape(plugin))
	got := map[string]string{}
	for _, d := range diffs {
		got[d.Field] = d.Native + " -> " + d.Plugin
	}
	want := map[string]string{
		"mount_type":         "pki -> keyfactor",
		"data.serial_number": `string colon hex -> string "0A-0B"`,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("differences %v, want %v (certificates by another CA and times must compare equal)", got, want)
	}
	raw := ObserveHTTP(204, http.Header{}, nil)
	if d, _ := Diff(DescribeShape(native), DescribeShape(raw)); len(d) == 0 {
		t.Error("a JSON answer and an empty one compare equal")
	}
}
