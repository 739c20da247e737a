package pkicompat

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"strings"

	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"
)

// Native content types of the raw endpoints (ca, ca_chain, crl and their /pem forms).
const (
	contentTypeDER      = "application/pkix-cert"
	contentTypePEMChain = "application/pem-certificate-chain"
	contentTypeCRL      = "application/pkix-crl"
	contentTypeCRLPEM   = "application/x-pem-file"
)

// withoutNil drops nil entries a misbehaving driver may put in a chain, so shaping a response
// can never dereference one.
func withoutNil(chain []*x509.Certificate) []*x509.Certificate {
	out := make([]*x509.Certificate, 0, len(chain))
	for _, c := range chain {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}

// trimPEM encodes a block without the trailing newline, as native responses do.
func trimPEM(b *pem.Block) string {
	return strings.TrimSpace(string(pem.EncodeToMemory(b)))
}

func certPEM(c *x509.Certificate) string {
	return trimPEM(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// chainPEM joins the chain's certificates, each trimmed, with newlines.
func chainPEM(chain []*x509.Certificate) string {
	parts := make([]string, 0, len(chain))
	for _, c := range chain {
		parts = append(parts, certPEM(c))
	}
	return strings.Join(parts, "\n")
}

func crlPEM(der []byte) string {
	return trimPEM(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// keyID formats a key identifier as native does: lowercase hex bytes joined by ':'.
func keyID(id []byte) string {
	return certutil.GetHexFormatted(id, ":")
}

// encodeForFormat renders one certificate for the issue/sign "format" field.
func encodeForFormat(c *x509.Certificate, format string) string {
	if format == "der" {
		return base64.StdEncoding.EncodeToString(c.Raw)
	}
	return certPEM(c)
}

// isSelfSigned reports whether c is a root: subject equals issuer and its own key signs it.
func isSelfSigned(c *x509.Certificate) bool {
	if !bytes.Equal(c.RawSubject, c.RawIssuer) {
		return false
	}
	return c.CheckSignatureFrom(c) == nil
}

// rawResponse answers with a raw body and native status rules: 200 with a body, 204 without.
func rawResponse(contentType string, body []byte) *logical.Response {
	status := http.StatusOK
	if len(body) == 0 {
		status = http.StatusNoContent
		// An empty, non-nil body: through the plugin's gRPC boundary a nil slice becomes JSON
		// null, which Vault's HTTP layer refuses as "no body in response".
		body = []byte{}
	}
	return &logical.Response{Data: map[string]interface{}{
		logical.HTTPContentType: contentType,
		logical.HTTPRawBody:     body,
		logical.HTTPStatusCode:  status,
	}}
}
