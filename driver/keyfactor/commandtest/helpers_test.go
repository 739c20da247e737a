package commandtest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// newTestServer starts a plain-HTTP server closed at the end of the test.
func newTestServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := NewServer(opts...)
	t.Cleanup(s.Close)
	return s
}

// testKey is one P-256 key shared by tests (key generation is not what they test).
var testKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

// makeCSR returns a PEM CSR for cn with the given DNS SANs.
func makeCSR(t testing.TB, key crypto.Signer, cn string, dns ...string) string {
	t.Helper()
	if key == nil {
		key = testKey
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: cn}, DNSNames: dns,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// call is one API request with Command's usual headers; fields left empty get defaults.
type call struct {
	method  string
	path    string // relative to the API path, may include a query
	body    any
	headers map[string]string // "" value deletes the header
	user    string            // "DOMAIN\user"; default DefaultDomain\DefaultUsername
	pass    string
	bearer  string
	noAuth  bool
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decoding %s: %v", r.body, err)
	}
}

func (r reply) apiError(t testing.TB) apiError {
	t.Helper()
	var e apiError
	r.decode(t, &e)
	return e
}

func do(t testing.TB, s *Server, c call) reply {
	t.Helper()
	var body io.Reader
	if c.body != nil {
		if raw, ok := c.body.(string); ok {
			body = strings.NewReader(raw)
		} else {
			b, err := json.Marshal(c.body)
			if err != nil {
				t.Fatal(err)
			}
			body = bytes.NewReader(b)
		}
	}
	path, rawQuery, _ := strings.Cut(c.path, "?")
	u, err := url.Parse(s.APIURL())
	if err != nil {
		t.Fatal(err)
	}
	u = u.JoinPath(path)
	u.RawQuery = rawQuery
	req, err := http.NewRequest(c.method, u.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("x-keyfactor-requested-with", "APIClient")
	req.Header.Set("x-keyfactor-api-version", "1")
	if c.method == http.MethodPost {
		req.Header.Set("x-certificateformat", "PEM")
	}
	switch {
	case c.noAuth:
	case c.bearer != "":
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	default:
		user, pass := c.user, c.pass
		if user == "" {
			user, pass = DefaultDomain+`\`+DefaultUsername, DefaultPassword
		}
		req.SetBasicAuth(user, pass)
	}
	for k, v := range c.headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// enrollAnswer mirrors the enrollment response for decoding (the server's own types embed
// unexported version-specific structs, which encoding/json cannot decode into).
type enrollAnswer struct {
	CertificateInformation struct {
		SerialNumber        *string
		IssuerDN            *string
		Thumbprint          *string
		KeyfactorID         int
		Certificates        []string
		WorkflowInstanceID  *string `json:"WorkflowInstanceId"`
		WorkflowReferenceID *int64  `json:"WorkflowReferenceId"`
		KeyfactorRequestID  int     `json:"KeyfactorRequestId"`
		RequestDisposition  string
		DispositionMessage  string
	}
	Metadata map[string]string
}

// enroll performs a CSR enrollment with the defaults and returns the decoded answer.
func enroll(t testing.TB, s *Server, body map[string]any) (reply, enrollAnswer) {
	t.Helper()
	if _, ok := body["CSR"]; !ok {
		body["CSR"] = makeCSR(t, nil, "app.example.com", "app.example.com")
	}
	if _, ok := body["CertificateAuthority"]; !ok {
		body["CertificateAuthority"] = DefaultCAHost + `\` + DefaultCALogicalName
	}
	if _, ok := body["Template"]; !ok {
		body["Template"] = DefaultTemplate
	}
	r := do(t, s, call{method: "POST", path: "/Enrollment/CSR", body: body})
	var out enrollAnswer
	if r.status == http.StatusOK {
		r.decode(t, &out)
	}
	return r, out
}

// enrollOK enrolls and fails the test unless the certificate was issued; it returns the
// parsed chain and the Keyfactor id.
func enrollOK(t testing.TB, s *Server, body map[string]any) ([]*x509.Certificate, int) {
	t.Helper()
	r, out := enroll(t, s, body)
	if r.status != http.StatusOK || out.CertificateInformation.RequestDisposition != dispositionIssued {
		t.Fatalf("enrollment: status %d body %s", r.status, r.body)
	}
	var chain []*x509.Certificate
	for _, entry := range out.CertificateInformation.Certificates {
		block, _ := pem.Decode([]byte(entry))
		if block == nil {
			t.Fatalf("entry is not PEM: %q", entry)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		chain = append(chain, c)
	}
	return chain, out.CertificateInformation.KeyfactorID
}

func itoa(n int) string { return strconv.Itoa(n) }

func mustParse(t testing.TB, der []byte) *x509.Certificate {
	t.Helper()
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustParseCRL(t testing.TB, der []byte) *x509.RevocationList {
	t.Helper()
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

// expectDroppedEnrollment arms a DropConnection fault for one enrollment, sends one, and fails the
// test unless the client got a transport error instead of an answer.
func expectDroppedEnrollment(t testing.TB, s *Server) {
	t.Helper()
	s.InjectFault(Fault{Endpoint: "POST /Enrollment/CSR", Times: 1, DropConnection: true})
	req, _ := http.NewRequest("POST", s.APIURL()+"/Enrollment/CSR", strings.NewReader(`{}`))
	req.SetBasicAuth(DefaultUsername, DefaultPassword)
	if resp, err := s.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("the dropped enrollment was answered %d", resp.StatusCode)
	}
}
