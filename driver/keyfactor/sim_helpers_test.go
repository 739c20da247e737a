package keyfactor

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/driver/keyfactor/commandtest"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/internal/testcerts"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// allProfiles are the Command versions the simulator imitates; every behaviour test runs on each.
var allProfiles = []commandtest.Profile{
	commandtest.Profile10, commandtest.Profile11, commandtest.Profile12, commandtest.Profile24, commandtest.Profile25,
}

// Auth methods of simConf.
const (
	authKindBasic       = "basic"
	authKindBasicPrefix = `basic DOMAIN\user`
	authKindBasicUPN    = "basic user@domain"
	authKindOAuth       = "oauth"
	authKindToken       = "static token"
	authKindCert        = "client certificate"
)

var allAuthKinds = []string{authKindBasic, authKindBasicPrefix, authKindBasicUPN, authKindOAuth, authKindToken, authKindCert}

// bearerOnly reports whether an auth kind needs Command 11+ (OAuth identity provider).
func bearerOnly(kind string) bool { return kind == authKindOAuth || kind == authKindToken }

// clientIdentity is a TLS client certificate the simulator maps to its default user.
type clientIdentity struct {
	pool    *x509.CertPool
	certPEM string
	keyPEM  string
	cn      string
}

func newClientIdentity(t *testing.T) *clientIdentity {
	t.Helper()
	pki := newTestPKI(t)
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(99), Subject: pkix.Name{CommonName: "vault-mtls"},
		NotBefore: time.Now().Add(-time.Minute), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	cert := testcerts.Issue(t, tmpl, pki.issuing, key.Public(), pki.issuingKey)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(pki.root)
	chainPEM := string(pemOf(cert)) + string(pemOf(pki.issuing))
	return &clientIdentity{
		pool:    pool,
		certPEM: chainPEM,
		keyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})),
		cn:      "vault-mtls",
	}
}

// httpProtocols are the two ways Command's IIS answers over TLS: HTTP/2 (IIS 10, the
// simulator's default) and HTTP/1.1 only (IIS 8.5). Failure handling is tested over both.
var httpProtocols = []struct {
	name string
	opts []commandtest.Option
}{
	{"h2", nil},
	{"http1", []commandtest.Option{commandtest.WithoutHTTP2()}},
}

// startSim starts a TLS simulator for profile; the client identity is accepted for certificate
// authentication.
func startSim(t *testing.T, profile commandtest.Profile, id *clientIdentity, opts ...commandtest.Option) *commandtest.Server {
	t.Helper()
	all := []commandtest.Option{commandtest.WithProfile(profile)}
	if id != nil {
		all = append(all, commandtest.WithClientCertAuth(id.pool, map[string]string{id.cn: commandtest.DefaultUsername}))
	}
	srv := commandtest.NewTLSServer(append(all, opts...)...)
	t.Cleanup(srv.Close)
	return srv
}

// simConf is a configuration for srv with one auth method; overrides replace (nil deletes) keys.
func simConf(srv *commandtest.Server, kind string, id *clientIdentity, overrides map[string]interface{}) map[string]interface{} {
	conf := map[string]interface{}{
		"url":               srv.URL,
		"api_path":          srv.APIPath,
		"ca":                commandtest.DefaultCAHost + `\` + commandtest.DefaultCALogicalName,
		"template":          commandtest.DefaultTemplate,
		"command_cert_path": string(srv.TLSCABundlePEM()),
		"timeout":           20,
	}
	switch kind {
	case authKindBasic:
		conf["username"], conf["password"], conf["domain"] = commandtest.DefaultUsername, commandtest.DefaultPassword, commandtest.DefaultDomain
	case authKindBasicPrefix:
		conf["username"], conf["password"] = commandtest.DefaultDomain+`\`+commandtest.DefaultUsername, commandtest.DefaultPassword
	case authKindBasicUPN:
		conf["username"], conf["password"] = commandtest.DefaultUsername+"@keyfactor.kfpki.test", commandtest.DefaultPassword
	case authKindOAuth:
		conf["client_id"], conf["client_secret"], conf["token_url"] = commandtest.DefaultClientID, commandtest.DefaultClientSecret, srv.TokenURL()
		conf["audience"], conf["scopes"] = commandtest.DefaultAudience, []string{commandtest.DefaultScope}
	case authKindToken:
		conf["access_token"] = commandtest.DefaultStaticToken
	case authKindCert:
		conf["client_cert"], conf["client_key"] = id.certPEM, id.keyPEM
	default:
		panic(fmt.Sprintf("unknown auth kind %q", kind))
	}
	for k, v := range overrides {
		if v == nil {
			delete(conf, k)
		} else {
			conf[k] = v
		}
	}
	return conf
}

// simDriver builds a driver from conf and closes it when the test ends.
func simDriver(t *testing.T, conf map[string]interface{}) *keyfactorDriver {
	t.Helper()
	d, _, err := NewProvider().NewDriver(configJSON(conf))
	if err != nil {
		t.Fatalf("NewDriver: %v", err)
	}
	t.Cleanup(d.(cadriver.Closer).Close)
	return d.(*keyfactorDriver)
}

// signRequest is a fresh key's CSR for cn, with cn as DNS SAN.
func signRequest(t testing.TB, cn string) *cadriver.SignRequest {
	t.Helper()
	csr := newCSR(t, newKey(t), cn)
	return &cadriver.SignRequest{CSR: csr, DNSNames: []string{cn}}
}

// verifyIssued checks the leaf chains to the simulator's root through the returned chain.
func verifyIssued(t *testing.T, srv *commandtest.Server, resp *cadriver.SignResponse) {
	t.Helper()
	roots := x509.NewCertPool()
	roots.AddCert(srv.RootCertificate())
	inter := x509.NewCertPool()
	for _, c := range resp.Chain {
		inter.AddCert(c)
	}
	if _, err := resp.Certificate.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		t.Errorf("issued certificate does not verify against the simulator's root: %v", err)
	}
	if len(resp.Chain) == 0 || !resp.Chain[len(resp.Chain)-1].Equal(srv.RootCertificate()) {
		t.Errorf("chain %v does not end at the root", subjects(resp.Chain))
	}
}
