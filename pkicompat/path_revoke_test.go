package pkicompat_test

import (
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

func TestRevokeBySerial(t *testing.T) {
	for _, field := range []string{"serial_number", "serial"} {
		t.Run(field, func(t *testing.T) {
			h := newHarness(t)
			h.configure(nil)
			h.webRole(nil)
			serial, leaf := issueOne(t, h)

			r := h.write("revoke", map[string]interface{}{field: strings.ToUpper(strings.ReplaceAll(serial, ":", "-"))})
			mustOK(t, r)
			d := r.data(t)
			when := num(t, d, "revocation_time")
			rfc := str(t, d, "revocation_time_rfc3339")
			if str(t, d, "state") != "revoked" || when == 0 {
				t.Fatalf("revoke answer: %v", d)
			}
			parsed, err := time.Parse(time.RFC3339Nano, rfc)
			if err != nil || parsed.Unix() != when || parsed.Location() != time.UTC {
				t.Fatalf("revocation_time_rfc3339 %q does not match %d in UTC", rfc, when)
			}
			if !h.ca.IsRevoked(leaf.SerialNumber) {
				t.Fatal("not revoked at the CA")
			}
			if id := h.ca.RevokeRequests()[0].CertificateID; id != "41" {
				t.Fatalf("the stored CA id was not used: %q", id)
			}

			// Idempotent: the same answer, no second CA call.
			again := h.write("revoke", map[string]interface{}{"serial_number": serial}).data(t)
			if num(t, again, "revocation_time") != when || str(t, again, "revocation_time_rfc3339") != rfc {
				t.Fatalf("second revoke changed the answer: %v", again)
			}
			if n := len(h.ca.RevokeRequests()); n != 1 {
				t.Fatalf("second revoke called the CA again (%d calls)", n)
			}

			// Still readable, with its revocation.
			cd := h.read("cert/" + serial).data(t)
			if num(t, cd, "revocation_time") != when || str(t, cd, "revocation_time_rfc3339") != rfc || !uuidRe.MatchString(str(t, cd, "issuer_id")) {
				t.Fatalf("cert after revoke: %v", cd)
			}
		})
	}
}

func TestRevokeRejects(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	serial, leaf := issueOne(t, h)
	leafPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))
	foreign, err := pkitest.New("Foreign CA")
	if err != nil {
		t.Fatal(err)
	}
	foreignPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: foreign.Issuing("Foreign CA").Raw}))
	issuingPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.ca.Issuing(pkitest.DefaultCAName).Raw}))

	cases := []struct {
		name string
		path string
		data map[string]interface{}
		code int
		text string
	}{
		{"nothing", "revoke", map[string]interface{}{}, 400, "The serial number or certificate to revoke must be provided."},
		{"both", "revoke", map[string]interface{}{"serial_number": serial, "certificate": leafPEM}, 400, "Must provide either the certificate or the serial to revoke; not both."},
		{"unknown serial", "revoke", map[string]interface{}{"serial_number": "01:02:03"}, 400, "certificate with serial 01:02:03 not found."},
		{"not a serial", "revoke", map[string]interface{}{"serial_number": "xyz"}, 400, "certificate with serial xyz not found."},
		{"garbage certificate", "revoke", map[string]interface{}{"certificate": "hello"}, 400, "certificate must be a PEM CERTIFICATE block"},
		{"foreign certificate", "revoke", map[string]interface{}{"certificate": foreignPEM}, 400, "not issued by any issuer of this mount"},
		{"issuer certificate", "revoke", map[string]interface{}{"certificate": issuingPEM}, 400, "to its own CRL is not allowed"},
		{"with-key, no key", "revoke-with-key", map[string]interface{}{"serial_number": serial}, 400, "Must have private key to revoke via the /revoke-with-key path."},
		{"with-key, short key", "revoke-with-key", map[string]interface{}{"serial_number": serial, "private_key": "abc"}, 400, "Provided data for private_key was too short"},
		{"with-key, wrong key", "revoke-with-key", map[string]interface{}{"serial_number": serial, "private_key": otherKeyPEM(t)}, 500, "provided private key does not match certificate's public key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mustFail(t, h.write(tc.path, tc.data), tc.code, tc.text)
			if len(h.ca.RevokeRequests()) != 0 {
				t.Fatal("a refused revocation reached the CA")
			}
		})
	}
	if num(t, h.read("cert/"+serial).data(t), "revocation_time") != 0 {
		t.Fatal("refused revocations changed the record")
	}
}

func otherKeyPEM(t *testing.T) string {
	t.Helper()
	_, key := newCSR(t, "x")
	text, err := marshalKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func TestRevokeWithKey(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "ec"})
	d := h.write("issue/web", map[string]interface{}{"common_name": "k.example.com", "ttl": "1h"}).data(t)
	r := h.write("revoke-with-key", map[string]interface{}{"serial_number": str(t, d, "serial_number"), "private_key": str(t, d, "private_key")})
	mustOK(t, r)
	if str(t, r.data(t), "state") != "revoked" {
		t.Fatalf("revoke-with-key: %v", r.data(t))
	}
	for k, v := range h.storedEntries() {
		if strings.Contains(string(v), "PRIVATE KEY") {
			t.Fatalf("revoke-with-key stored the private key in %s", k)
		}
	}
}

func TestRevokeByCertificate(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"no_store": true})
	d := h.write("issue/web", map[string]interface{}{"common_name": "n.example.com", "ttl": "1h"}).data(t)
	// A no_store certificate can still be revoked by handing in the certificate; it is then
	// recorded, as native does.
	r := h.write("revoke", map[string]interface{}{"certificate": str(t, d, "certificate")})
	mustOK(t, r)
	leaf := parseCertPEM(t, str(t, d, "certificate"))
	if !h.ca.IsRevoked(leaf.SerialNumber) {
		t.Fatal("not revoked at the CA")
	}
	if got := h.ca.RevokeRequests()[0]; got.CertificateID != "" || got.Certificate == nil {
		t.Fatalf("an unrecorded certificate must be revoked by certificate, got %+v", got)
	}
	if num(t, h.read("cert/"+str(t, d, "serial_number")).data(t), "revocation_time") == 0 {
		t.Fatal("the revoked certificate was not recorded")
	}
}

func TestRevokeCAOutcomes(t *testing.T) {
	cases := []struct {
		name   string
		err    error
		status int
		text   string
	}{
		{"unreachable", &pkicompat.UnavailableError{Message: "Command unreachable"}, 503, "CA revoke failed: Command unreachable"},
		{"CA error", errors.New("Command answered HTTP 500"), 502, "CA revoke failed: Command answered HTTP 500"},
		{"CA does not know it", &pkicompat.NotFoundError{Message: "no such certificate"}, 404, "CA revoke failed: no such certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.configure(nil)
			h.webRole(nil)
			serial, _ := issueOne(t, h)
			h.ca.FailRevoke(tc.err)
			mustFail(t, h.write("revoke", map[string]interface{}{"serial_number": serial}), tc.status, tc.text)
			if num(t, h.read("cert/"+serial).data(t), "revocation_time") != 0 {
				t.Fatal("a failed revocation was recorded")
			}
			if r := h.list("certs/revoked/"); r.status != http.StatusNotFound {
				t.Fatal("a failed revocation was listed")
			}
		})
	}

	t.Run("held for approval", func(t *testing.T) {
		h := newHarness(t)
		h.configure(nil)
		h.webRole(nil)
		serial, leaf := issueOne(t, h)
		h.ca.HoldRevocations(true)
		r := h.write("revoke", map[string]interface{}{"serial_number": serial})
		mustOK(t, r)
		d := r.data(t)
		if str(t, d, "state") != "pending" || num(t, d, "revocation_time") != 0 {
			t.Fatalf("pending revocation answer: %v", d)
		}
		if len(r.resp.Warnings) != 1 || !strings.Contains(r.resp.Warnings[0], "holds this revocation for approval") {
			t.Fatalf("warnings: %q", r.resp.Warnings)
		}
		if num(t, h.read("cert/"+serial).data(t), "revocation_time") != 0 {
			t.Fatal("a pending revocation shows as revoked")
		}
		// Once approval is no longer needed, a retry revokes.
		h.ca.HoldRevocations(false)
		mustOK(t, h.write("revoke", map[string]interface{}{"serial_number": serial}))
		if !h.ca.IsRevoked(leaf.SerialNumber) {
			t.Fatal("retry did not revoke")
		}
	})

	t.Run("expired", func(t *testing.T) {
		h := newHarness(t)
		h.configure(nil)
		h.webRole(nil)
		d := h.write("issue/web", map[string]interface{}{"common_name": "old.example.com", "not_after": "2020-01-01T00:00:00Z"}).data(t)
		serial := str(t, d, "serial_number")
		r := h.write("revoke", map[string]interface{}{"serial_number": serial})
		mustOK(t, r)
		if len(r.resp.Data) != 0 || len(r.resp.Warnings) != 1 || r.resp.Warnings[0] != "certificate with serial "+serial+" already expired; refusing to add to CRL" {
			t.Fatalf("expired revoke: data %v warnings %q", r.resp.Data, r.resp.Warnings)
		}
		if len(h.ca.RevokeRequests()) != 0 {
			t.Fatal("expired certificate sent to the CA")
		}
	})
}
