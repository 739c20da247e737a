package keyfactor

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// enrollmentAnswer writes an enrollment answer with the given disposition and certificates.
func enrollmentAnswer(w http.ResponseWriter, disposition string, id int, certs ...string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]interface{}{
		"CertificateInformation": map[string]interface{}{
			"KeyfactorId": id, "KeyfactorRequestId": 77, "RequestDisposition": disposition,
			"DispositionMessage": "message from Command", "Certificates": certs, "SerialNumber": nil,
		},
		"Metadata": nil,
	})
}

func TestSignSendsCommandRequest(t *testing.T) {
	pki := newTestPKI(t)
	key := newKey(t)
	csr := newCSR(t, key, "a.example.com")
	var got enrollmentCSRRequest
	var header http.Header
	var path string
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) {
		header, path = r.Header.Clone(), r.URL.Path
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			t.Errorf("body: %v", err)
		}
		leaf := pki.leaf(t, key.Public(), "a.example.com", 20)
		// Root first, with subject-header text and CRLF: position must not matter.
		enrollmentAnswer(w, "Issued", 123,
			string(pemOf(pki.root)),
			"subject=CN=a\r\n"+strings.ReplaceAll(string(pemOf(leaf)), "\n", "\r\n"),
			string(pemOf(pki.issuing)))
	}, map[string]interface{}{"ca": `ca.example.com\Issuing "quoted"`})

	resp, err := d.Sign(context.Background(), &cadriver.SignRequest{
		CSR:            csr,
		Metadata:       map[string]string{"Owner": `team "x"`},
		DNSNames:       []string{"a.example.com"},
		IPAddresses:    []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("2001:db8::1")},
		URIs:           []*url.URL{{Scheme: "spiffe", Host: "example.com", Path: "/svc"}},
		EmailAddresses: []string{"ops@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if path != "/KeyfactorAPI/Enrollment/CSR" {
		t.Errorf("path %q", path)
	}
	for name, want := range map[string]string{
		"X-Keyfactor-Requested-With": "APIClient", "X-Keyfactor-Api-Version": "1", "X-Certificateformat": "PEM",
		"Content-Type": "application/json", "Accept": "application/json",
	} {
		if header.Get(name) != want {
			t.Errorf("header %s = %q, want %q", name, header.Get(name), want)
		}
	}
	if user, _, _ := (&http.Request{Header: header}).BasicAuth(); user != `KEYFACTOR\vault-svc` {
		t.Errorf("basic user %q", user)
	}
	if block, _ := pem.Decode([]byte(got.CSR)); block == nil || string(block.Bytes) != string(csr.Raw) {
		t.Error("CSR not sent as PEM of the request's CSR")
	}
	if got.CertificateAuthority != `ca.example.com\Issuing "quoted"` || got.Template != "WebServer" || !got.IncludeChain {
		t.Errorf("defaults not applied: %+v", got)
	}
	if got.Metadata["Owner"] != `team "x"` {
		t.Errorf("metadata %v", got.Metadata)
	}
	wantSANs := map[string]string{"dns": "a.example.com", "ip4": "10.0.0.1", "ip6": "2001:db8::1", "uri": "spiffe://example.com/svc", "rfc822": "ops@example.com"}
	for k, v := range wantSANs {
		if len(got.SANs[k]) != 1 || got.SANs[k][0] != v {
			t.Errorf("SANs[%s] = %v, want [%s]", k, got.SANs[k], v)
		}
	}
	if ts, err := time.Parse(time.RFC3339, got.Timestamp); err != nil || ts.Location() != time.UTC || time.Since(ts) > time.Minute {
		t.Errorf("timestamp %q not current UTC RFC 3339", got.Timestamp)
	}
	if resp.CertificateID != "123" || resp.Certificate.Subject.CommonName != "a.example.com" || resp.CA != `ca.example.com\Issuing "quoted"` {
		t.Errorf("response %+v", resp)
	}
	if len(resp.Chain) != 2 || !resp.Chain[0].Equal(pki.issuing) || !resp.Chain[1].Equal(pki.root) {
		t.Errorf("chain %v", subjects(resp.Chain))
	}
	// The enrollment's chain is now the CA's cached chain: no call needed.
	chain, err := d.CAChain(context.Background(), "")
	if err != nil || len(chain) != 2 || !chain[0].Equal(pki.issuing) {
		t.Errorf("cached chain %v, %v", subjects(chain), err)
	}
}

func TestSignDispositionsAndErrors(t *testing.T) {
	pki := newTestPKI(t)
	key := newKey(t)
	csr := newCSR(t, key, "a.example.com")
	otherPEM := string(pemOf(pki.leaf(t, newKey(t).Public(), "b.example.com", 22)))

	type check func(t *testing.T, err error)
	status := func(want int) check {
		return func(t *testing.T, err error) {
			var sc cadriver.StatusCoder
			if !errors.As(err, &sc) || sc.StatusCode() != want {
				t.Errorf("status of %v: want %d", err, want)
			}
		}
	}
	mentions := func(parts ...string) check {
		return func(t *testing.T, err error) {
			for _, p := range parts {
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not mention %q", err, p)
				}
			}
		}
	}
	cases := []struct {
		name    string
		handler http.HandlerFunc
		checks  []check
	}{
		{"pending", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "pending", 0) }, []check{
			status(http.StatusConflict), mentions("77", "message from Command"),
			func(t *testing.T, err error) {
				var pe *cadriver.PendingApprovalError
				if !errors.As(err, &pe) || pe.RequestID != "77" {
					t.Errorf("not a PendingApprovalError with request 77: %v", err)
				}
			}}},
		{"external validation", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "External Validation", 0) }, []check{status(http.StatusConflict)}},
		{"denied", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "DENIED", 0) }, []check{status(http.StatusBadRequest), mentions("denied", "77", "message from Command")}},
		{"failed", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "Failed", 0) }, []check{status(http.StatusBadGateway), mentions("failed", "message from Command")}},
		{"issued without certificates", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "ISSUED", 5) }, []check{status(http.StatusBadGateway), mentions("no certificate")}},
		{"unknown disposition", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "QUEUED", 0) }, []check{status(http.StatusBadGateway), mentions("QUEUED")}},
		{"certificate for another key", func(w http.ResponseWriter, r *http.Request) { enrollmentAnswer(w, "ISSUED", 5, otherPEM) }, []check{status(http.StatusBadGateway), mentions("not for the submitted CSR")}},
		{"null information", func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, `{"CertificateInformation":null}`)
		}, []check{status(http.StatusBadGateway)}},
		{"garbage body", func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>oops</html>") }, []check{status(http.StatusBadGateway), mentions("not the expected JSON")}},
		{"400 json", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ErrorCode":"0xA0110007","Message":"Template \u0027X\u0027 is not valid."}`)
		}, []check{status(http.StatusBadRequest), mentions("HTTP 400", "0xA0110007", "Template 'X' is not valid."),
			func(t *testing.T, err error) {
				var ce *CommandError
				if !hasStatus(err, http.StatusBadRequest) || !errors.As(err, &ce) || ce.ErrorCode != "0xA0110007" {
					t.Errorf("want ValidationError and CommandError with ErrorCode: %#v", err)
				}
			}}},
		{"401 empty", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }, []check{status(http.StatusBadGateway), mentions("HTTP 401", "credentials")}},
		{"403 permission", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusForbidden)
			_, _ = io.WriteString(w, `{"ErrorCode":"0xA0140002","Message":"User KEYFACTOR\\vault-svc doesn\u0027t have the required permission"}`)
		}, []check{status(http.StatusBadGateway), mentions("HTTP 403", "0xA0140002", "doesn't have the required permission")}},
		{"failed operations", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ErrorCode":"0xA1","Message":"Bulk failed","FailedOperations":[{"Reason":"first"},{"Reason":null}]}`)
		}, []check{mentions("Bulk failed; first")}},
		{"500 html", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<html>\r\n<body>Server Error</body></html>")
		}, []check{status(http.StatusBadGateway), mentions("HTTP 500", "Server Error")}},
		{"503", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, []check{status(http.StatusServiceUnavailable)}},
		{"echoed secret", func(w http.ResponseWriter, r *http.Request) {
			_, pass, _ := r.BasicAuth()
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, `{"ErrorCode":"0x1","Message":"bad password `+pass+` for `+r.Header.Get("Authorization")+`"}`)
		}, []check{mentions("[redacted]"), func(t *testing.T, err error) {
			if strings.Contains(err.Error(), "Secret-Passw0rd") || strings.Contains(err.Error(), "S0VZRkFDVE9S") {
				t.Errorf("error leaks the password: %v", err)
			}
		}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := fakeCommand(t, tc.handler, nil)
			resp, err := d.Sign(context.Background(), &cadriver.SignRequest{CSR: csr})
			if err == nil {
				t.Fatalf("Sign succeeded: %+v", resp)
			}
			for _, c := range tc.checks {
				c(t, err)
			}
		})
	}
}

func TestSignValidatesBeforeCalling(t *testing.T) {
	var calls atomic.Int32
	d, _ := fakeCommand(t, func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }, map[string]interface{}{"ca": nil, "template": nil})
	csr := newCSR(t, newKey(t), "a.example.com")
	cases := []struct {
		name string
		req  *cadriver.SignRequest
		want string
	}{
		{"nil", nil, "no CSR"},
		{"no csr", &cadriver.SignRequest{}, "no CSR"},
		{"no ca", &cadriver.SignRequest{CSR: csr, Template: "T"}, "no CA"},
		{"no template", &cadriver.SignRequest{CSR: csr, CA: "CA"}, "no certificate template"},
		{"bad ca", &cadriver.SignRequest{CSR: csr, CA: `a\b\c`, Template: "T"}, "HostName"},
	}
	for _, tc := range cases {
		_, err := d.Sign(context.Background(), tc.req)
		if !hasStatus(err, http.StatusBadRequest) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ValidationError about %q", tc.name, err, tc.want)
		}
	}
	if calls.Load() != 0 {
		t.Errorf("%d calls reached Command", calls.Load())
	}
}
