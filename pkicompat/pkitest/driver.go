package pkitest

import (
	"context"
	"crypto/x509"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// ensure the driver offers every capability pkicompat looks for.
var (
	_ pkicompat.Driver            = (*Driver)(nil)
	_ pkicompat.DefaultCANamer    = (*Driver)(nil)
	_ pkicompat.ConnectionChecker = (*Driver)(nil)
	_ pkicompat.Closer            = (*Driver)(nil)
)

// Driver is one configured connection to a Server.
type Driver struct {
	server   *Server
	ca       string
	template string
	password string
}

func (d *Driver) Sign(_ context.Context, req *pkicompat.SignRequest) (*pkicompat.SignResponse, error) {
	return d.server.sign(req, d.ca, d.template)
}

func (d *Driver) Revoke(_ context.Context, req *pkicompat.RevokeRequest) (*pkicompat.RevokeResponse, error) {
	return d.server.revoke(req)
}

func (d *Driver) CAChain(_ context.Context, ca string) ([]*x509.Certificate, error) {
	return d.server.chain(ca, d.ca)
}

func (d *Driver) CRL(_ context.Context, ca string) ([]byte, error) {
	return d.server.crl(ca, d.ca)
}

// DefaultCA is the configured ca, else the Server's first CA.
func (d *Driver) DefaultCA() string {
	if d.ca != "" {
		return d.ca
	}
	return d.server.caOrder[0]
}

// CheckConnection accepts only the Server's Password and a CA the Server has.
func (d *Driver) CheckConnection(context.Context) ([]string, error) {
	d.server.mu.Lock()
	defer d.server.mu.Unlock()
	if d.server.checkErr != nil {
		return nil, d.server.checkErr
	}
	if d.password != Password {
		return nil, &pkicompat.ValidationError{Message: "the CA rejected the credentials (HTTP 401)"}
	}
	if _, err := d.server.lookupCA(d.ca, ""); err != nil {
		return nil, &pkicompat.ValidationError{Message: err.Error()}
	}
	var warnings []string
	if d.template == "" {
		warnings = append(warnings, "no template configured: requests must name one or use the CA's default")
	}
	return warnings, nil
}

// Close counts the close on the Server.
func (d *Driver) Close() {
	d.server.mu.Lock()
	defer d.server.mu.Unlock()
	d.server.closes++
}
