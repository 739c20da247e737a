package commandtest

import (
	"bytes"
	"net/http"
	"testing"
)

// TestEnrollAcceptsRawNewlinesInJSONString replays the body shape the older Keyfactor Vault plugin
// sends: the PEM CSR concatenated into the JSON string with its raw line breaks.
func TestEnrollAcceptsRawNewlinesInJSONString(t *testing.T) {
	s := newTestServer(t)
	csr := makeCSR(t, nil, "legacy.example.com", "legacy.example.com")
	if !bytes.Contains([]byte(csr), []byte("\n")) {
		t.Fatal("CSR has no line break")
	}
	body := `{"CSR": "` + csr + `", "CertificateAuthority":"` + DefaultCAHost + `\\` + DefaultCALogicalName +
		`", "IncludeChain": true, "Metadata": {}, "Timestamp": "2024-01-01T00:00:00","Template": "` + DefaultTemplate +
		`", "SANs": {"dns": ["legacy.example.com"]}}`
	r := do(t, s, call{method: "POST", path: "/Enrollment/CSR", body: body})
	if r.status != http.StatusOK {
		t.Fatalf("old-plugin body: %d %s", r.status, r.body)
	}
	// A body that is not JSON at all is still refused.
	r = do(t, s, call{method: "POST", path: "/Enrollment/CSR", body: `{"CSR": "x",`})
	if r.status != http.StatusBadRequest {
		t.Fatalf("broken body: %d %s", r.status, r.body)
	}
}

func TestEscapeRawControlChars(t *testing.T) {
	cases := map[string]string{
		"{\"a\":\"x\ny\"}":        `{"a":"x\u000ay"}`,
		"{\n\"a\": \"x\\\"\ty\"}": "{\n\"a\": \"x\\\"\\u0009y\"}",
		`{"a":"plain"}`:           `{"a":"plain"}`,
	}
	for in, want := range cases {
		if got := string(escapeRawControlChars([]byte(in))); got != want {
			t.Errorf("escapeRawControlChars(%q) = %q, want %q", in, got, want)
		}
	}
}
