package pkicompat_test

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// issueAs sends an issue/sign write from a token of entity.
func (h *harness) writeAs(entity, path string, data map[string]interface{}) result {
	h.t.Helper()
	return h.doRequest(&logical.Request{Operation: logical.UpdateOperation, Path: path, Data: data, EntityID: entity, DisplayName: "token-" + entity})
}

// pendingKeys lists every stored key under pending/.
func (h *harness) pendingKeys() []string {
	h.t.Helper()
	var out []string
	for key := range h.storedEntries() {
		if strings.HasPrefix(key, "pending/") {
			out = append(out, key)
		}
	}
	return out
}

// TestPendingIssueRetryReceivesApprovedCertificate: a request the CA holds is remembered with
// its key (seal-wrapped); a retry checks it instead of filing another, and once approved
// receives the certificate with that key, recorded like any issuance.
func TestPendingIssueRetryReceivesApprovedCertificate(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.HoldSigns("4711")
	ask := map[string]interface{}{"common_name": "held.example.com", "ttl": "1h"}

	first := h.writeAs("ent-1", "issue/web", ask)
	mustFail(t, first, http.StatusConflict, "certificate request 4711 is pending approval")
	if !strings.Contains(first.errorText(), "pending/4711") || strings.Contains(first.errorText(), "PRIVATE KEY") {
		t.Fatalf("the answer should point at pending/4711 and hold no key: %q", first.errorText())
	}
	entry, err := h.storage.Get(h.ctx, "pending/keys/4711")
	if err != nil || entry == nil {
		t.Fatalf("the generated key was not kept: %v", err)
	}
	if !containsString(h.mount.Backend.SpecialPaths().SealWrapStorage, "pending/keys/") {
		t.Fatalf("%s is not in SealWrapStorage: %v", "pending/keys/", h.mount.Backend.SpecialPaths().SealWrapStorage)
	}
	if len(h.certKeys()) != 0 {
		t.Fatal("a held request stored a certificate record")
	}

	// Still held: the same error, no new request in the CA.
	mustFail(t, h.writeAs("ent-1", "issue/web", ask), http.StatusConflict, "4711")
	if n := len(h.ca.SignRequests()); n != 1 {
		t.Fatalf("a retry filed another request: %d sign requests", n)
	}
	if n := h.ca.HeldChecks("4711"); n != 1 {
		t.Fatalf("the retry should have checked the held request once, checked %d", n)
	}

	if err := h.ca.ApproveHeld("4711"); err != nil {
		t.Fatal(err)
	}
	ask["private_key_format"] = "pkcs8" // a retry may ask for another encoding of the same key
	d := h.writeAs("ent-1", "issue/web", ask).data(t)
	cert := parseCertPEM(t, str(t, d, "certificate"))
	if cert.Subject.CommonName != "held.example.com" {
		t.Fatalf("certificate for %q", cert.Subject.CommonName)
	}
	block, _ := pem.Decode([]byte(str(t, d, "private_key")))
	if block == nil {
		t.Fatal("no private key in the answer")
	}
	key, err := parseAnyPrivateKey(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !publicKeysEqual(t, key.Public(), cert.PublicKey) {
		t.Fatal("the private key answered is not the certificate's")
	}
	if str(t, d, "serial_number") == "" || len(strList(t, d, "ca_chain")) == 0 {
		t.Fatalf("not native's issue shape: %v", d)
	}
	if keys := h.certKeys(); len(keys) != 1 {
		t.Fatalf("the approved certificate was not recorded: %v", keys)
	}
	if keys := h.pendingKeys(); len(keys) != 0 {
		t.Fatalf("the delivered request and its key were not removed: %v", keys)
	}
	if n := len(h.ca.SignRequests()); n != 1 {
		t.Fatalf("%d sign requests, want exactly 1", n)
	}

	// Delivered once: the next identical request is a new issuance.
	h.ca.HoldSigns("")
	mustOK(t, h.writeAs("ent-1", "issue/web", ask))
	if n := len(h.ca.SignRequests()); n != 2 {
		t.Fatalf("after delivery a request should go to the CA again: %d sign requests", n)
	}
}

// TestPendingDenied: a denied request answers 400 with the denial and is forgotten.
func TestPendingDenied(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.HoldSigns("88")
	ask := map[string]interface{}{"common_name": "no.example.com"}
	mustFail(t, h.writeAs("ent-1", "issue/web", ask), http.StatusConflict, "88")
	if err := h.ca.DenyHeld("88", "not for production hosts"); err != nil {
		t.Fatal(err)
	}
	mustFail(t, h.writeAs("ent-1", "issue/web", ask), http.StatusBadRequest, "certificate request 88 was denied in the CA: not for production hosts")
	if keys := h.pendingKeys(); len(keys) != 0 {
		t.Fatalf("a denied request was kept: %v", keys)
	}
	if n := len(h.ca.SignRequests()); n != 1 {
		t.Fatalf("%d sign requests", n)
	}
	h.ca.HoldSigns("89")
	mustFail(t, h.writeAs("ent-1", "issue/web", ask), http.StatusConflict, "89")
	if n := len(h.ca.SignRequests()); n != 2 {
		t.Fatalf("after a denial the request should be filed anew: %d sign requests", n)
	}
}

// TestPendingMatchesOnlyTheSameRequest: another entity, other names or other parameters file
// their own request; the response encoding does not count.
func TestPendingMatchesOnlyTheSameRequest(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.HoldSigns("1")
	base := map[string]interface{}{"common_name": "a.example.com", "ttl": "1h"}
	mustFail(t, h.writeAs("ent-1", "issue/web", base), http.StatusConflict, "request 1 ")

	cases := []struct {
		name   string
		entity string
		data   map[string]interface{}
		newReq bool
	}{
		{"other entity", "ent-2", base, true},
		{"other name", "ent-1", map[string]interface{}{"common_name": "b.example.com", "ttl": "1h"}, true},
		{"other ttl", "ent-1", map[string]interface{}{"common_name": "a.example.com", "ttl": "2h"}, true},
		{"other SANs", "ent-1", map[string]interface{}{"common_name": "a.example.com", "ttl": "1h", "alt_names": "c.example.com"}, true},
		{"other format", "ent-1", map[string]interface{}{"common_name": "a.example.com", "ttl": "1h", "format": "der"}, false},
	}
	for i, tc := range cases {
		before := len(h.ca.SignRequests())
		h.ca.HoldSigns(string(rune('2' + i)))
		mustFail(t, h.writeAs(tc.entity, "issue/web", tc.data), http.StatusConflict, "pending approval")
		if filed := len(h.ca.SignRequests()) > before; filed != tc.newReq {
			t.Errorf("%s: filed a new request = %v, want %v", tc.name, filed, tc.newReq)
		}
	}
}

// TestPendingTokensWithoutEntityMatchOnlyThemselves: a token without an entity (root, orphan,
// token auth) is identified by its accessor, so another such token repeating the same issue/
// files its own request and can never receive the first token's kept key.
func TestPendingTokensWithoutEntityMatchOnlyThemselves(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	data := map[string]interface{}{"common_name": "a.example.com"}
	asToken := func(accessor string) result {
		t.Helper()
		return h.doRequest(&logical.Request{Operation: logical.UpdateOperation, Path: "issue/web", Data: data, ClientTokenAccessor: accessor, DisplayName: "root"})
	}
	h.ca.HoldSigns("1")
	mustFail(t, asToken("accessor-a"), http.StatusConflict, "request 1 ")

	h.ca.HoldSigns("2")
	before := len(h.ca.SignRequests())
	mustFail(t, asToken("accessor-b"), http.StatusConflict, "request 2 ")
	if len(h.ca.SignRequests()) != before+1 {
		t.Fatal("another token without an entity was matched to the first token's held request")
	}
	before = len(h.ca.SignRequests())
	mustFail(t, asToken("accessor-a"), http.StatusConflict, "request 1 ")
	if len(h.ca.SignRequests()) != before {
		t.Fatal("the first token's retry filed a new request instead of checking its held one")
	}
}

// failingPuts is storage that refuses every Put under prefix.
type failingPuts struct {
	logical.Storage
	prefix string
}

func (s failingPuts) Put(ctx context.Context, e *logical.StorageEntry) error {
	if strings.HasPrefix(e.Key, s.prefix) {
		return errors.New("storage refused the write")
	}
	return s.Storage.Put(ctx, e)
}

// TestPendingStoreFailureLeavesNoKey: when the record of a held request cannot be stored after
// its key was, the key is removed again (nothing could ever find or expire it), and the caller
// still learns that the CA holds the request.
func TestPendingStoreFailureLeavesNoKey(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.HoldSigns("77")
	req := &logical.Request{
		Operation: logical.UpdateOperation, Path: "issue/web", EntityID: "ent-1", MountPoint: h.mount.MountPoint,
		Data:    map[string]interface{}{"common_name": "unstored.example.com"},
		Storage: failingPuts{Storage: logical.NewStorageView(h.storage, ""), prefix: "pending/requests/"},
	}
	resp, err := h.mount.Backend.HandleRequest(h.ctx, req)
	pkicompat.WaitForIntentRemovals(h.mount.Backend)
	status, rerr := logical.RespondErrorCommon(req, resp, err)
	if rerr != nil {
		logical.AdjustErrorStatusCode(&status, rerr)
	}
	if rerr == nil || status != http.StatusConflict || !strings.Contains(rerr.Error(), "77") {
		t.Fatalf("answer %d %v, want 409 naming the CA's request 77", status, rerr)
	}
	if keys := h.pendingKeys(); len(keys) != 0 {
		t.Fatalf("a held request whose record could not be stored left %v behind", keys)
	}
}

// TestPendingSignRetry: sign/ (cert-manager's shape) remembers the CSR, keeps no key, and a
// retry with the same CSR receives the certificate.
func TestPendingSignRetry(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(map[string]interface{}{"key_type": "any"})
	h.ca.HoldSigns("500")
	csr, key := newCSR(t, "s.example.com", "s.example.com")
	ask := map[string]interface{}{"common_name": "s.example.com", "csr": csr}
	mustFail(t, h.writeAs("", "sign/web", ask), http.StatusConflict, "500")
	if e, _ := h.storage.Get(h.ctx, "pending/keys/500"); e != nil {
		t.Fatal("sign/ kept a key it never had")
	}
	// Another CSR for the same names is another request.
	other, _ := newCSR(t, "s.example.com", "s.example.com")
	h.ca.HoldSigns("501")
	mustFail(t, h.writeAs("", "sign/web", map[string]interface{}{"common_name": "s.example.com", "csr": other}), http.StatusConflict, "501")

	if err := h.ca.ApproveHeld("500"); err != nil {
		t.Fatal(err)
	}
	d := h.writeAs("", "sign/web", ask).data(t)
	cert := parseCertPEM(t, str(t, d, "certificate"))
	if !publicKeysEqual(t, key.Public(), cert.PublicKey) {
		t.Fatal("the certificate is not for the CSR's key")
	}
	if _, has := d["private_key"]; has {
		t.Fatal("sign/ answered a private key")
	}
	if n := len(h.ca.SignRequests()); n != 2 {
		t.Fatalf("%d sign requests, want 2", n)
	}
}

// TestPendingForgottenByTheCA: a request the CA no longer knows is forgotten and filed anew.
func TestPendingForgottenByTheCA(t *testing.T) {
	h := newHarness(t)
	h.configure(nil)
	h.webRole(nil)
	h.ca.HoldSigns("7")
	ask := map[string]interface{}{"common_name": "gone.example.com"}
	mustFail(t, h.writeAs("e", "issue/web", ask), http.StatusConflict, "7")
	h.ca.ForgetHeld("7")
	h.ca.HoldSigns("")
	mustOK(t, h.writeAs("e", "issue/web", ask))
	if keys := h.pendingKeys(); len(keys) != 0 {
		t.Fatalf("left behind: %v", keys)
	}
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func parseAnyPrivateKey(der []byte) (crypto.Signer, error) {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	return k.(crypto.Signer), nil
}

func publicKeysEqual(t *testing.T, a, b any) bool {
	t.Helper()
	da, err := x509.MarshalPKIXPublicKey(a)
	if err != nil {
		t.Fatal(err)
	}
	db, err := x509.MarshalPKIXPublicKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(da) == string(db)
}
