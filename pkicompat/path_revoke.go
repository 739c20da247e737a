package pkicompat

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/helper/certutil"
	"github.com/hashicorp/vault/sdk/logical"
)

func (b *backend) revokePaths() []*framework.Path {
	fields := func(withKey bool) map[string]*framework.FieldSchema {
		f := map[string]*framework.FieldSchema{
			"serial_number": {Type: framework.TypeString, Description: "Serial of the certificate to revoke, ':' or '-' separated."},
			"serial":        {Type: framework.TypeString, Description: "The previous Keyfactor plugin's name for serial_number."},
			"certificate":   {Type: framework.TypeString, Description: "The PEM certificate to revoke, instead of its serial."},
		}
		if withKey {
			f["private_key"] = &framework.FieldSchema{Type: framework.TypeString, Description: "The certificate's PEM private key, as proof of possession."}
		}
		return f
	}
	// suffix is native's OperationSuffix for the path (its verb is "revoke" on both).
	path := func(pattern string, withKey bool, suffix string) *framework.Path {
		attrs := &framework.DisplayAttributes{OperationPrefix: "pki", OperationVerb: "revoke", OperationSuffix: suffix}
		return &framework.Path{
			Pattern:      pattern,
			Fields:       fields(withKey),
			DisplayAttrs: attrs,
			Operations: map[logical.Operation]framework.OperationHandler{
				logical.UpdateOperation: &framework.PathOperation{
					Responses: nativeOK(operationID(attrs, 0)),
					Callback: func(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
						return b.handleRevoke(ctx, req, d, withKey)
					},
				},
			},
			HelpSynopsis: "Revoke a certificate of this mount at the CA.",
		}
	}
	return []*framework.Path{
		path("revoke", false, ""),
		path("revoke-with-key", true, "with-key"),
	}
}

func (b *backend) handleRevoke(ctx context.Context, req *logical.Request, d *framework.FieldData, withKey bool) (*logical.Response, error) {
	serial := strings.TrimSpace(d.Get("serial_number").(string))
	if serial == "" {
		serial = strings.TrimSpace(d.Get("serial").(string))
	}
	certText := strings.TrimSpace(d.Get("certificate").(string))
	switch {
	case serial == "" && certText == "":
		return logical.ErrorResponse("The serial number or certificate to revoke must be provided."), nil
	case serial != "" && certText != "":
		return logical.ErrorResponse("Must provide either the certificate or the serial to revoke; not both."), nil
	}
	var keyText string
	if withKey {
		raw, ok := d.GetOk("private_key")
		if !ok {
			return logical.ErrorResponse("Must have private key to revoke via the /revoke-with-key path."), nil
		}
		keyText = raw.(string)
		if len(keyText) < 64 {
			return logical.ErrorResponse("Provided data for private_key was too short; perhaps a path was passed to the API rather than the contents of a PEM file?"), nil
		}
	}

	drv, err := b.currentDriver(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}

	var rec *certRecord
	if serial != "" {
		if validSerial(serial) {
			if rec, err = getCertRecord(ctx, req.Storage, serial); err != nil {
				return nil, err
			}
		}
		if rec == nil {
			return logical.ErrorResponse(fmt.Sprintf("certificate with serial %s not found.", serial)), nil
		}
	} else {
		if rec, err = b.recordForCertificate(ctx, req.Storage, drv, certText); err != nil {
			return respond(err)
		}
	}
	cert, err := rec.certificate()
	if err != nil {
		return nil, err
	}

	if withKey {
		if err := checkKeyMatches(keyText, cert); err != nil {
			return respond(err)
		}
	}

	if rec.revoked() {
		// Idempotent: a second revocation answers with the first one's time.
		return &logical.Response{Data: revocationData(rec)}, nil
	}
	if time.Now().After(cert.NotAfter) {
		resp := &logical.Response{}
		resp.AddWarning(fmt.Sprintf("certificate with serial %s already expired; refusing to add to CRL", rec.SerialNumber))
		return resp, nil
	}

	op := b.startCAOperation(req, "revoke", rec.logFields()...)
	answer, err := drv.Revoke(ctx, &RevokeRequest{Certificate: cert, CertificateID: rec.CertificateID})
	if err != nil {
		return respond(op.failed(caError("revoke", err)))
	}
	if err := applyRevocation(ctx, req.Storage, rec, answer); err != nil {
		return nil, op.failed(err)
	}
	op.revoked(rec)
	resp := &logical.Response{Data: revocationData(rec)}
	if rec.Revocation.Pending {
		msg := "the CA holds this revocation for approval; the certificate is not revoked until it is approved"
		if rec.Revocation.Message != "" {
			msg += ": " + rec.Revocation.Message
		}
		resp.AddWarning(msg)
	}
	return resp, nil
}

// revokeRecord revokes a stored certificate at the CA and records the answer (used by lease
// revocation; the revoke path makes the same two steps itself so it can map CA errors).
func (b *backend) revokeRecord(ctx context.Context, s logical.Storage, drv Driver, rec *certRecord) error {
	cert, err := rec.certificate()
	if err != nil {
		return err
	}
	answer, err := drv.Revoke(ctx, &RevokeRequest{Certificate: cert, CertificateID: rec.CertificateID})
	if err != nil {
		return err
	}
	return applyRevocation(ctx, s, rec, answer)
}

// applyRevocation stores the CA's answer to a revocation on the record.
func applyRevocation(ctx context.Context, s logical.Storage, rec *certRecord, answer *RevokeResponse) error {
	info := &revocationInfo{}
	if answer != nil {
		info.Pending = answer.Pending
		info.Message = answer.Message
		info.Time = answer.RevokedAt
	}
	if !info.Pending && info.Time.IsZero() {
		info.Time = time.Now()
	}
	if !info.Time.IsZero() {
		info.Time = info.Time.UTC()
	}
	rec.Revocation = info
	return putCertRecord(ctx, s, rec)
}

// revocationData is native's revoke answer.
func revocationData(rec *certRecord) map[string]interface{} {
	if rec.Revocation == nil || rec.Revocation.Pending {
		return map[string]interface{}{
			"revocation_time":         int64(0),
			"revocation_time_rfc3339": "",
			"state":                   "pending",
		}
	}
	t := rec.Revocation.Time
	return map[string]interface{}{
		"revocation_time":         t.Unix(),
		"revocation_time_rfc3339": t.UTC().Format(time.RFC3339Nano),
		"state":                   "revoked",
	}
}

// recordForCertificate finds (or makes) the record for a certificate given in full. Only
// certificates signed by one of this mount's CAs may be revoked, and never a CA's own
// certificate.
func (b *backend) recordForCertificate(ctx context.Context, s logical.Storage, drv Driver, text string) (*certRecord, error) {
	block, _ := pem.Decode([]byte(text))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, Invalid("certificate must be a PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, Invalid("certificate could not be parsed: %s", err.Error())
	}

	issuers, err := mountIssuers(ctx, s, drv)
	if err != nil {
		return nil, err
	}
	var signer *issuerEntry
	for _, e := range issuers {
		chain, err := drv.CAChain(ctx, e.CA)
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return nil, caError("fetch CA chain", err)
		}
		if chain = withoutNil(chain); len(chain) == 0 {
			continue
		}
		if bytes.Equal(chain[0].Raw, cert.Raw) {
			return nil, Invalid("adding issuer (id: %s) to its own CRL is not allowed", e.ID)
		}
		if cert.CheckSignatureFrom(chain[0]) == nil {
			signer = e
			break
		}
	}
	if signer == nil {
		return nil, Invalid("the certificate was not issued by any issuer of this mount; only this mount's certificates can be revoked here")
	}

	serial := serialFromCert(cert)
	rec, err := getCertRecord(ctx, s, serial)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		return &certRecord{SerialNumber: serial, CertificateDER: cert.Raw, CA: signer.CA, IssuerID: signer.ID}, nil
	}
	if !bytes.Equal(rec.CertificateDER, cert.Raw) {
		return nil, Invalid("the certificate does not match the stored certificate with serial %s", serial)
	}
	return rec, nil
}

// mountIssuers is every CA this mount knows, the driver's default first.
func mountIssuers(ctx context.Context, s logical.Storage, drv Driver) ([]*issuerEntry, error) {
	known, err := listIssuerEntries(ctx, s)
	if err != nil {
		return nil, err
	}
	def := newIssuerEntry(defaultCAName(drv))
	out := []*issuerEntry{def}
	for _, e := range known {
		if e.ID != def.ID {
			out = append(out, e)
		}
	}
	return out, nil
}

// checkKeyMatches is revoke-with-key's proof of possession.
func checkKeyMatches(keyText string, cert *x509.Certificate) error {
	signer, _, err := certutil.ParsePEMKey(keyText)
	if err != nil {
		return Invalid("failed to parse provided private key: %s", err.Error())
	}
	same, err := certutil.ComparePublicKeys(signer.Public(), cert.PublicKey)
	if err != nil || !same {
		// A Go error (HTTP 500), as native answers this case.
		return errors.New("provided private key does not match certificate's public key")
	}
	return nil
}
