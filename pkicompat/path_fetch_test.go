package pkicompat_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// raw checks a raw response's status and content type and returns its body.
func raw(t *testing.T, r result, status int, contentType string) []byte {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (%s)", r.status, status, r.errorText())
	}
	if r.resp == nil {
		t.Fatal("no response")
	}
	if got := r.resp.Data[logical.HTTPContentType]; got != contentType {
		t.Fatalf("content type %v, want %s", got, contentType)
	}
	body, ok := r.resp.Data[logical.HTTPRawBody].([]byte)
	if !ok && r.resp.Data[logical.HTTPRawBody] != nil {
		t.Fatalf("raw body is %T, want []byte", r.resp.Data[logical.HTTPRawBody])
	}
	return body
}

func issueOne(t *testing.T, h *harness) (serial string, leaf *x509.Certificate) {
	t.Helper()
	d := h.write("issue/web", map[string]interface{}{"common_name": "f.example.com", "ttl": "1h"}).data(t)
	return str(t, d, "serial_number"), parseCertPEM(t, str(t, d, "certificate"))
}

func TestFetchCertificate(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	serial, leaf := issueOne(t, h)

	spellings := []string{
		serial,
		strings.ToUpper(serial),
		strings.ReplaceAll(serial, ":", "-"),
		strings.ToUpper(strings.ReplaceAll(serial, ":", "-")),
		strings.ToUpper(strings.ReplaceAll(serial, ":", "")), // as openssl prints it
	}
	for _, s := range spellings {
		for _, prefix := range []string{"cert/", "certs/"} {
			t.Run(prefix+s, func(t *testing.T) {
				d := h.read(prefix + s).data(t)
				if !bytes.Equal(parseCertPEM(t, str(t, d, "certificate")).Raw, leaf.Raw) {
					t.Fatal("wrong certificate")
				}
				if num(t, d, "revocation_time") != 0 || str(t, d, "revocation_time_rfc3339") != "" {
					t.Fatalf("unrevoked certificate shows a revocation: %v", d)
				}
				if str(t, d, "authority_key_id") == "" {
					t.Fatal("authority_key_id missing")
				}
				if _, ok := d["issuer_id"]; ok {
					t.Fatal("issuer_id must appear only once revoked")
				}
			})
		}
	}

	der := raw(t, h.read("cert/"+spellings[2]+"/raw"), 200, "application/pkix-cert")
	if !bytes.Equal(der, leaf.Raw) {
		t.Fatal("cert/:serial/raw is not the DER certificate")
	}
	pemBody := raw(t, h.read("cert/"+serial+"/raw/pem"), 200, "application/pem-certificate-chain")
	if string(pemBody) != strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))) {
		t.Fatal("cert/:serial/raw/pem is not the trimmed leaf PEM")
	}

	unknown := "01:02:03"
	if r := h.read("cert/" + unknown); r.status != http.StatusNotFound {
		t.Fatalf("unknown serial: want 404, got %d", r.status)
	}
	if body := raw(t, h.read("cert/"+unknown+"/raw"), 204, "application/pkix-cert"); len(body) != 0 {
		t.Fatal("204 with a body")
	}
	raw(t, h.read("cert/"+unknown+"/raw/pem"), 204, "application/pem-certificate-chain")
	// Leading zeros are not normalised, as native.
	if r := h.read("cert/00:" + serial); r.status != http.StatusNotFound {
		t.Fatalf("serial with an added leading zero byte found: %d", r.status)
	}
}

func TestFetchListCerts(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	if r := h.list("certs/"); r.status != http.StatusNotFound {
		t.Fatalf("empty certs list: want 404, got %d", r.status)
	}
	s1, _ := issueOne(t, h)
	s2, _ := issueOne(t, h)
	keys := strList(t, h.list("certs/").data(t), "keys")
	if len(keys) != 2 || !contains(keys, s1) || !contains(keys, s2) {
		t.Fatalf("certs/ = %v, want %s and %s in colon form", keys, s1, s2)
	}
	if r := h.list("certs/revoked/"); r.status != http.StatusNotFound {
		t.Fatalf("empty revoked list: want 404, got %d", r.status)
	}
	mustOK(t, h.write("revoke", map[string]interface{}{"serial_number": s1}))
	revoked := strList(t, h.list("certs/revoked/").data(t), "keys")
	if len(revoked) != 1 || revoked[0] != s1 {
		t.Fatalf("certs/revoked/ = %v, want [%s]", revoked, s1)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestFetchCA(t *testing.T) {
	h := newHarness(t, pkitest.DefaultCAName, "Second CA")
	h.configure(nil)
	issuing := h.ca.Issuing(pkitest.DefaultCAName)
	root := h.ca.Root(pkitest.DefaultCAName)
	issuingPEM := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issuing.Raw})))
	rootPEM := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: root.Raw})))
	chainText := issuingPEM + "\n" + rootPEM

	if !bytes.Equal(raw(t, h.read("ca"), 200, "application/pkix-cert"), issuing.Raw) {
		t.Fatal("ca is not the issuing CA's DER")
	}
	if string(raw(t, h.read("ca/pem"), 200, "application/pem-certificate-chain")) != issuingPEM {
		t.Fatal("ca/pem is not the issuing CA's trimmed PEM")
	}
	if !bytes.Equal(raw(t, h.read("cert/ca/raw"), 200, "application/pkix-cert"), issuing.Raw) {
		t.Fatal("cert/ca/raw")
	}
	if string(raw(t, h.read("cert/ca/raw/pem"), 200, "application/pem-certificate-chain")) != issuingPEM {
		t.Fatal("cert/ca/raw/pem")
	}
	// Native serves the PEM chain with the DER content type.
	if string(raw(t, h.read("ca_chain"), 200, "application/pkix-cert")) != chainText {
		t.Fatal("ca_chain is not the issuing CA + root PEM")
	}
	d := h.read("cert/ca").data(t)
	if str(t, d, "certificate") != issuingPEM || num(t, d, "revocation_time") != 0 || str(t, d, "revocation_time_rfc3339") != "" {
		t.Fatalf("cert/ca: %v", d)
	}
	d = h.read("cert/ca_chain").data(t)
	if str(t, d, "certificate") != chainText || str(t, d, "ca_chain") != chainText {
		t.Fatal("cert/ca_chain: certificate and ca_chain must both be the chain string")
	}

	// The seed's `ca=<name>` reads another CA; those reads come from the vault CLI, so they
	// answer JSON (cert/ca_chain's and cert/ca's shapes).
	secondPEM := strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.ca.Issuing("Second CA").Raw})))
	second := h.do("read", "ca_chain", map[string]interface{}{"ca": "Second CA"}).data(t)
	if !strings.HasPrefix(str(t, second, "ca_chain"), secondPEM) {
		t.Fatal("ca_chain ca=Second CA did not return that CA's chain")
	}
	secondCA := h.do("read", "ca", map[string]interface{}{"ca": "Second CA"}).data(t)
	if str(t, secondCA, "certificate") != secondPEM {
		t.Fatal("ca ca=Second CA did not return that CA")
	}
	mustFail(t, h.do("read", "ca", map[string]interface{}{"ca": "Nope"}), 404, `unknown CA "Nope"`)
}

func TestFetchCRL(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	serial, leaf := issueOne(t, h)
	mustOK(t, h.write("revoke", map[string]interface{}{"serial_number": serial}))

	der := raw(t, h.read("crl"), 200, "application/pkix-crl")
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	if len(crl.RevokedCertificateEntries) != 1 || crl.RevokedCertificateEntries[0].SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		t.Fatal("CRL does not list the revoked certificate")
	}
	pemBody := raw(t, h.read("crl/pem"), 200, "application/x-pem-file")
	if block, _ := pem.Decode(pemBody); block == nil || block.Type != "X509 CRL" {
		t.Fatal("crl/pem is not an X509 CRL block")
	}
	if _, err := x509.ParseRevocationList(raw(t, h.read("cert/crl/raw"), 200, "application/pkix-crl")); err != nil {
		t.Fatalf("cert/crl/raw is not a DER CRL: %v", err)
	}
	if block, _ := pem.Decode(raw(t, h.read("cert/crl/raw/pem"), 200, "application/x-pem-file")); block == nil || block.Type != "X509 CRL" {
		t.Fatal("cert/crl/raw/pem is not a PEM CRL")
	}
	if bytes.HasSuffix(pemBody, []byte("\n")) {
		t.Fatal("crl/pem must be trimmed")
	}
	d := h.read("cert/crl").data(t)
	if block, _ := pem.Decode([]byte(str(t, d, "certificate"))); block == nil || block.Type != "X509 CRL" {
		t.Fatal("cert/crl certificate is not a PEM CRL")
	}
	if num(t, d, "revocation_time") != 0 {
		t.Fatal("cert/crl revocation_time")
	}

	h.ca.FailCRL(codedError{status: 501, msg: "this CA publishes no CRL"})
	mustFail(t, h.read("crl"), 501, "CA fetch CRL failed: this CA publishes no CRL")
}

func TestFetchUnconfigured(t *testing.T) {
	h := newHarness(t)
	raw(t, h.read("ca"), 204, "application/pkix-cert")
	raw(t, h.read("ca/pem"), 204, "application/pem-certificate-chain")
	raw(t, h.read("ca_chain"), 204, "application/pkix-cert")
	raw(t, h.read("crl"), 204, "application/pkix-crl")
	mustFail(t, h.read("cert/ca"), 400, "no default issuer currently configured")
	mustFail(t, h.read("cert/ca_chain"), 400, "no default issuer currently configured")
}

func TestFetchCAFailure(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.ca.FailCAChain(&pkicompat.UnavailableError{Message: "Command unreachable"})
	mustFail(t, h.read("ca/pem"), 503, "CA fetch CA chain failed: Command unreachable")
	h.ca.FailCAChain(errors.New("HTTP 500 from Command"))
	mustFail(t, h.read("cert/ca"), 502, "HTTP 500 from Command")
}

// codedError is a driver error that names its own HTTP status, as cadriver.StatusCoder allows.
type codedError struct {
	status int
	msg    string
}

func (e codedError) Error() string   { return e.msg }
func (e codedError) StatusCode() int { return e.status }
