package commandtest

import (
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strings"
	"testing"
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
