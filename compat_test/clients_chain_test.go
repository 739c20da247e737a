package compattest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/compat_test/compare"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
)

// leafPEM issues a leaf for cn under ca.
func leafPEM(t *testing.T, ca *issuingCA, cn string) string {
	t.Helper()
	return testcerts.PEM(ca.Issue(t, testcerts.LeafTemplate(t, cn, cn), mustECKey(t).Public()))
}

func TestAssembleChainAsCertManagerNeedsIt(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	leaf := leafPEM(t, ca, "leaf.example.com")
	issuer := ca.certPEM()
	root := testcerts.PEM(ca.chain[0])
	tests := []struct {
		name    string
		pems    []string
		wantLen int
		wantErr string
	}{
		{"leaf, chain, issuer (duplicates removed)", []string{leaf, issuer + "\n" + root, issuer}, 3, ""},
		{"any order", []string{root, leaf, issuer}, 3, ""},
		{"root missing", []string{leaf, issuer}, 0, "chain broken"},
		{"issuer missing", []string{leaf, root}, 0, "chain broken"},
		{"unrelated CA", []string{leaf, issuer, root, other.certPEM()}, 0, "the chain uses 3"},
		{"no leaf", []string{issuer, root}, 0, "no leaf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain, err := assembleChain(tc.pems)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(chain) != tc.wantLen || chain[0].Subject.CommonName != "leaf.example.com" || !isSelfSigned(chain[len(chain)-1]) {
				t.Errorf("chain = %d certificates, leaf %q", len(chain), chain[0].Subject.CommonName)
			}
		})
	}
}

// TestClientChecksCatchWhatBreaksClients feeds the client checks answers shaped the way older
// plugins answered (ca_chain as one string, expiration as a string, no serial_number): each
// must be reported.
func TestClientChecksCatchWhatBreaksClients(t *testing.T) {
	ca := newTestCA(t)
	leaf := leafPEM(t, ca, "cm.example.com")
	root := testcerts.PEM(ca.chain[0])
	good := func() *compare.Observation {
		return &compare.Observation{Status: 200, Data: map[string]interface{}{
			"certificate":      leaf,
			"issuing_ca":       ca.certPEM(),
			"ca_chain":         []interface{}{ca.certPEM(), root},
			"private_key":      "-----BEGIN PRIVATE KEY-----",
			"private_key_type": "ec",
			"serial_number":    "0a:0b",
			"expiration":       json.Number(fmt.Sprint(time.Now().Add(time.Hour).Unix())),
		}}
	}
	// A sign answer (what cert-manager reads) has no private key.
	signAnswer := func() *compare.Observation {
		obs := good()
		delete(obs.Data, "private_key")
		delete(obs.Data, "private_key_type")
		return obs
	}
	if err := certManagerProblem(signAnswer()); err != nil {
		t.Fatalf("a native-shaped answer fails the cert-manager check: %v", err)
	}
	if p := terraformProblems(good()); len(p) != 0 {
		t.Fatalf("a native-shaped answer fails the terraform check: %v", p)
	}
	tests := []struct {
		name   string
		mutate func(d map[string]interface{})
	}{
		{"ca_chain as one string", func(d map[string]interface{}) { d["ca_chain"] = ca.certPEM() + "\n" + root }},
		{"expiration as a string", func(d map[string]interface{}) { d["expiration"] = "1700000000" }},
		{"no serial_number", func(d map[string]interface{}) { delete(d, "serial_number") }},
	}
	for _, tc := range tests {
		obs := good()
		tc.mutate(obs.Data)
		if p := terraformProblems(obs); len(p) == 0 {
			t.Errorf("terraform check misses %s", tc.name)
		}
	}
	noRoot := signAnswer()
	noRoot.Data["ca_chain"] = []interface{}{ca.certPEM()}
	if err := certManagerProblem(noRoot); err == nil {
		t.Error("cert-manager check misses a chain without its root")
	}
	stringChain := signAnswer()
	stringChain.Data["ca_chain"] = ca.certPEM()
	if err := certManagerProblem(stringChain); err == nil {
		t.Error("cert-manager check misses ca_chain as a string")
	}
}
