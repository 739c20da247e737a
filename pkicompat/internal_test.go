package pkicompat

import (
	"crypto/x509"
	"fmt"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
	"math/big"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"
)

func TestSerialForms(t *testing.T) {
	cases := []struct {
		in, storage string
		valid       bool
	}{
		{"0a:61:FF", "0a-61-ff", true},
		{"0A-61-ff", "0a-61-ff", true},
		{" 0a:61 ", "0a-61", true},
		{"zz:01", "zz-01", false},
		{"", "", false},
		{"../config", "../config", false},
		{"7500A1B2", "75-00-a1-b2", true},
		{"abc", "abc", true},
		// Command's spelling keeps DER's sign octet before a first byte with the high bit set.
		{"00F7516C", "f7-51-6c", true},
		{"0075A1", "00-75-a1", true}, // a 00 that is not a sign octet is kept, as in native
		{"00:f7:51", "00-f7-51", true},
	}
	for _, tc := range cases {
		if got := storageSerial(tc.in); got != tc.storage {
			t.Errorf("storageSerial(%q) = %q, want %q", tc.in, got, tc.storage)
		}
		if got := validSerial(tc.in); got != tc.valid {
			t.Errorf("validSerial(%q) = %v, want %v", tc.in, got, tc.valid)
		}
	}
	// The display form drops a leading zero byte, as big.Int.Bytes() does in native.
	c := &x509.Certificate{SerialNumber: new(big.Int).SetBytes([]byte{0x00, 0x8f, 0x01})}
	if got := serialFromCert(c); got != "8f:01" {
		t.Fatalf("serialFromCert = %q, want 8f:01", got)
	}
	if displaySerial("8f-01") != "8f:01" {
		t.Fatal("displaySerial")
	}
}

func TestIssuerIDsAreStableUUIDs(t *testing.T) {
	a1, a2, b := issuerIDFor("Corp CA"), issuerIDFor("Corp CA"), issuerIDFor("Other CA")
	if a1 != a2 {
		t.Fatal("the same CA must always get the same id")
	}
	if a1 == b {
		t.Fatal("different CAs must get different ids")
	}
	if len(a1) != 36 || a1[14] != '5' || !strings.ContainsAny(a1[19:20], "89ab") {
		t.Fatalf("%q is not a version 5 UUID", a1)
	}
	if got := issuerNameFor(`kftrain\Corp Issuing CA`); got != "kftrain-Corp-Issuing-CA" {
		t.Fatalf("issuerNameFor = %q", got)
	}
}

func TestParseMetadata(t *testing.T) {
	cases := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"", nil, ""},
		{`{"a":"b","n":2,"t":true,"z":null}`, map[string]string{"a": "b", "n": "2", "t": "true", "z": ""}, ""},
		{`{ \"testMetadata\": \"arbitrary string value\" }`, map[string]string{"testMetadata": "arbitrary string value"}, ""},
		{`{"a":"b"} trailing`, nil, "must be a JSON object"},
		{`null`, nil, "must be a JSON object"},
		{`"text"`, nil, "must be a JSON object"},
		{`{"a":[1]}`, nil, `the value of "a" must be a string`},
		{`{"a":"b"`, nil, "must be a JSON object"},
	}
	for _, tc := range cases {
		got, err := parseMetadata("metadata", tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parseMetadata(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			if statusOf(err) != http.StatusBadRequest {
				t.Errorf("parseMetadata(%q) error is not a 400", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseMetadata(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("parseMetadata(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("parseMetadata(%q)[%s] = %q, want %q", tc.in, k, got[k], v)
			}
		}
	}
	merged := mergeMetadata(map[string]string{"a": "role", "b": "role"}, map[string]string{"b": "req"})
	if merged["a"] != "role" || merged["b"] != "req" {
		t.Fatalf("mergeMetadata = %v", merged)
	}
}

func TestGenerateKeyRefusals(t *testing.T) {
	cases := []struct {
		keyType string
		bits    int
		text    string
	}{
		{"rsa", 1024, "key_bits 1024 is not supported for rsa"},
		{"ec", 300, "key_bits 300 is not supported for ec"},
		{"dsa", 0, `key_type "dsa" is not supported`},
		{"any", 0, `role key type "any" not allowed for issuing certificates, only signing`},
	}
	for _, tc := range cases {
		_, err := generateKey(tc.keyType, tc.bits)
		if err == nil || !strings.Contains(err.Error(), tc.text) || statusOf(err) != http.StatusBadRequest {
			t.Errorf("generateKey(%s, %d) = %v, want a 400 containing %q", tc.keyType, tc.bits, err, tc.text)
		}
	}
}

func TestRawResponseStatus(t *testing.T) {
	if got := rawResponse(contentTypeDER, []byte{1}).Data[logical.HTTPStatusCode]; got != http.StatusOK {
		t.Fatalf("with a body: %v", got)
	}
	empty := rawResponse(contentTypeDER, nil)
	if got := empty.Data[logical.HTTPStatusCode]; got != http.StatusNoContent {
		t.Fatalf("without a body: %v", got)
	}
	// A nil body would cross the plugin boundary as JSON null, which Vault refuses.
	if body, ok := empty.Data[logical.HTTPRawBody].([]byte); !ok || body == nil {
		t.Fatalf("empty raw body must be a non-nil []byte, got %#v", empty.Data[logical.HTTPRawBody])
	}
}

func TestCSRWithinApproval(t *testing.T) {
	approved := &approvedSubject{DNSNames: []string{"a.example.com"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}
	approved.Subject.CommonName = "a.example.com"
	ok := &x509.CertificateRequest{DNSNames: []string{"A.example.com"}, IPAddresses: []net.IP{net.ParseIP("10.0.0.1")}}
	ok.Subject.CommonName = "a.example.com"
	if err := csrWithinApproval(ok, approved); err != nil {
		t.Fatalf("approved names refused: %v", err)
	}
	extraIP := &x509.CertificateRequest{IPAddresses: []net.IP{net.ParseIP("10.0.0.2")}}
	if err := csrWithinApproval(extraIP, approved); err == nil || !strings.Contains(err.Error(), "10.0.0.2") {
		t.Fatalf("extra IP accepted: %v", err)
	}
}

func TestCAFailureMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
	}{
		{&ValidationError{Message: "bad"}, http.StatusBadRequest},
		{&NotFoundError{Message: "gone"}, http.StatusNotFound},
		{&PendingApprovalError{RequestID: "7"}, http.StatusConflict},
		{&UnavailableError{Message: "down"}, http.StatusServiceUnavailable},
		{&UnavailableError{Message: "slow", Timeout: true}, http.StatusGatewayTimeout},
		{codedTest{status: http.StatusNotImplemented}, http.StatusNotImplemented},
		{errTest("boom"), http.StatusBadGateway},
	}
	for _, tc := range cases {
		resp, err := respond(caError("sign", tc.err))
		req := &logical.Request{Operation: logical.UpdateOperation}
		status, rerr := logical.RespondErrorCommon(req, resp, err)
		logical.AdjustErrorStatusCode(&status, rerr)
		if status != tc.status {
			t.Errorf("%T: status %d, want %d", tc.err, status, tc.status)
		}
		if rerr == nil || !strings.Contains(rerr.Error(), "CA sign") {
			t.Errorf("%T: message %v does not name the CA call", tc.err, rerr)
		}
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }

// codedTest is a driver error with a status of its own.
type codedTest struct{ status int }

func (e codedTest) Error() string   { return "coded" }
func (e codedTest) StatusCode() int { return e.status }

// statusOf is the status respond answers for err when it comes from a CA call.
func statusOf(err error) int { return cadriver.StatusOf(err, http.StatusBadGateway) }

func TestCheckSignedRefusesForeignKeys(t *testing.T) {
	mine, err := generateKey("ec", 256)
	if err != nil {
		t.Fatal(err)
	}
	other, err := generateKey("ec", 256)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := buildCSR(mine, &approvedSubject{}, x509.UnknownSignatureAlgorithm)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		signed *SignResponse
		ok     bool
	}{
		{"nil answer", nil, false},
		{"no certificate", &SignResponse{}, false},
		{"someone else's key", &SignResponse{Certificate: &x509.Certificate{PublicKey: other.signer.Public()}}, false},
		{"the CSR's key", &SignResponse{Certificate: &x509.Certificate{PublicKey: mine.signer.Public()}}, true},
	}
	for _, tc := range cases {
		err := checkSigned(tc.signed, csr)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v", tc.name, err)
		}
	}
}

func TestCSRSignatureAlgorithm(t *testing.T) {
	cases := []struct {
		keyType string
		bits    int
		pss     bool
		want    x509.SignatureAlgorithm
	}{
		{"rsa", 0, false, x509.SHA256WithRSA},
		{"rsa", 384, false, x509.SHA384WithRSA},
		{"rsa", 512, false, x509.SHA512WithRSA},
		{"rsa", 256, true, x509.SHA256WithRSAPSS},
		{"rsa", 384, true, x509.SHA384WithRSAPSS},
		{"rsa", 512, true, x509.SHA512WithRSAPSS},
		{"ec", 384, false, x509.UnknownSignatureAlgorithm},
	}
	for _, tc := range cases {
		if got := csrSignatureAlgorithm(tc.keyType, tc.bits, tc.pss); got != tc.want {
			t.Errorf("%s/%d/pss=%v: %v, want %v", tc.keyType, tc.bits, tc.pss, got, tc.want)
		}
	}
}

// TestRespondIsTheOneErrorRule: the status of every answer comes from the error's StatusCode;
// a 400 is native's ErrorResponse shape, and an error without a status is an internal error.
func TestRespondIsTheOneErrorRule(t *testing.T) {
	cases := []struct {
		err      error
		status   int
		userResp bool // answered as an ErrorResponse (native's shape for a caller's mistake)
		text     string
	}{
		{Invalid("bad %s", "input"), http.StatusBadRequest, true, "bad input"},
		{fmt.Errorf("wrapped: %w", Invalid("inner")), http.StatusBadRequest, true, "inner"},
		{&NotFoundError{Message: "gone"}, http.StatusNotFound, false, "gone"},
		{codedTest{status: http.StatusConflict}, http.StatusConflict, false, "coded"},
		{errTest("storage broke"), http.StatusInternalServerError, false, "storage broke"},
	}
	for _, tc := range cases {
		resp, err := respond(tc.err)
		if got := resp != nil && resp.IsError(); got != tc.userResp {
			t.Errorf("%v: ErrorResponse %v, want %v", tc.err, got, tc.userResp)
		}
		req := &logical.Request{Operation: logical.UpdateOperation}
		status, rerr := logical.RespondErrorCommon(req, resp, err)
		logical.AdjustErrorStatusCode(&status, rerr)
		if status == 0 && rerr != nil {
			status = http.StatusInternalServerError
		}
		if status != tc.status || rerr == nil || !strings.Contains(rerr.Error(), tc.text) {
			t.Errorf("%v: status %d (%v), want %d naming %q", tc.err, status, rerr, tc.status, tc.text)
		}
	}
}
