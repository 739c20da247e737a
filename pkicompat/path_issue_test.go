package pkicompat_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

func TestIssueResponseShape(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	r := h.write("issue/web", map[string]interface{}{
		"common_name": "www.example.com", "alt_names": "api.example.com", "ttl": "24h",
	})
	mustOK(t, r)
	d := r.data(t)

	leaf := parseCertPEM(t, str(t, d, "certificate"))
	issuing := parseCertPEM(t, str(t, d, "issuing_ca"))
	chain := strList(t, d, "ca_chain")
	if len(chain) != 2 {
		t.Fatalf("ca_chain: want issuing CA and root, got %d entries", len(chain))
	}
	if root := parseCertPEM(t, chain[1]); !bytes.Equal(root.Raw, h.ca.Root(pkitest.DefaultCAName).Raw) {
		t.Fatal("ca_chain must end with the root")
	}
	if !bytes.Equal(parseCertPEM(t, chain[0]).Raw, issuing.Raw) {
		t.Fatal("ca_chain must start with issuing_ca")
	}
	if err := leaf.CheckSignatureFrom(issuing); err != nil {
		t.Fatalf("leaf not signed by issuing_ca: %v", err)
	}
	if got, want := str(t, d, "serial_number"), certutil.GetHexFormatted(leaf.SerialNumber.Bytes(), ":"); got != want {
		t.Fatalf("serial_number: %q, want %q", got, want)
	}
	if got := num(t, d, "expiration"); got != leaf.NotAfter.Unix() {
		t.Fatalf("expiration: %d, want %d", got, leaf.NotAfter.Unix())
	}
	if got := str(t, d, "authority_key_id"); got != certutil.GetHexFormatted(leaf.AuthorityKeyId, ":") || got == "" {
		t.Fatalf("authority_key_id: %q", got)
	}
	if str(t, d, "private_key_type") != "rsa" {
		t.Fatalf("private_key_type: %v", d["private_key_type"])
	}
	block, _ := pem.Decode([]byte(str(t, d, "private_key")))
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatalf("private_key: want an RSA PRIVATE KEY block")
	}
	for _, k := range []string{"certificate", "issuing_ca", "private_key"} {
		if strings.HasSuffix(str(t, d, k), "\n") {
			t.Fatalf("%s must be trimmed", k)
		}
	}
	if got := strings.Join(leaf.DNSNames, ","); got != "api.example.com,www.example.com" {
		t.Fatalf("DNS SANs: %q (CN must be included, sorted)", got)
	}
	if leaf.Subject.CommonName != "www.example.com" {
		t.Fatalf("CN: %q", leaf.Subject.CommonName)
	}
	if r.resp.Secret != nil {
		t.Fatal("no lease without generate_lease")
	}
	if len(r.resp.Warnings) != 0 {
		t.Fatalf("unexpected warnings: %v", r.resp.Warnings)
	}
	// The CA got the approved names and a requested notAfter of about 24h.
	req := h.ca.SignRequests()[0]
	if strings.Join(req.DNSNames, ",") != "api.example.com,www.example.com" {
		t.Fatalf("SANs sent to the CA: %v", req.DNSNames)
	}
	if d := time.Until(req.NotAfter); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("requested notAfter %v is not ~24h away", req.NotAfter)
	}
}

func TestIssueKeyTypes(t *testing.T) {
	cases := []struct {
		keyType   string
		bits      int
		pkcs8     bool
		wantBlock string
		check     func(interface{}) bool
	}{
		{"rsa", 2048, false, "RSA PRIVATE KEY", func(k interface{}) bool { r, ok := k.(*rsa.PublicKey); return ok && r.N.BitLen() == 2048 }},
		{"rsa", 3072, true, "PRIVATE KEY", func(k interface{}) bool { r, ok := k.(*rsa.PublicKey); return ok && r.N.BitLen() == 3072 }},
		{"ec", 224, false, "EC PRIVATE KEY", func(k interface{}) bool { e, ok := k.(*ecdsa.PublicKey); return ok && e.Curve.Params().BitSize == 224 }},
		{"ec", 256, false, "EC PRIVATE KEY", func(k interface{}) bool { e, ok := k.(*ecdsa.PublicKey); return ok && e.Curve.Params().BitSize == 256 }},
		{"ec", 384, true, "PRIVATE KEY", func(k interface{}) bool { e, ok := k.(*ecdsa.PublicKey); return ok && e.Curve.Params().BitSize == 384 }},
		{"ec", 521, false, "EC PRIVATE KEY", func(k interface{}) bool { e, ok := k.(*ecdsa.PublicKey); return ok && e.Curve.Params().BitSize == 521 }},
		{"ed25519", 0, false, "PRIVATE KEY", func(k interface{}) bool { _, ok := k.(ed25519.PublicKey); return ok }},
	}
	h := newHarness(t)
	h.configure(nil)
	for _, tc := range cases {
		t.Run(tc.keyType+"-"+tc.wantBlock, func(t *testing.T) {
			h.webRole(map[string]interface{}{"key_type": tc.keyType, "key_bits": tc.bits})
			data := map[string]interface{}{"common_name": "k.example.com"}
			if tc.pkcs8 {
				data["private_key_format"] = "pkcs8"
			}
			d := h.write("issue/web", data).data(t)
			leaf := parseCertPEM(t, str(t, d, "certificate"))
			if !tc.check(leaf.PublicKey) {
				t.Fatalf("certificate key is %T, want %s/%d", leaf.PublicKey, tc.keyType, tc.bits)
			}
			block, _ := pem.Decode([]byte(str(t, d, "private_key")))
			if block == nil || block.Type != tc.wantBlock {
				t.Fatalf("private key block: want %s", tc.wantBlock)
			}
			signer, _, err := certutil.ParseDERKey(block.Bytes)
			if err != nil {
				t.Fatal(err)
			}
			if same, _ := certutil.ComparePublicKeys(signer.Public(), leaf.PublicKey); !same {
				t.Fatal("private_key does not belong to the certificate")
			}
			if str(t, d, "private_key_type") != tc.keyType {
				t.Fatalf("private_key_type %v", d["private_key_type"])
			}
		})
	}
}

func TestIssueFormats(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec"})

	t.Run("der", func(t *testing.T) {
		d := h.write("issue/web", map[string]interface{}{"common_name": "d.example.com", "format": "der"}).data(t)
		der, err := base64.StdEncoding.DecodeString(str(t, d, "certificate"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParseCertificate(der); err != nil {
			t.Fatalf("certificate is not base64 DER: %v", err)
		}
		for _, c := range strList(t, d, "ca_chain") {
			if _, err := base64.StdEncoding.DecodeString(c); err != nil {
				t.Fatalf("ca_chain entry not base64: %v", err)
			}
		}
		keyDER, err := base64.StdEncoding.DecodeString(str(t, d, "private_key"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParseECPrivateKey(keyDER); err != nil {
			t.Fatalf("private_key is not base64 SEC1: %v", err)
		}
	})

	t.Run("pem_bundle with remove_roots_from_chain", func(t *testing.T) {
		d := h.write("issue/web", map[string]interface{}{
			"common_name": "b.example.com", "format": "pem_bundle", "remove_roots_from_chain": "true",
		}).data(t)
		var types []string
		rest := []byte(str(t, d, "certificate"))
		for {
			var block *pem.Block
			block, rest = pem.Decode(rest)
			if block == nil {
				break
			}
			types = append(types, block.Type)
		}
		if got := strings.Join(types, ","); got != "EC PRIVATE KEY,CERTIFICATE,CERTIFICATE,CERTIFICATE" {
			t.Fatalf("bundle holds %s; want key, leaf and the full chain", got)
		}
		chain := strList(t, d, "ca_chain")
		if len(chain) != 1 || parseCertPEM(t, chain[0]).Subject.CommonName != pkitest.DefaultCAName {
			t.Fatalf("ca_chain without roots: want only the issuing CA, got %d", len(chain))
		}
	})

	t.Run("pem_bundle with pkcs8 keeps the key's own encoding in the bundle", func(t *testing.T) {
		d := h.write("issue/web", map[string]interface{}{
			"common_name": "p8.example.com", "format": "pem_bundle", "private_key_format": "pkcs8",
		}).data(t)
		if block, _ := pem.Decode([]byte(str(t, d, "private_key"))); block == nil || block.Type != "PRIVATE KEY" {
			t.Fatal("private_key must be PKCS#8 with private_key_format=pkcs8")
		}
		if block, _ := pem.Decode([]byte(str(t, d, "certificate"))); block == nil || block.Type != "EC PRIVATE KEY" {
			t.Fatal("native's pem_bundle carries the key as SEC1/PKCS#1 whatever private_key_format says")
		}
	})
}

func TestIssueRejectsBadInputWithoutCallingTheCA(t *testing.T) {
	cases := []struct {
		name   string
		path   string
		data   map[string]interface{}
		status int
		text   string
	}{
		{"unknown role", "issue/nope", map[string]interface{}{"common_name": "a.example.com"}, 400, "unknown role: nope"},
		{"name outside role", "issue/web", map[string]interface{}{"common_name": "test.other.com"}, 400, "common name test.other.com not allowed by this role"},
		{"alt name outside role", "issue/web", map[string]interface{}{"common_name": "a.example.com", "alt_names": "x.other.com"}, 400, "subject alternate name x.other.com not allowed by this role"},
		{"dns_sans outside role", "issue/web", map[string]interface{}{"common_name": "a.example.com", "dns_sans": "x.other.com"}, 400, "subject alternate name x.other.com not allowed by this role"},
		{"bare domain", "issue/web", map[string]interface{}{"common_name": "example.com"}, 400, "common name example.com not allowed by this role"},
		{"missing CN", "issue/web", map[string]interface{}{}, 400, `the common_name field is required`},
		{"bad format", "issue/web", map[string]interface{}{"common_name": "a.example.com", "format": "p12"}, 400, `the "format" path parameter must be "pem", "der", or "pem_bundle"`},
		{"bad ip", "issue/web", map[string]interface{}{"common_name": "a.example.com", "ip_sans": "notip"}, 400, `the value "notip" is not a valid IP address`},
		{"ttl and not_after", "issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "1h", "not_after": "2030-01-01T00:00:00Z"}, 400, "Either ttl or not_after should be provided."},
		{"bad not_after", "issue/web", map[string]interface{}{"common_name": "a.example.com", "not_after": "tomorrow"}, 400, `parsing time "tomorrow"`},
		{"negative ttl", "issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "-5"}, 400, "cannot provide negative value"},
		{"invalid metadata", "issue/web", map[string]interface{}{"common_name": "a.example.com", "metadata": "{not json"}, 400, "metadata must be a JSON object"},
		{"metadata array", "issue/web", map[string]interface{}{"common_name": "a.example.com", "metadata": `["a"]`}, 400, "metadata must be a JSON object"},
		{"nested metadata", "issue/web", map[string]interface{}{"common_name": "a.example.com", "metadata": `{"a":{"b":1}}`}, 400, `the value of "a" must be a string`},
		{"cert_metadata", "issue/web", map[string]interface{}{"common_name": "a.example.com", "cert_metadata": "YWJj"}, 500, "certificate metadata is only supported on Vault Enterprise"},
		{"pinned ca", "issue/pinned", map[string]interface{}{"common_name": "a.example.com", "ca": "Other CA"}, 400, `ca "Other CA" is not allowed by this role`},
		{"pinned template", "issue/pinned", map[string]interface{}{"common_name": "a.example.com", "template": "Vault"}, 400, `template "Vault" is not allowed by this role`},
		{"key type any", "issue/any", map[string]interface{}{"common_name": "a.example.com"}, 400, `role key type "any" not allowed for issuing certificates, only signing`},
		{"sign without csr", "sign/web", map[string]interface{}{"common_name": "a.example.com"}, 400, `"csr" is empty`},
		{"sign garbage csr", "sign/web", map[string]interface{}{"csr": "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----"}, 400, "certificate request could not be parsed"},
		{"sign non-PEM csr", "sign/web", map[string]interface{}{"csr": "hello"}, 400, "csr contains no data"},
	}
	h := newHarness(t, pkitest.DefaultCAName, "Other CA")
	h.configure(nil)
	h.webRole(nil)
	h.role("pinned", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "ca": pkitest.DefaultCAName, "template": "WebServer"})
	h.role("any", map[string]interface{}{"allow_any_name": true, "key_type": "any"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(h.ca.SignRequests())
			mustFail(t, h.write(tc.path, tc.data), tc.status, tc.text)
			if len(h.ca.SignRequests()) != before {
				t.Fatal("bad input reached the CA")
			}
			if keys := h.certKeys(); len(keys) != 0 {
				t.Fatalf("a failed issuance stored %v", keys)
			}
		})
	}
}

func TestIssueUnconfigured(t *testing.T) {
	h := newHarness(t)
	h.webRole(nil)
	mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}), 400, "not configured")
}

func TestIssueCAFailures(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		text   string
	}{
		{"unreachable", &pkicompat.UnavailableError{Message: "Command unreachable: connection refused"}, 503, "CA sign failed: Command unreachable: connection refused"},
		{"timeout", &pkicompat.UnavailableError{Message: "Command did not answer in 30s", Timeout: true}, 504, "CA sign failed: Command did not answer in 30s"},
		{"CA error", errors.New("Command answered HTTP 500, ErrorCode 0xA0110001: template disabled"), 502, "CA sign failed: Command answered HTTP 500, ErrorCode 0xA0110001: template disabled"},
		{"CA rejects input", &pkicompat.ValidationError{Message: "Command answered HTTP 400: bad SAN"}, 400, "CA sign failed: Command answered HTTP 400: bad SAN"},
		{"not implemented", codedError{status: 501, msg: "no CSR enrollment"}, 501, "no CSR enrollment"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.configure(nil)
			h.webRole(nil)
			h.ca.FailSign(tc.err)
			mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}), tc.status, tc.text)
			if keys := h.certKeys(); len(keys) != 0 {
				t.Fatalf("a failed issuance stored %v", keys)
			}
		})
	}
	t.Run("pending approval", func(t *testing.T) {
		h := newHarness(t)
		h.configure(nil)
		h.webRole(nil)
		h.ca.HoldSigns("4711")
		mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}), http.StatusConflict, "certificate request 4711 is pending approval")
		if keys := h.certKeys(); len(keys) != 0 {
			t.Fatalf("a pending issuance stored %v", keys)
		}
	})
	t.Run("unknown CA", func(t *testing.T) {
		h := newHarness(t)
		h.configure(nil)
		h.webRole(nil)
		mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ca": "Nope CA"}), 404, `CA sign failed: unknown CA "Nope CA"`)
	})
	t.Run("unknown template", func(t *testing.T) {
		h := newHarness(t)
		h.configure(nil)
		h.webRole(nil)
		mustFail(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "template": "Nope"}), 400, `template "Nope" does not exist`)
	})
}

func TestIssueNeverStoresPrivateKeys(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	for _, kt := range []string{"rsa", "ec", "ed25519"} {
		h.webRole(map[string]interface{}{"key_type": kt})
		for _, format := range []string{"pem", "der", "pem_bundle"} {
			d := h.write("issue/web", map[string]interface{}{"common_name": "k.example.com", "format": format}).data(t)
			key := str(t, d, "private_key")
			var der []byte
			if format == "der" {
				der, _ = base64.StdEncoding.DecodeString(key)
			} else {
				block, _ := pem.Decode([]byte(key))
				der = block.Bytes
			}
			for k, v := range h.storedEntries() {
				if bytes.Contains(v, []byte("PRIVATE KEY")) || bytes.Contains(v, der) ||
					bytes.Contains(v, []byte(base64.StdEncoding.EncodeToString(der))) {
					t.Fatalf("storage entry %s holds the private key (%s, %s)", k, kt, format)
				}
			}
		}
	}
}

func TestIssueRecordsCertificate(t *testing.T) {
	h := newHarness(t)
	h.configure(map[string]interface{}{"template": "WebServer"})
	h.webRole(map[string]interface{}{"metadata": `{"team":"web","tier":"1"}`})
	d := h.write("issue/web", map[string]interface{}{
		"common_name": "a.example.com",
		// The seed's documented form, escaped quotes and all.
		"metadata": `{ \"testMetadata\": \"arbitrary string value\", \"tier\": 2 }`,
	}).data(t)
	serial := str(t, d, "serial_number")
	req := h.ca.SignRequests()[0]
	want := map[string]string{"team": "web", "tier": "2", "testMetadata": "arbitrary string value"}
	if len(req.Metadata) != len(want) {
		t.Fatalf("metadata sent: %v, want %v", req.Metadata, want)
	}
	for k, v := range want {
		if req.Metadata[k] != v {
			t.Fatalf("metadata %s: %q, want %q", k, req.Metadata[k], v)
		}
	}
	key := "certs/" + strings.ReplaceAll(serial, ":", "-")
	entry, err := h.storage.Get(h.ctx, key)
	if err != nil || entry == nil {
		t.Fatalf("no record at %s: %v", key, err)
	}
	// The CA's id sits inside a JSON object, as a string.
	if entry.Value[0] != '{' || !bytes.Contains(entry.Value, []byte(`"certificate_id":"41"`)) {
		t.Fatalf("record does not hold the certificate id as a string in an object: %s", entry.Value)
	}
	if !bytes.Contains(entry.Value, []byte(`"testMetadata":"arbitrary string value"`)) {
		t.Fatalf("record lacks the metadata: %s", entry.Value)
	}
}

func TestIssueCASelection(t *testing.T) {
	h := newHarness(t, "CA One", "CA Two")
	h.configure(map[string]interface{}{"ca": "CA One"})
	h.webRole(nil)
	h.role("pinned", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "ca": "CA Two"})
	h.role("open", map[string]interface{}{"allowed_domains": "example.com", "allow_subdomains": true, "ca": "CA Two", "template": "Vault", "allow_request_overrides": true})

	issuer := func(path string, data map[string]interface{}) string {
		t.Helper()
		r := h.write(path, data)
		mustOK(t, r)
		return parseCertPEM(t, str(t, r.data(t), "issuing_ca")).Subject.CommonName
	}
	cn := func(extra map[string]interface{}) map[string]interface{} {
		d := map[string]interface{}{"common_name": "a.example.com"}
		for k, v := range extra {
			d[k] = v
		}
		return d
	}
	cases := []struct {
		name, path string
		data       map[string]interface{}
		want       string
	}{
		{"config default", "issue/web", cn(nil), "CA One"},
		{"request ca on an unpinned role", "issue/web", cn(map[string]interface{}{"ca": "CA Two"}), "CA Two"},
		{"role pins", "issue/pinned", cn(nil), "CA Two"},
		{"request repeats the pinned ca", "issue/pinned", cn(map[string]interface{}{"ca": "CA Two"}), "CA Two"},
		{"override allowed", "issue/open", cn(map[string]interface{}{"ca": "CA One", "template": "WebServer"}), "CA One"},
		{"issuer path by CA name", "issuer/CA-Two/issue/web", cn(nil), "CA Two"},
		{"issuer path default", "issuer/default/issue/web", cn(nil), "CA One"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := issuer(tc.path, tc.data); got != tc.want {
				t.Fatalf("issued by %q, want %q", got, tc.want)
			}
		})
	}
	last := h.ca.SignRequests()
	if tmpl := last[4].Template; tmpl != "WebServer" {
		t.Fatalf("override template not sent: %q", tmpl)
	}
	t.Run("issuer path by id", func(t *testing.T) {
		keys := strList(t, h.list("issuers/").data(t), "keys")
		var twoID string
		for _, id := range keys {
			if str(t, h.read("issuer/"+id).data(t), "issuer_name") == "CA-Two" {
				twoID = id
			}
		}
		if twoID == "" {
			t.Fatal("CA Two not listed")
		}
		if got := issuer("issuer/"+twoID+"/issue/web", cn(nil)); got != "CA Two" {
			t.Fatalf("issued by %q", got)
		}
		mustFail(t, h.write("issuer/"+twoID+"/issue/web", cn(map[string]interface{}{"ca": "CA One"})), 400, "conflicts with the issuer")
	})
	t.Run("pinned role refuses another ca", func(t *testing.T) {
		mustFail(t, h.write("issue/pinned", cn(map[string]interface{}{"ca": "CA One"})), 400, `ca "CA One" is not allowed by this role: the role pins ca "CA Two"`)
	})
}

func TestIssueTTLRules(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil) // max_ttl 72h
	r := h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "100h", "bogus_field": "x"})
	mustOK(t, r)
	ttlWarning := `TTL "100h0m0s" is longer than permitted maxTTL "72h0m0s", so maxTTL is being used`
	want := []string{ttlWarning, ttlWarning, "Endpoint ignored these unrecognized parameters: [bogus_field]"}
	if strings.Join(r.resp.Warnings, "|") != strings.Join(want, "|") {
		t.Fatalf("warnings:\n got %q\nwant %q", r.resp.Warnings, want)
	}
	if d := time.Until(h.ca.SignRequests()[0].NotAfter); d < 71*time.Hour || d > 73*time.Hour {
		t.Fatalf("requested notAfter not capped to 72h: %v", d)
	}

	// not_after is not capped by max_ttl, as native.
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "not_after": "2030-01-02T03:04:05Z"}))
	if got := h.ca.SignRequests()[1].NotAfter.UTC().Format(time.RFC3339); got != "2030-01-02T03:04:05Z" {
		t.Fatalf("not_after sent: %s", got)
	}

	// No ttl anywhere: the mount default, capped by the role's max.
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}))
	if d := time.Until(h.ca.SignRequests()[2].NotAfter); d < 71*time.Hour || d > 73*time.Hour {
		t.Fatalf("default ttl not capped: %v", d)
	}

	// String-typed values as Vault Agent and cert-manager send them.
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "2h0m0s", "exclude_cn_from_sans": "true", "alt_names": "b.example.com"}))
	if got := h.ca.SignRequests()[3].DNSNames; strings.Join(got, ",") != "b.example.com" {
		t.Fatalf("exclude_cn_from_sans=\"true\" ignored: %v", got)
	}
}

func TestIssueWarnsWhenCADecidesValidity(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.SetValidity(365 * 24 * time.Hour)
	r := h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "1h"})
	mustOK(t, r)
	if len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "the CA's template decides validity") {
		t.Fatalf("want a validity warning, got %q", r.resp.Warnings)
	}
}

func TestIssueNoStoreAndLeases(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"no_store": true})
	d := h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"}).data(t)
	if keys := h.certKeys(); len(keys) != 0 {
		t.Fatalf("no_store role stored %v", keys)
	}
	if r := h.read("cert/" + str(t, d, "serial_number")); r.status != http.StatusNotFound {
		t.Fatalf("no_store certificate readable: %d", r.status)
	}
	mustFail(t, h.write("revoke", map[string]interface{}{"serial_number": str(t, d, "serial_number")}), 400, "not found")

	h.webRole(map[string]interface{}{"generate_lease": true})
	r := h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ttl": "1h"})
	mustOK(t, r)
	if r.resp.Secret == nil || r.resp.Secret.Renewable {
		t.Fatalf("want a non-renewable lease, got %+v", r.resp.Secret)
	}
	if ttl := r.resp.Secret.TTL; ttl < 59*time.Minute || ttl > time.Hour+time.Minute {
		t.Fatalf("lease TTL %v, want about 1h", ttl)
	}
	serial := str(t, r.data(t), "serial_number")

	// Revoking the lease revokes the certificate at the CA.
	leaf := parseCertPEM(t, str(t, r.data(t), "certificate"))
	resp, err := h.mount.Backend.HandleRequest(h.ctx, secretRevokeRequest(h, r.resp.Secret))
	if err != nil || (resp != nil && resp.IsError()) {
		t.Fatalf("lease revocation failed: %v %v", err, resp)
	}
	if !h.ca.IsRevoked(leaf.SerialNumber) {
		t.Fatal("lease revocation did not revoke at the CA")
	}
	cd := h.read("cert/" + serial).data(t)
	if num(t, cd, "revocation_time") == 0 {
		t.Fatal("revoked certificate shows no revocation_time")
	}

	// no_store wins over generate_lease.
	h.webRole(map[string]interface{}{"generate_lease": true, "no_store": true})
	r = h.write("issue/web", map[string]interface{}{"common_name": "a.example.com"})
	mustOK(t, r)
	if r.resp.Secret != nil {
		t.Fatal("no_store=true must suppress the lease")
	}
}

func TestSign(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec"})
	csr, key := newCSR(t, "s.example.com", "s.example.com", "t.example.com")

	r := h.write("sign/web", map[string]interface{}{"csr": csr, "common_name": "ignored.example.com", "ttl": "1h"})
	mustOK(t, r)
	d := r.data(t)
	leaf := parseCertPEM(t, str(t, d, "certificate"))
	if same, _ := certutil.ComparePublicKeys(key.Public(), leaf.PublicKey); !same {
		t.Fatal("signed certificate is not for the CSR's key")
	}
	if _, ok := d["private_key"]; ok {
		t.Fatal("sign must not return a private key")
	}
	if _, ok := d["private_key_type"]; ok {
		t.Fatal("sign must not return private_key_type")
	}
	if len(strList(t, d, "ca_chain")) != 2 {
		t.Fatal("ca_chain missing on sign")
	}
	if len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "use_csr_common_name") {
		t.Fatalf("want native's use_csr_common_name warning, got %q", r.resp.Warnings)
	}

	bad := []struct {
		name string
		role map[string]interface{}
		csr  func() string
		data map[string]interface{}
		text string
	}{
		{"CSR CN outside role", nil, func() string { c, _ := newCSR(t, "evil.other.com"); return c }, nil, "common name evil.other.com not allowed by this role"},
		{"CSR SAN outside role", nil, func() string { c, _ := newCSR(t, "a.example.com", "evil.other.com"); return c }, nil, "subject alternate name evil.other.com not allowed by this role"},
		{"CSR key type", map[string]interface{}{"key_type": "rsa"}, func() string { c, _ := newCSR(t, "a.example.com"); return c }, nil, "role requires keys of type rsa"},
		{"CSR CN differs when the role ignores it", map[string]interface{}{"key_type": "ec", "use_csr_common_name": false}, func() string { c, _ := newCSR(t, "b.example.com"); return c },
			map[string]interface{}{"common_name": "a.example.com"}, `the CSR's common name "b.example.com" is not the approved common name "a.example.com"`},
		{"CSR SANs the role ignores", map[string]interface{}{"key_type": "ec", "use_csr_sans": false}, func() string { c, _ := newCSR(t, "a.example.com", "hidden.example.com"); return c },
			nil, "subject alternative names the role did not approve for this request: hidden.example.com"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			fields := map[string]interface{}{"key_type": "ec"}
			for k, v := range tc.role {
				fields[k] = v
			}
			h.webRole(fields)
			data := map[string]interface{}{"csr": tc.csr()}
			for k, v := range tc.data {
				data[k] = v
			}
			before := len(h.ca.SignRequests())
			mustFail(t, h.write("sign/web", data), 400, tc.text)
			if len(h.ca.SignRequests()) != before {
				t.Fatal("refused CSR reached the CA")
			}
		})
	}
}

func TestSignVerbatim(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	csr, _ := newCSR(t, "anything.other.org", "anything.other.org")
	for _, path := range []string{"sign-verbatim", "sign-verbatim/web", "issuer/default/sign-verbatim", "issuer/default/sign-verbatim/web"} {
		t.Run(path, func(t *testing.T) {
			r := h.write(path, map[string]interface{}{"csr": csr, "key_usage": "CertSign", "ttl": "1h"})
			mustOK(t, r)
			leaf := parseCertPEM(t, str(t, r.data(t), "certificate"))
			if leaf.Subject.CommonName != "anything.other.org" || strings.Join(leaf.DNSNames, ",") != "anything.other.org" {
				t.Fatalf("names not taken verbatim: %v %v", leaf.Subject.CommonName, leaf.DNSNames)
			}
			if len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "key_usage ignored") {
				t.Fatalf("want a key_usage warning, got %q", r.resp.Warnings)
			}
		})
	}
	mustFail(t, h.write("sign-verbatim/nope", map[string]interface{}{"csr": csr}), 400, "unknown role: nope")
}

func TestIssueSubjectExtrasReachTheCSR(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{
		"key_type": "ec", "allowed_other_sans": "*", "allowed_user_ids": "*", "allowed_serial_numbers": "*", "allowed_uri_sans": "spiffe://example.com/*",
		"organization": "Example Org",
	})
	r := h.write("issue/web", map[string]interface{}{
		"common_name": "x.example.com", "ip_sans": "10.1.2.3", "uri_sans": "spiffe://example.com/x",
		"other_sans": "1.3.6.1.4.1.311.20.2.3;UTF8:devops@example.com", "user_ids": "bob", "serial_number": "SN1",
	})
	mustOK(t, r)
	d := r.data(t)
	csr := h.ca.SignRequests()[0].CSR
	if csr.Subject.SerialNumber != "SN1" || strings.Join(csr.Subject.Organization, ",") != "Example Org" {
		t.Fatalf("CSR subject: %v", csr.Subject)
	}
	foundUID := false
	for _, n := range csr.Subject.Names {
		if n.Type.Equal(certutil.SubjectPilotUserIDAttributeOID) && n.Value == "bob" {
			foundUID = true
		}
	}
	if !foundUID {
		t.Fatal("user_ids not in the CSR subject")
	}
	others, err := certutil.GetOtherSANsFromX509Extensions(csr.Extensions)
	if err != nil || len(others) != 1 || others[0].Value != "devops@example.com" {
		t.Fatalf("other SANs in the CSR: %v %v", others, err)
	}
	if len(csr.IPAddresses) != 1 || len(csr.URIs) != 1 || strings.Join(csr.DNSNames, ",") != "x.example.com" {
		t.Fatalf("CSR SANs: %v %v %v", csr.DNSNames, csr.IPAddresses, csr.URIs)
	}
	leaf := parseCertPEM(t, str(t, d, "certificate"))
	if leaf.Subject.SerialNumber != "SN1" || len(leaf.IPAddresses) != 1 || len(leaf.URIs) != 1 {
		t.Fatalf("leaf: %v %v %v", leaf.Subject, leaf.IPAddresses, leaf.URIs)
	}
}

func TestSignWarnsAboutCSRSubjectAttributes(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec"})
	_, key := newCSR(t, "x")
	_, csr := testcerts.CSR(t, key, &x509.CertificateRequest{
		Subject:  pkix.Name{CommonName: "o.example.com", Organization: []string{"Someone Else"}},
		DNSNames: []string{"o.example.com"},
	})
	r := h.write("sign/web", map[string]interface{}{"csr": csr, "ttl": "1h"})
	mustOK(t, r)
	if len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "its organization will appear in the certificate") {
		t.Fatalf("warnings: %q", r.resp.Warnings)
	}
}
