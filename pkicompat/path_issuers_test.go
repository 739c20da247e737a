package pkicompat_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestIssuers(t *testing.T) {
	h := newHarness(t, "Corp\\Issuing CA", "Second CA")
	if r := h.list("issuers/"); r.status != 404 {
		t.Fatalf("issuers before config: want 404, got %d", r.status)
	}
	h.configure(map[string]interface{}{"ca": "Corp\\Issuing CA"})
	h.webRole(nil)

	d := h.list("issuers/").data(t)
	keys := strList(t, d, "keys")
	if len(keys) != 1 || !uuidRe.MatchString(keys[0]) {
		t.Fatalf("issuers/: want the default CA's UUID, got %v", keys)
	}
	defaultID := keys[0]
	info := d["key_info"].(map[string]interface{})[defaultID].(map[string]interface{})
	if info["issuer_name"] != "Corp-Issuing-CA" || info["is_default"] != true || info["key_id"] != "" {
		t.Fatalf("key_info: %v", info)
	}
	if want := colonSerial(h.ca.Issuing("Corp\\Issuing CA")); info["serial_number"] != want {
		t.Fatalf("key_info serial_number = %v, want the CA certificate's %s", info["serial_number"], want)
	}

	// Issuing from another CA adds it.
	mustOK(t, h.write("issue/web", map[string]interface{}{"common_name": "a.example.com", "ca": "Second CA"}))
	keys = strList(t, h.list("issuers/").data(t), "keys")
	if len(keys) != 2 {
		t.Fatalf("issuers/ after using a second CA: %v", keys)
	}

	issuing := h.ca.Issuing("Corp\\Issuing CA")
	for _, ref := range []string{"default", defaultID, "Corp-Issuing-CA"} {
		t.Run(ref, func(t *testing.T) {
			d := h.read("issuer/" + ref).data(t)
			if str(t, d, "issuer_id") != defaultID || str(t, d, "issuer_name") != "Corp-Issuing-CA" {
				t.Fatalf("issuer: %v", d)
			}
			if !bytes.Equal(parseCertPEM(t, str(t, d, "certificate")).Raw, issuing.Raw) {
				t.Fatal("issuer certificate")
			}
			if chain := strList(t, d, "ca_chain"); len(chain) != 2 {
				t.Fatalf("issuer ca_chain: %d entries", len(chain))
			}
			if d["revoked"] != false || str(t, d, "leaf_not_after_behavior") != "err" {
				t.Fatalf("issuer fields: %v", d)
			}
			// Native's key set, with usage sorted as native sorts it.
			if str(t, d, "usage") != "crl-signing,issuing-certificates,ocsp-signing,read-only" {
				t.Fatalf("issuer usage = %q", d["usage"])
			}
			if d["enable_aia_url_templating"] != false || len(strList(t, d, "delta_crl_distribution_points")) != 0 {
				t.Fatalf("issuer lacks native's delta_crl_distribution_points/enable_aia_url_templating: %v", d)
			}
		})
	}
	if !bytes.Equal(raw(t, h.read("issuer/default/der"), 200, "application/pkix-cert"), issuing.Raw) {
		t.Fatal("issuer/default/der")
	}
	if block, _ := pem.Decode(raw(t, h.read("issuer/"+defaultID+"/pem"), 200, "application/pem-certificate-chain")); block == nil || !bytes.Equal(block.Bytes, issuing.Raw) {
		t.Fatal("issuer/:id/pem")
	}
	jd := h.read("issuer/default/json").data(t)
	if len(strList(t, jd, "ca_chain")) != 2 || !strings.Contains(str(t, jd, "certificate"), "BEGIN CERTIFICATE") {
		t.Fatalf("issuer json: %v", jd)
	}
	if str(t, jd, "issuer_id") != defaultID || str(t, jd, "issuer_name") != "Corp-Issuing-CA" {
		t.Fatalf("issuer json lacks native's issuer_id/issuer_name: %v", jd)
	}
	if block, _ := pem.Decode(raw(t, h.read("issuer/default/crl/der"), 200, "application/pkix-crl")); block != nil {
		t.Fatal("crl/der must be DER, not PEM")
	}
	if block, _ := pem.Decode(raw(t, h.read("issuer/default/crl/pem"), 200, "application/x-pem-file")); block == nil || block.Type != "X509 CRL" {
		t.Fatal("issuer crl/pem")
	}
	if !strings.Contains(str(t, h.read("issuer/default/crl").data(t), "crl"), "X509 CRL") {
		t.Fatal("issuer crl json")
	}
	mustFail(t, h.read("issuer/Nope"), 400, "unable to resolve issuer id for reference: Nope")

	// Ids survive a restart: a new backend on the same storage lists the same ids.
	again := newHarnessOn(t, h.ca, h.storage)
	if got := strList(t, again.list("issuers/").data(t), "keys"); strings.Join(got, ",") != strings.Join(keys, ",") {
		t.Fatalf("issuer ids changed across a restart: %v vs %v", got, keys)
	}
	if str(t, again.read("issuer/"+defaultID).data(t), "issuer_name") != "Corp-Issuing-CA" {
		t.Fatal("issuer id not resolvable after a restart")
	}
}

func TestIssuerReadUnconfigured(t *testing.T) {
	h := newHarness(t)
	mustFail(t, h.read("issuer/default"), 400, "not configured")
	mustFail(t, h.read("issuer/default/pem"), 400, "not configured")
}

// colonSerial is a certificate serial as native prints it: lowercase hex bytes joined by ':'.
func colonSerial(c *x509.Certificate) string {
	b := c.SerialNumber.Bytes()
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}
