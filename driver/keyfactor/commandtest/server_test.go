package commandtest

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestTransportAndHeaders(t *testing.T) {
	s := newTestServer(t)
	tests := []struct {
		name       string
		c          call
		wantStatus int
		wantCode   string
	}{
		{"status endpoints", call{method: "GET", path: "/Status/Endpoints"}, 200, ""},
		{"api path case-insensitive", call{method: "GET", path: "/status/ENDPOINTS"}, 200, ""},
		{"api-version 1.0", call{method: "GET", path: "/Status/Endpoints", headers: map[string]string{"x-keyfactor-api-version": "1.0"}}, 200, ""},
		{"api-version absent", call{method: "GET", path: "/Status/Endpoints", headers: map[string]string{"x-keyfactor-api-version": ""}}, 200, ""},
		{"api-version 2 not offered", call{method: "GET", path: "/Status/Endpoints", headers: map[string]string{"x-keyfactor-api-version": "2"}}, 400, codeUnsupportedVersion},
		{"missing requested-with", call{method: "GET", path: "/Status/Endpoints", headers: map[string]string{"x-keyfactor-requested-with": ""}}, 400, codeMissingHeader},
		{"unknown route", call{method: "GET", path: "/NoSuchThing"}, 404, codeNotFound},
		{"wrong method", call{method: "DELETE", path: "/Status/Endpoints"}, 405, codeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := do(t, s, tt.c)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", r.status, tt.wantStatus, r.body)
			}
			if got := r.header.Get("x-keyfactor-product-version"); got != "25.1.1.0" {
				t.Fatalf("x-keyfactor-product-version = %q", got)
			}
			if tt.wantCode != "" {
				if e := r.apiError(t); e.ErrorCode != tt.wantCode || e.Message == "" {
					t.Fatalf("error = %+v, want code %s", e, tt.wantCode)
				}
			}
		})
	}
}

func TestStatusEndpointsListsRoutes(t *testing.T) {
	for _, p := range []Profile{Profile10, Profile25} {
		s := newTestServer(t, WithProfile(p))
		var list []string
		do(t, s, call{method: "GET", path: "/Status/Endpoints"}).decode(t, &list)
		joined := strings.Join(list, "\n")
		if !strings.Contains(joined, "POST /Enrollment/CSR") || !strings.Contains(joined, "GET /Status/Endpoints") {
			t.Fatalf("profile %d: endpoints %v", p, list)
		}
		if hasPatterns := strings.Contains(joined, "/EnrollmentPatterns"); hasPatterns != (p == Profile25) {
			t.Fatalf("profile %d: EnrollmentPatterns listed = %v", p, hasPatterns)
		}
	}
}

func TestCustomAPIPath(t *testing.T) {
	s := newTestServer(t, WithAPIPath("/CustomAPI/"))
	if s.APIPath != "CustomAPI" || !strings.HasSuffix(s.APIURL(), "/CustomAPI") {
		t.Fatalf("APIPath %q APIURL %q", s.APIPath, s.APIURL())
	}
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints"}); r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	resp, err := s.Client().Get(s.URL + "/KeyfactorAPI/Status/Endpoints")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("default path answered %d on a custom-path server", resp.StatusCode)
	}
}

func TestTLSServer(t *testing.T) {
	s := NewTLSServer()
	defer s.Close()
	if !strings.HasPrefix(s.URL, "https://127.0.0.1:") {
		t.Fatalf("URL %s", s.URL)
	}
	block, _ := pem.Decode(s.TLSCABundlePEM())
	if block == nil {
		t.Fatal("no TLS CA bundle")
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		t.Fatal(err)
	}
	if r := do(t, s, call{method: "GET", path: "/Status/Endpoints"}); r.status != 200 {
		t.Fatalf("status %d over TLS", r.status)
	}
	// A client that does not trust the bundle must fail.
	if _, err := http.Get(s.APIURL() + "/Status/Endpoints"); err == nil {
		t.Fatal("untrusting client connected")
	}
	if newTestServer(t).TLSCABundlePEM() != nil {
		t.Fatal("plain server has a TLS bundle")
	}
}

func TestCAHierarchy(t *testing.T) {
	s := newTestServer(t)
	root := s.RootCertificate()
	if root.Subject.CommonName != RootCAName || !root.IsCA {
		t.Fatalf("root %v", root.Subject)
	}
	for _, name := range []string{DefaultCALogicalName, ECCALogicalName, DefaultCAHost + `\` + DefaultCALogicalName} {
		ca := s.CACertificate(name)
		if ca == nil {
			t.Fatalf("CA %s missing", name)
		}
		if err := ca.CheckSignatureFrom(root); err != nil {
			t.Fatalf("%s not signed by root: %v", name, err)
		}
		cert, key := s.CAKeyPair(name)
		if cert == nil || key == nil || !cert.Equal(ca) {
			t.Fatalf("CAKeyPair(%s) mismatch", name)
		}
	}
	if s.CACertificate(DefaultCALogicalName).Subject.CommonName != DefaultCALogicalName {
		t.Fatal("issuing CA CN must equal the logical name")
	}
	if s.CACertificate(DefaultCALogicalName).PublicKeyAlgorithm != x509.RSA || s.CACertificate(ECCALogicalName).PublicKeyAlgorithm != x509.ECDSA {
		t.Fatal("key algorithms of the issuing CAs")
	}
	if s.CACertificate("nope") != nil {
		t.Fatal("unknown CA returned a certificate")
	}
	if c, k := s.CAKeyPair("nope"); c != nil || k != nil {
		t.Fatal("unknown CA returned a key pair")
	}
}

// Over TLS the simulator speaks HTTP/2 when the client offers it, as IIS 10 does, and HTTP/1.1
// with WithoutHTTP2 (IIS 8.5). A dropped-connection fault fails the request it hits on either
// protocol; on HTTP/2 a request in flight on the same connection still gets its answer.
func TestTLSProtocolsAndDroppedRequests(t *testing.T) {
	for _, tc := range []struct {
		name      string
		opts      []Option
		wantProto string
	}{
		{"IIS 10", nil, "HTTP/2.0"},
		{"IIS 8.5", []Option{WithoutHTTP2()}, "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewTLSServer(tc.opts...)
			defer s.Close()
			get := func() (*http.Response, error) {
				req, _ := http.NewRequest("GET", s.APIURL()+"/Status/Endpoints", nil)
				req.SetBasicAuth(DefaultUsername, DefaultPassword)
				req.Header.Set("x-keyfactor-requested-with", "APIClient")
				return s.Client().Do(req)
			}
			resp, err := get()
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 || resp.Proto != tc.wantProto {
				t.Fatalf("status %d over %s, want 200 over %s", resp.StatusCode, resp.Proto, tc.wantProto)
			}

			// A slow request stays in flight on the connection while another one is dropped.
			s.InjectFault(Fault{Endpoint: "GET /Status/Endpoints", Times: 1, Latency: 300 * time.Millisecond})
			slow := make(chan error, 1)
			go func() {
				resp, err := get()
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != 200 {
						err = fmt.Errorf("status %d", resp.StatusCode)
					}
				}
				slow <- err
			}()
			// The slow request is counted on arrival, before its latency: drop only once it is in flight.
			for deadline := time.Now().Add(5 * time.Second); s.Counters().Requests["GET /Status/Endpoints"] < 2; {
				if time.Now().After(deadline) {
					t.Fatal("the slow request never arrived")
				}
				time.Sleep(5 * time.Millisecond)
			}
			expectDroppedEnrollment(t, s)
			if err := <-slow; err != nil {
				t.Fatalf("the request in flight beside the dropped one failed: %v", err)
			}
			if resp, err := get(); err != nil {
				t.Fatalf("after the drop: %v", err)
			} else {
				resp.Body.Close()
			}
		})
	}
}
