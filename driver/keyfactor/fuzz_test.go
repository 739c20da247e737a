package keyfactor

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Fuzz targets for everything the driver reads from Command: enrollment, search and download
// answers, PEM and PKCS#7 chains, and serial spellings. `make fuzz` runs each for a bounded time;
// plain `go test` runs the seed corpus (and testdata/fuzz) as regression tests.

// cannedCommand is a fake Command answering every request with the current fuzz input, so the
// whole path from HTTP answer to driver result is exercised, not only a decoder.
type cannedCommand struct {
	mu     sync.Mutex
	status int
	body   []byte
}

func (c *cannedCommand) set(status int, body []byte) {
	c.mu.Lock()
	c.status, c.body = status, body
	c.mu.Unlock()
}

func (c *cannedCommand) serve(w http.ResponseWriter, _ *http.Request) {
	c.mu.Lock()
	status, body := c.status, c.body
	c.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// checkDriverError asserts what every driver error must be: a status pkicompat can answer, and
// no credential in its text.
func checkDriverError(t *testing.T, err error) {
	t.Helper()
	var sc cadriver.StatusCoder
	if !errors.As(err, &sc) || sc.StatusCode() < 400 || sc.StatusCode() > 599 {
		t.Fatalf("driver error without an HTTP status: %T %v", err, err)
	}
	if msg := err.Error(); strings.Contains(msg, basicConf(nil)["password"].(string)) {
		t.Fatalf("error text holds the password: %s", msg)
	}
}

func mustJSON(t testing.TB, v interface{}) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzEnrollmentAnswer(f *testing.F) {
	pki := newTestPKI(f)
	key := newKey(f)
	csr := newCSR(f, key, "a.example.com")
	leaf := pki.leaf(f, key.Public(), "a.example.com", 20)
	other := pki.leaf(f, newKey(f).Public(), "b.example.com", 21)
	answer := func(disposition string, id interface{}, certs ...string) []byte {
		return mustJSON(f, map[string]interface{}{"CertificateInformation": map[string]interface{}{
			"KeyfactorId": id, "KeyfactorRequestId": 9, "RequestDisposition": disposition,
			"DispositionMessage": "msg", "Certificates": certs,
		}})
	}
	f.Add(200, answer("Issued", 5, string(pemOf(leaf)), string(pemOf(pki.issuing)), string(pemOf(pki.root))))
	f.Add(200, answer("issued", "5", strings.ReplaceAll("subject=CN=a\n"+string(pemOf(leaf))+string(pemOf(pki.issuing)), "\n", "\r\n")))
	f.Add(200, answer("", nil, base64.StdEncoding.EncodeToString(leaf.Raw)))
	f.Add(200, answer("Issued", 5, string(pemOf(other))))
	f.Add(200, answer("Pending", 0))
	f.Add(200, answer("Denied", 0))
	f.Add(200, answer("Failed", 0))
	f.Add(200, answer("Whatever", 1.5))
	f.Add(200, []byte(`{"CertificateInformation":null}`))
	f.Add(200, []byte(`{"CertificateInformation":{"Certificates":["-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"]}}`))
	f.Add(400, []byte(`{"ErrorCode":"0xA0110000","Message":"Template not found"}`))
	f.Add(500, []byte(`<html>oops</html>`))
	f.Add(200, []byte(``))
	cmd := &cannedCommand{}
	d, _ := fakeCommand(f, cmd.serve, map[string]interface{}{"timeout": 5})
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 200 || status > 599 {
			status = 200 + (abs(status) % 400)
		}
		cmd.set(status, body)
		resp, err := d.Sign(context.Background(), &cadriver.SignRequest{CSR: csr, DNSNames: []string{"a.example.com"}})
		if err != nil {
			checkDriverError(t, err)
			return
		}
		// A certificate is only ever returned for the submitted key.
		if resp.Certificate == nil || string(resp.Certificate.RawSubjectPublicKeyInfo) != string(csr.RawSubjectPublicKeyInfo) {
			t.Fatalf("Sign returned a certificate that is not for the CSR's key")
		}
		for i, c := range resp.Chain {
			if c == nil {
				t.Fatalf("chain entry %d is nil", i)
			}
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

func FuzzSearchAnswer(f *testing.F) {
	pki := newTestPKI(f)
	leaf := pki.leaf(f, newKey(f).Public(), "a.example.com", 0x1234)
	rec := func(id interface{}, serial, issuer string, state interface{}, revoked string) map[string]interface{} {
		return map[string]interface{}{"Id": id, "SerialNumber": serial, "IssuerDN": issuer, "CertState": state,
			"RevocationEffDate": revoked, "RevocationReason": 1, "IssuedCN": "a.example.com",
			"ContentBytes": base64.StdEncoding.EncodeToString(leaf.Raw)}
	}
	f.Add(mustJSON(f, []interface{}{rec(7, "1234", "CN=Test Issuing", 2, "2026-01-02T03:04:05.1234567")}))
	f.Add(mustJSON(f, []interface{}{rec("7", "12:34", "cn=test issuing", "2", "2026-01-02")}))
	f.Add(mustJSON(f, []interface{}{rec(nil, "zz", "", nil, "yesterday"), rec(-1, "", "CN=x,,=", 6, "")}))
	f.Add([]byte(`[null, {}, {"Id": 1e30}]`))
	f.Add([]byte(`{"not":"a list"}`))
	f.Add([]byte(`[`))
	leafKeyHash := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	cmd := &cannedCommand{}
	d, _ := fakeCommand(f, cmd.serve, nil)
	f.Fuzz(func(t *testing.T, body []byte) {
		cmd.set(200, body)
		ctx := context.Background()
		revoked, err := d.RevokedSince(ctx, "", time.Time{})
		if err != nil {
			checkDriverError(t, err)
		}
		for _, r := range revoked {
			// Certificate serials are positive integers (RFC 5280 4.1.2.2).
			if r.SerialNumber == nil || r.SerialNumber.Sign() <= 0 {
				t.Fatalf("revoked serial %v is not a positive integer", r.SerialNumber)
			}
		}
		// Only certificates for the asked key come back, whatever Command sends.
		found, err := d.FindIssued(ctx, &cadriver.IssuedQuery{Since: time.Unix(0, 0), Until: time.Now().Add(time.Hour), PublicKeySHA256: leafKeyHash[:], CommonName: "a.example.com"})
		if err != nil {
			checkDriverError(t, err)
		}
		for _, ic := range found {
			if ic.Certificate == nil || sha256.Sum256(ic.Certificate.RawSubjectPublicKeyInfo) != leafKeyHash {
				t.Fatalf("FindIssued returned a certificate for another key")
			}
		}
		rec, err := d.findBySerialAndIssuer(ctx, leaf)
		if err != nil {
			checkDriverError(t, err)
		} else if n, ok := parseHexSerial(rec.SerialNumber); !ok || n.Cmp(leaf.SerialNumber) != 0 || rec.ID <= 0 {
			t.Fatalf("lookup by serial returned record %+v for serial %x", rec, leaf.SerialNumber)
		}
	})
}

func FuzzDownloadContent(f *testing.F) {
	pki := newTestPKI(f)
	leaf := pki.leaf(f, newKey(f).Public(), "a.example.com", 30)
	b64 := base64.StdEncoding.EncodeToString
	f.Add(b64(p7b(f, leaf, pki.issuing, pki.root)))
	f.Add(b64(p7b(f)))
	f.Add(b64(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7b(f, leaf)})))
	f.Add(b64(append(pemOf(leaf), pemOf(pki.issuing)...)))
	f.Add(b64(leaf.Raw))
	f.Add(b64([]byte("not a certificate")))
	f.Add("%%%")
	f.Add("")
	f.Fuzz(func(t *testing.T, content string) {
		certs, err := parseDownloadContent(content)
		if err != nil {
			return
		}
		checkCertsReadBack(t, certs)
	})
}

func FuzzPKCS7Chain(f *testing.F) {
	pki := newTestPKI(f)
	leaf := pki.leaf(f, newKey(f).Public(), "a.example.com", 31)
	f.Add(p7b(f, leaf, pki.issuing, pki.root))
	f.Add(p7b(f))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7b(f, pki.issuing)}))
	f.Add([]byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := parsePKCS7Certificates(data)
		if err != nil {
			return
		}
		checkCertsReadBack(t, certs)
		// A bundle rebuilt from what was read yields the same certificates.
		again, err := parsePKCS7Certificates(p7b(t, certs...))
		if err != nil || len(again) != len(certs) {
			t.Fatalf("rebuilt bundle reads back %d certificates (%v), want %d", len(again), err, len(certs))
		}
	})
}

func FuzzPEMChain(f *testing.F) {
	pki := newTestPKI(f)
	leaf := pki.leaf(f, newKey(f).Public(), "a.example.com", 32)
	chain := string(pemOf(leaf)) + string(pemOf(pki.issuing)) + string(pemOf(pki.root))
	f.Add(chain)
	f.Add(strings.ReplaceAll("subject=CN=a.example.com\nissuer=CN=Test Issuing\n"+chain, "\n", "\r\n"))
	f.Add(base64.StdEncoding.EncodeToString(leaf.Raw))
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})) + string(pemOf(leaf)))
	f.Add("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
	f.Add("   \n ")
	f.Fuzz(func(t *testing.T, text string) {
		certs, err := parseCertificateText([]byte(text))
		if err != nil {
			return
		}
		checkCertsReadBack(t, certs)
		// The PEM of what was read reads back to the same certificates, in order.
		var again []byte
		for _, c := range certs {
			again = append(again, pemOf(c)...)
		}
		back, err := parseCertificateText(again)
		if err != nil || len(back) != len(certs) {
			t.Fatalf("re-encoded chain reads back %d certificates (%v), want %d", len(back), err, len(certs))
		}
		for i := range back {
			if !back[i].Equal(certs[i]) {
				t.Fatalf("certificate %d changed in the round trip", i)
			}
		}
	})
}

func checkCertsReadBack(t *testing.T, certs []*x509.Certificate) {
	t.Helper()
	for i, c := range certs {
		if c == nil {
			t.Fatalf("certificate %d is nil", i)
		}
		if _, err := x509.ParseCertificate(c.Raw); err != nil {
			t.Fatalf("certificate %d does not re-parse: %v", i, err)
		}
	}
}

func FuzzSerialSpellings(f *testing.F) {
	for _, s := range []string{"1234", "0A:BC", "ab-cd-ef", "00", "0", " 12 34 ", "-1", "+1", "0x12", "zz", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, ok := parseHexSerial(text)
		if !ok {
			return
		}
		if n.Sign() < 0 {
			t.Fatalf("%q read as the negative serial %v: certificate serials are positive", text, n)
		}
		// Every spelling the driver searches Command for reads back as the same serial.
		for _, spelling := range serialSpellings(n) {
			back, ok := parseHexSerial(spelling)
			if !ok || back.Cmp(n) != 0 {
				t.Fatalf("spelling %q of serial %x reads back as %v", spelling, n, back)
			}
		}
	})
}
