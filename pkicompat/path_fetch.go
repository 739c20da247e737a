package pkicompat

import (
	"context"
	"crypto/x509"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

func (b *backend) fetchPaths() []*framework.Path {
	// suffix is native's OperationSuffix for the same pattern ("|" separating the suffixes of
	// the paths the pattern expands to, in order); native's response schema is the first's.
	read := func(pattern string, fields map[string]*framework.FieldSchema, cb framework.OperationFunc, help, suffix string, extra ...map[string]framework.FieldType) *framework.Path {
		return &framework.Path{
			Pattern:      pattern,
			Fields:       fields,
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: suffix},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{Callback: cb, Responses: nativeOK("pki-read-"+strings.Split(suffix, "|")[0], extra...)},
			},
			HelpSynopsis: help,
		}
	}
	list := func(pattern string, prefix string, help, suffix string) *framework.Path {
		return &framework.Path{
			Pattern:      pattern,
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: suffix},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ListOperation: &framework.PathOperation{
					Callback: func(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
						if prefix == certStoragePrefix {
							keys, err := b.certIndex.list(ctx, req.Storage)
							if err != nil {
								return nil, err
							}
							return keys.listResponse(b.answersAsJSON), nil
						}
						serials, err := listSerials(ctx, req.Storage, prefix)
						if err != nil {
							return nil, err
						}
						return logical.ListResponse(serials), nil
					},
				},
			},
			HelpSynopsis: help,
		}
	}
	caOnly := map[string]*framework.FieldSchema{"ca": legacyCAField}
	serialFields := map[string]*framework.FieldSchema{
		"serial": {Type: framework.TypeString, Description: `Certificate serial, ':' or '-' separated; "ca" for the default CA.`},
		"ca":     legacyCAField,
	}
	return []*framework.Path{
		read("ca(/pem)?", caOnly, b.pathFetchCARaw, "The default CA's certificate, raw DER (ca) or PEM (ca/pem).", "ca-der|ca-pem"),
		read("ca_chain", caOnly, b.pathFetchCAChainRaw, "The default CA's chain as raw PEM.", "ca-chain-pem"),
		read("crl(/pem)?", caOnly, b.pathFetchCRLRaw, "The default CA's CRL, raw DER (crl) or PEM (crl/pem).", "crl-der|crl-pem"),
		read("cert/ca_chain", caOnly, b.pathFetchCAChainJSON, "The default CA's chain as JSON.", "cert-ca-chain", authorityKeyIDField),
		read("cert/crl", caOnly, b.pathFetchCRLJSON, "The default CA's CRL as JSON.", "cert-crl"),
		read("cert/crl/raw(/pem)?", caOnly, b.pathFetchCRLRaw, "The default CA's CRL, raw DER or PEM.", "cert-crl-raw-der|cert-crl-raw-pem"),
		read("cert/(?P<serial>"+serialPattern+")/raw(/pem)?", serialFields, b.pathFetchCertRaw, "A certificate, raw DER or PEM.", "cert-raw-der|cert-raw-pem"),
		read("cert/(?P<serial>"+serialPattern+")", serialFields, b.pathFetchCertJSON, "A certificate with its revocation status.", "cert", authorityKeyIDField),
		read(legacyCertPattern, serialFields, b.pathFetchCertJSON, "Same as cert/<serial>.", "cert-legacy-path", authorityKeyIDField),
		list("certs/revoked/?$", revokedStoragePrefix, "Serials of revoked certificates.", "revoked-certs"),
		list("certs/?$", certStoragePrefix, "Serials of stored certificates.", "certs"),
	}
}

// caChainFor fetches a CA's chain. It is empty (and err nil) when no CA is configured, so raw
// endpoints can answer 204 as native does without an issuer.
func (b *backend) caChainFor(ctx context.Context, s logical.Storage, ca string) ([]*x509.Certificate, error) {
	conf, err := loadConfig(ctx, s)
	if err != nil || conf == nil {
		return nil, err
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return nil, err
	}
	chain, err := drv.CAChain(ctx, ca)
	if err != nil {
		return nil, caError("fetch CA chain", err)
	}
	return withoutNil(chain), nil
}

func (b *backend) pathFetchCARaw(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	if legacyCARead(req, d) {
		return b.pathFetchCAJSON(ctx, req, d)
	}
	pemOut := strings.HasSuffix(req.Path, "/pem")
	chain, err := b.caChainFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	return rawCertResponse(firstOf(chain), pemOut), nil
}

func (b *backend) pathFetchCAChainRaw(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	if legacyCARead(req, d) {
		return b.pathFetchCAChainJSON(ctx, req, d)
	}
	chain, err := b.caChainFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	// Native serves the PEM chain with the DER content type (sic); kept for parity.
	return rawResponse(contentTypeDER, []byte(chainPEM(chain))), nil
}

func (b *backend) pathFetchCAChainJSON(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	chain, err := b.caChainFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	if len(chain) == 0 {
		return logical.ErrorResponse("no default issuer currently configured"), nil
	}
	text := chainPEM(chain)
	return &logical.Response{Data: map[string]interface{}{
		"certificate":             text,
		"ca_chain":                text,
		"authority_key_id":        keyID(chain[0].AuthorityKeyId),
		"revocation_time":         int64(0),
		"revocation_time_rfc3339": "",
	}}, nil
}

// crlFor fetches a CA's CRL; configured is false when no CA is configured.
func (b *backend) crlFor(ctx context.Context, s logical.Storage, ca string) (der []byte, configured bool, err error) {
	conf, err := loadConfig(ctx, s)
	if err != nil || conf == nil {
		return nil, false, err
	}
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return nil, false, err
	}
	if der, err = drv.CRL(ctx, ca); err != nil {
		return nil, false, caError("fetch CRL", err)
	}
	return der, true, nil
}

func (b *backend) pathFetchCRLRaw(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	der, _, err := b.crlFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	if strings.HasSuffix(req.Path, "/pem") {
		var body []byte
		if len(der) > 0 {
			body = []byte(crlPEM(der))
		}
		return rawResponse(contentTypeCRLPEM, body), nil
	}
	return rawResponse(contentTypeCRL, der), nil
}

func (b *backend) pathFetchCRLJSON(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	der, configured, err := b.crlFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	if !configured {
		return logical.ErrorResponse("no default issuer currently configured"), nil
	}
	text := ""
	if len(der) > 0 {
		text = crlPEM(der)
	}
	return &logical.Response{Data: map[string]interface{}{
		"certificate":             text,
		"revocation_time":         int64(0),
		"revocation_time_rfc3339": "",
	}}, nil
}

func (b *backend) pathFetchCertRaw(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	pemOut := strings.HasSuffix(req.Path, "/pem")
	serial := d.Get("serial").(string)
	if serial == "ca" {
		return b.pathFetchCARaw(ctx, req, d)
	}
	rec, err := getCertRecord(ctx, req.Storage, serial)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return rawCertResponse(nil, pemOut), nil
	}
	cert, err := rec.certificate()
	if err != nil {
		return nil, err
	}
	return rawCertResponse(cert, pemOut), nil
}

func (b *backend) pathFetchCertJSON(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	serial := d.Get("serial").(string)
	if serial == "ca" {
		return b.pathFetchCAJSON(ctx, req, d)
	}
	rec, err := getCertRecord(ctx, req.Storage, serial)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return nil, nil // 404, as native
	}
	cert, err := rec.certificate()
	if err != nil {
		return nil, err
	}
	return &logical.Response{Data: certJSON(cert, rec)}, nil
}

// pathFetchCAJSON is native's cert/ca answer for the CA the request names (default: the config's).
func (b *backend) pathFetchCAJSON(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	chain, err := b.caChainFor(ctx, req.Storage, d.Get("ca").(string))
	if err != nil {
		return respond(err)
	}
	if len(chain) == 0 {
		return logical.ErrorResponse("no default issuer currently configured"), nil
	}
	return &logical.Response{Data: certJSON(chain[0], nil)}, nil
}

// certJSON is native's cert/:serial answer; issuer_id appears only for revoked certificates.
func certJSON(cert *x509.Certificate, rec *certRecord) map[string]interface{} {
	data := map[string]interface{}{
		"certificate":             certPEM(cert),
		"revocation_time":         int64(0),
		"revocation_time_rfc3339": "",
	}
	if len(cert.AuthorityKeyId) > 0 {
		data["authority_key_id"] = keyID(cert.AuthorityKeyId)
	}
	if rec != nil && rec.revoked() {
		data["revocation_time"] = rec.Revocation.Time.Unix()
		data["revocation_time_rfc3339"] = rec.Revocation.Time.UTC().Format(time.RFC3339Nano)
		data["issuer_id"] = rec.IssuerID
	}
	return data
}

// rawCertResponse answers a raw certificate read: DER or trimmed PEM, 204 when there is none.
func rawCertResponse(cert *x509.Certificate, pemOut bool) *logical.Response {
	var body []byte
	if pemOut {
		if cert != nil {
			body = []byte(certPEM(cert))
		}
		return rawResponse(contentTypePEMChain, body)
	}
	if cert != nil {
		body = cert.Raw
	}
	return rawResponse(contentTypeDER, body)
}

func firstOf(chain []*x509.Certificate) *x509.Certificate {
	if len(chain) == 0 {
		return nil
	}
	return chain[0]
}
