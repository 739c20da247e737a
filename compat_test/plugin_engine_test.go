package compattest

import (
	"crypto/x509"
	"testing"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// commandCAName is a simulator CA in the driver's "HostName\LogicalName" spelling.
func commandCAName(logicalName string) string {
	return commandtest.DefaultCAHost + `\` + logicalName
}

// simulatorCA returns one of the simulator's issuing CAs with its key, so native PKI can import
// it and both engines sign under the same issuer.
func simulatorCA(t *testing.T, sim *commandtest.Server, logicalName string) *issuingCA {
	t.Helper()
	cert, key := sim.CAKeyPair(logicalName)
	if cert == nil || key == nil {
		t.Fatalf("the simulator has no key pair for %s", logicalName)
	}
	root := sim.RootCertificate()
	if root == nil {
		t.Fatal("the simulator has no root certificate")
	}
	return &issuingCA{CA: testcerts.CA{Cert: cert, Key: key}, chain: []*x509.Certificate{root}}
}

// newPluginEngine mounts this plugin (pkicompat with the Keyfactor driver) and configures it
// against sim with Basic authentication over plain HTTP and caLogicalName as its default CA,
// letting the config write run its connection check.
func newPluginEngine(t *testing.T, sim *commandtest.Server, caLogicalName string) *engine {
	t.Helper()
	e := startEngine(t, "plugin", pkicompat.Factory(keyfactor.NewProvider()))
	e.mustSucceed(t, logical.UpdateOperation, "config", map[string]interface{}{
		"url":      sim.URL,
		"api_path": sim.APIPath,
		"username": commandtest.DefaultUsername,
		"password": commandtest.DefaultPassword,
		"domain":   commandtest.DefaultDomain,
		"ca":       commandCAName(caLogicalName),
		"template": commandtest.DefaultTemplate,
	})
	return e
}
