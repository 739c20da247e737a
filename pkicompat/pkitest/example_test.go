package pkitest_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/pkitest"
)

// Writing a driver: implement cadriver.Provider (the config fields and NewDriver, which decodes
// the stored JSON object) and cadriver.Driver (Sign, Revoke, CAChain, CRL), plus whichever
// optional one-method capabilities the CA offers. pkitest is such a driver; the engine uses it
// exactly as it uses the Keyfactor one.
func Example_writingADriver() {
	server, err := pkitest.New()
	if err != nil {
		panic(err)
	}
	var provider cadriver.Provider = server.Provider()

	// The engine stores the config path's fields as one JSON object and hands it over as is.
	conf, _ := json.Marshal(map[string]interface{}{"url": "https://ca.example", "password": pkitest.Password})
	driver, warnings, err := provider.NewDriver(conf)
	if err != nil {
		panic(err)
	}
	_, checks := driver.(cadriver.ConnectionChecker)

	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: "www.example.com"}, DNSNames: []string{"www.example.com"},
	}, key)
	csr, _ := x509.ParseCertificateRequest(der)
	signed, err := driver.Sign(context.Background(), &cadriver.SignRequest{CSR: csr, DNSNames: csr.DNSNames})
	if err != nil {
		panic(err)
	}

	fmt.Println(provider.DisplayName(), len(warnings), checks)
	fmt.Println(signed.Certificate.Subject.CommonName, signed.CA, len(signed.Chain))
	// Output:
	// PKITest 0 true
	// www.example.com PKITest Issuing CA 2
}
