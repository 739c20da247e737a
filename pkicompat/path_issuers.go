package pkicompat

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// issuerUsage is what native reports for an issuer that may issue, sign CRLs and OCSP: its full
// set, sorted as native sorts it (so terraform state does not flip). The CA decides all of these.
const issuerUsage = "crl-signing,issuing-certificates,ocsp-signing,read-only"

func (b *backend) issuerPaths() []*framework.Path {
	ref := framework.GenericNameRegex("issuer_ref")
	refField := map[string]*framework.FieldSchema{
		"issuer_ref": {Type: framework.TypeString, Description: `An issuer id, an issuer name, a CA name or "default".`},
	}
	// prefix and suffix are native's for the same pattern ("|" separating the suffixes of the
	// paths the pattern expands to, in order); native's response schema is the first's.
	read := func(pattern string, cb framework.OperationFunc, help, prefix, suffix string) *framework.Path {
		return &framework.Path{
			Pattern:      pattern,
			Fields:       refField,
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: prefix, OperationSuffix: suffix},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ReadOperation: &framework.PathOperation{Callback: cb, Responses: nativeOK(prefix + "-read-" + strings.Split(suffix, "|")[0])},
			},
			HelpSynopsis: help,
		}
	}
	return []*framework.Path{
		{
			Pattern:      "issuers/?$",
			DisplayAttrs: &framework.DisplayAttributes{OperationPrefix: "pki", OperationSuffix: "issuers"},
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.ListOperation: &framework.PathOperation{Callback: b.pathListIssuers, Responses: nativeOK("pki-list-issuers")},
			},
			HelpSynopsis: "The CAs this mount has been configured with or has issued from.",
		},
		read("issuer/"+ref+"/(json|der|pem)", b.pathIssuerRaw, "An issuer's certificate as JSON, DER or PEM.", "pki", "issuer-json|issuer-der|issuer-pem"),
		read("issuer/"+ref+"/crl(/pem|/der)?", b.pathIssuerCRL, "An issuer's CRL as JSON, PEM or DER.", "pki-issuer", "crl|crl-pem|crl-der"),
		read("issuer/"+ref, b.pathIssuerRead, "An issuer (a CA of this mount).", "pki", "issuer"),
	}
}

func (b *backend) pathListIssuers(ctx context.Context, req *logical.Request, _ *framework.FieldData) (*logical.Response, error) {
	entries, err := listIssuerEntries(ctx, req.Storage)
	if err != nil {
		return nil, err
	}
	var drv Driver
	defaultID := ""
	if conf, err := loadConfig(ctx, req.Storage); err == nil && conf != nil {
		if drv, err = b.currentDriver(ctx, req.Storage); err == nil {
			defaultID = issuerIDFor(defaultCAName(drv))
		}
	}
	keys := make([]string, 0, len(entries))
	info := map[string]interface{}{}
	for _, e := range entries {
		keys = append(keys, e.ID)
		info[e.ID] = map[string]interface{}{
			"issuer_name":   e.Name,
			"is_default":    e.ID == defaultID,
			"key_id":        "", // the CA's key lives in the CA, not in Vault
			"serial_number": issuerSerial(ctx, drv, e.CA),
		}
	}
	if len(keys) == 0 {
		return logical.ListResponse(nil), nil
	}
	return logical.ListResponseWithInfo(keys, info), nil
}

// issuerSerial is the serial of a CA's certificate, as native lists it; "" when the CA cannot be
// asked (the listing is informational and unauthenticated, so it does not fail for one CA).
func issuerSerial(ctx context.Context, drv Driver, ca string) string {
	if drv == nil {
		return ""
	}
	chain, err := drv.CAChain(ctx, ca)
	if chain = withoutNil(chain); err != nil || len(chain) == 0 {
		return ""
	}
	return serialFromCert(chain[0])
}

// issuerFor resolves the path's issuer reference and fetches its chain. An unknown CA is the
// native "unable to resolve" error.
func (b *backend) issuerFor(ctx context.Context, s logical.Storage, ref string) (*issuerEntry, []*x509.Certificate, error) {
	drv, err := b.currentDriver(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	e, err := resolveIssuerRef(ctx, s, drv, ref)
	if err != nil {
		return nil, nil, err
	}
	chain, err := drv.CAChain(ctx, e.CA)
	chain = withoutNil(chain)
	if isNotFound(err) || (err == nil && len(chain) == 0) {
		return nil, nil, Invalid("unable to resolve issuer id for reference: %s", ref)
	}
	if err != nil {
		return nil, nil, caError("fetch CA chain", err)
	}
	return e, chain, nil
}

// issuerPEM is an issuer certificate as native stores it: PEM with one trailing newline.
func issuerPEM(c *x509.Certificate) string {
	return certPEM(c) + "\n"
}

func issuerChainPEMs(chain []*x509.Certificate) []string {
	out := make([]string, 0, len(chain))
	for _, c := range chain {
		out = append(out, issuerPEM(c))
	}
	return out
}

func (b *backend) pathIssuerRead(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	e, chain, err := b.issuerFor(ctx, req.Storage, d.Get("issuer_ref").(string))
	if err != nil {
		return respond(err)
	}
	return &logical.Response{Data: map[string]interface{}{
		"issuer_id":                      e.ID,
		"issuer_name":                    e.Name,
		"key_id":                         "",
		"certificate":                    issuerPEM(chain[0]),
		"manual_chain":                   []string(nil),
		"ca_chain":                       issuerChainPEMs(chain),
		"leaf_not_after_behavior":        "err",
		"usage":                          issuerUsage,
		"revocation_signature_algorithm": "",
		"revoked":                        false,
		"issuing_certificates":           []string{},
		"crl_distribution_points":        []string{},
		"ocsp_servers":                   []string{},
		"delta_crl_distribution_points":  []string{},
		"enable_aia_url_templating":      false,
	}}, nil
}

func (b *backend) pathIssuerRaw(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	e, chain, err := b.issuerFor(ctx, req.Storage, d.Get("issuer_ref").(string))
	if err != nil {
		return respond(err)
	}
	switch {
	case strings.HasSuffix(req.Path, "/der"):
		return rawResponse(contentTypeDER, chain[0].Raw), nil
	case strings.HasSuffix(req.Path, "/pem"):
		return rawResponse(contentTypePEMChain, []byte(issuerPEM(chain[0]))), nil
	}
	return &logical.Response{Data: map[string]interface{}{
		"certificate": issuerPEM(chain[0]),
		"ca_chain":    issuerChainPEMs(chain),
		"issuer_id":   e.ID,
		"issuer_name": e.Name,
	}}, nil
}

func (b *backend) pathIssuerCRL(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
	ref := d.Get("issuer_ref").(string)
	e, _, err := b.issuerFor(ctx, req.Storage, ref)
	if err != nil {
		return respond(err)
	}
	drv, err := b.currentDriver(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	der, err := drv.CRL(ctx, e.CA)
	if err != nil {
		return respond(caError("fetch CRL", err))
	}
	if strings.HasSuffix(req.Path, "/der") {
		return rawResponse(contentTypeCRL, der), nil
	}
	var text []byte
	if len(der) > 0 {
		text = pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
	}
	if strings.HasSuffix(req.Path, "/pem") {
		return rawResponse(contentTypeCRLPEM, text), nil
	}
	return &logical.Response{Data: map[string]interface{}{"crl": string(text)}}, nil
}
