package pkicompat

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// issueMode is what an issuance path does with the key and the names.
type issueMode int

const (
	modeIssue        issueMode = iota // key generated here, names from the request
	modeSign                          // key in the caller's CSR, names checked against the role
	modeSignVerbatim                  // names taken from the CSR unchecked, role optional
)

func (b *backend) issuePaths() []*framework.Path {
	role := framework.GenericNameRegex("role")
	ref := "issuer/" + framework.GenericNameRegex("issuer_ref")
	verbatimRole := framework.OptionalParamRegex("role")
	return []*framework.Path{
		b.issuePath("issue/"+role, modeIssue, false),
		b.issuePath("sign/"+role, modeSign, false),
		b.issuePath("sign-verbatim"+verbatimRole, modeSignVerbatim, false),
		b.issuePath(ref+"/issue/"+role, modeIssue, true),
		b.issuePath(ref+"/sign/"+role, modeSign, true),
		b.issuePath(ref+"/sign-verbatim"+verbatimRole, modeSignVerbatim, true),
	}
}

func (b *backend) issuePath(pattern string, mode issueMode, issuerScoped bool) *framework.Path {
	verb := issueOperationName(mode)
	attrs := nativeIssueAttrs(mode, issuerScoped)
	return &framework.Path{
		Pattern:      pattern,
		Fields:       issueFields(mode),
		DisplayAttrs: attrs,
		Operations: map[logical.Operation]framework.OperationHandler{
			logical.UpdateOperation: &framework.PathOperation{
				Responses: nativeOK(operationID(attrs, 0), authorityKeyIDField),
				Callback: func(ctx context.Context, req *logical.Request, d *framework.FieldData) (*logical.Response, error) {
					return b.handleIssue(ctx, req, d, mode, issuerScoped)
				},
			},
		},
		HelpSynopsis: "Issue a certificate through the CA, as native PKI's " + verb + " does.",
		HelpDescription: "Names are checked against the role, the key and CSR are made in Vault (issue) " +
			"or taken from the caller (sign), and the CA signs. Extra fields from the previous " +
			"Keyfactor plugin are accepted: dns_sans (same as alt_names), ca, template, metadata.",
	}
}

func issueFields(mode issueMode) map[string]*framework.FieldSchema {
	f := map[string]*framework.FieldSchema{
		"role":                    {Type: framework.TypeString, Description: "The role to issue under."},
		"issuer_ref":              {Type: framework.TypeString, Default: "default", Description: "The issuer (CA) to use; only on issuer/:ref/... paths."},
		"common_name":             {Type: framework.TypeString, Description: "The requested common name."},
		"alt_names":               {Type: framework.TypeString, Description: "Comma-separated DNS names and email addresses for the subject alternative names."},
		"ip_sans":                 {Type: framework.TypeCommaStringSlice, Description: "Requested IP subject alternative names."},
		"uri_sans":                {Type: framework.TypeCommaStringSlice, Description: "Requested URI subject alternative names."},
		"other_sans":              {Type: framework.TypeCommaStringSlice, Description: "Requested other SANs, as <oid>;UTF8:<value>."},
		"ttl":                     {Type: framework.TypeDurationSecond, Description: "Requested time to live; the CA's template may decide otherwise."},
		"not_after":               {Type: framework.TypeString, Description: "Requested expiry as RFC 3339; exclusive with ttl."},
		"format":                  {Type: framework.TypeString, Default: "pem", Description: `"pem", "der" or "pem_bundle".`},
		"private_key_format":      {Type: framework.TypeString, Default: "der", Description: `"pkcs8" for PKCS#8 keys; anything else keeps the key type's native encoding.`},
		"exclude_cn_from_sans":    {Type: framework.TypeBool, Description: "Do not copy the common name into the SANs."},
		"remove_roots_from_chain": {Type: framework.TypeBool, Description: "Leave self-signed certificates out of ca_chain."},
		"user_ids":                {Type: framework.TypeCommaStringSlice, Description: "Subject user ids (UID)."},
		"serial_number":           {Type: framework.TypeString, Description: "The subject's serialNumber attribute (not the certificate serial)."},
		"cert_metadata":           {Type: framework.TypeString, Description: "Vault Enterprise only; refused, as by native OSS."},
	}
	for name, schema := range legacyIssueFields() {
		f[name] = schema
	}
	if mode != modeIssue {
		f["csr"] = &framework.FieldSchema{Type: framework.TypeString, Description: "The PEM certificate signing request."}
	}
	if mode == modeSignVerbatim {
		f["key_usage"] = &framework.FieldSchema{Type: framework.TypeCommaStringSlice, Description: "Decided by the CA's template here."}
		f["ext_key_usage"] = &framework.FieldSchema{Type: framework.TypeCommaStringSlice, Description: "Decided by the CA's template here."}
		f["ext_key_usage_oids"] = &framework.FieldSchema{Type: framework.TypeCommaStringSlice, Description: "Decided by the CA's template here."}
		f["signature_bits"] = &framework.FieldSchema{Type: framework.TypeInt, Description: "Decided by the CA here."}
		f["use_pss"] = &framework.FieldSchema{Type: framework.TypeBool, Description: "Decided by the CA here."}
	}
	return f
}

// issueRequest gathers the caller's input once it has passed validation.
type issueRequest struct {
	mode        issueMode
	policy      *issuePolicy
	format      string
	pkcs8       bool
	removeRoots bool
	metadata    map[string]string
	target      *target
	notAfter    time.Time
	warnings    []string // in native order: TTL, then subject, then TTL again
	// pendingMatch identifies the request for a retry while the CA holds it (pending.go).
	pendingMatch string
}

func (b *backend) handleIssue(ctx context.Context, req *logical.Request, d *framework.FieldData, mode issueMode, issuerScoped bool) (*logical.Response, error) {
	in := readIssueInput(d, mode)
	roleName := in.role
	var role *roleEntry
	if roleName != "" || mode != modeSignVerbatim {
		r, err := b.roleForIssue(ctx, req.Storage, roleName)
		if err != nil {
			return respond(err)
		}
		if r == nil {
			return logical.ErrorResponse(fmt.Sprintf("unknown role: %s", roleName)), nil
		}
		role = r
	}
	policy, err := policyFromRole(roleName, role)
	if err != nil {
		return respond(err)
	}

	ir := &issueRequest{mode: mode, policy: policy, removeRoots: in.removeRoots, format: in.format, pkcs8: in.pkcs8}
	switch ir.format {
	case "pem", "der", "pem_bundle":
	default:
		return logical.ErrorResponse(`the "format" path parameter must be "pem", "der", or "pem_bundle"`), nil
	}
	if in.certMetadata != "" {
		// Native OSS answers this with a Go error (HTTP 500); kept for parity.
		return nil, errors.New("certificate metadata is only supported on Vault Enterprise")
	}
	requestMeta, err := parseMetadata("metadata", in.metadata)
	if err != nil {
		return respond(err)
	}
	ir.metadata = b.requestMetadata(req, policy, mergeMetadata(policy.metadata, requestMeta))

	now := time.Now()
	notAfter, ttlWarnings, err := b.notAfterFor(policy, in, now)
	if err != nil {
		return respond(err)
	}
	ir.notAfter = notAfter

	// The CSR and the names come before any CA work, so bad input never reaches the CA.
	var csr *x509.CertificateRequest
	if mode != modeIssue {
		csr, err = parseCSR(in.csr)
		if err != nil {
			return respond(err)
		}
	}
	subject, subjectWarnings, err := approveNames(mode, role, in, csr)
	if err != nil {
		return respond(err)
	}
	if mode == modeIssue {
		// Refuse a key type or size this engine cannot make before any CA work.
		if err := checkKeySpec(policy.keyType, policy.keyBits); err != nil {
			return respond(err)
		}
	}
	// The TTL warning twice, as native answers it: native adds its certificate generation's
	// warnings to the response in signIssueApiResponse and again in its issue/sign handler
	// (compat scenario "ttl above max_ttl capped" compares them as a multiset).
	ir.warnings = append(append(append(ir.warnings, ttlWarnings...), subjectWarnings...), ttlWarnings...)

	drv, err := b.currentDriver(ctx, req.Storage)
	if err != nil {
		return respond(err)
	}
	ir.target, err = b.resolveTarget(ctx, req.Storage, drv, policy, in, issuerScoped)
	if err != nil {
		return respond(err)
	}
	if resp, resumed, err := b.resumePending(ctx, req, drv, ir, in, csr); resumed {
		return resp, err
	}

	var key *generatedKey
	if mode == modeIssue {
		key, err = generateKey(policy.keyType, policy.keyBits)
		if err != nil {
			return respond(err)
		}
		csr, err = buildCSR(key, subject, csrSignatureAlgorithm(key.keyType, policy.signatureBits, policy.usePSS))
		if err != nil {
			return nil, err
		}
	}

	op := b.startCAOperation(req, issueOperationName(mode), "role", ir.policy.roleName, "requested_ca", ir.target.ca, "requested_template", ir.target.template)
	// Write-ahead: from here on the CA may issue even if this request never hears back.
	intent, err := b.writeIntent(ctx, req, mode, ir, csr)
	if err != nil {
		return nil, err
	}
	signed, err := drv.Sign(ctx, &SignRequest{
		CSR:            csr,
		CA:             ir.target.ca,
		Template:       ir.target.template,
		Metadata:       ir.metadata,
		DNSNames:       subject.DNSNames,
		IPAddresses:    subject.IPAddresses,
		URIs:           subject.URIs,
		EmailAddresses: subject.EmailAddresses,
		NotAfter:       ir.notAfter,
	})
	if err != nil {
		if caRefusedIssuance(err) {
			b.settleIntent(ctx, req.Storage, intent)
		}
		if held, kept := b.rememberPending(ctx, req, ir, csr, key, err); kept {
			return respond(op.failed(held))
		}
		return respond(op.failed(caError("sign", err)))
	}
	if err := checkSigned(signed, csr); err != nil {
		return respond(op.failed(caError("sign", err)))
	}
	resp, err := b.respondIssued(ctx, req, ir, signed, key)
	if err != nil {
		return nil, op.failed(err, "serial", serialFromCert(signed.Certificate), "certificate_id", signed.CertificateID)
	}
	b.settleIntentAfterReply(ctx, req.Storage, intent)
	op.succeeded("serial", serialFromCert(signed.Certificate), "ca", signed.CA, "certificate_id", signed.CertificateID)
	return resp, nil
}

// approveNames applies the role's name policy (issue, sign) or takes the CSR's names as they are
// (sign-verbatim), and returns the names with the warnings they produced.
func approveNames(mode issueMode, role *roleEntry, in *issueInput, csr *x509.CertificateRequest) (*approvedSubject, []string, error) {
	if mode == modeSignVerbatim {
		return subjectFromCSR(csr), verbatimIgnoredWarnings(in.verbatimIgnored), nil
	}
	if mode == modeSign {
		if err := role.checkCSRKey(csr); err != nil {
			return nil, nil, err
		}
	}
	names := in.names
	names.CSR = csr
	subject, err := role.approveSubject(&names)
	if err != nil {
		return nil, nil, err
	}
	warnings := subject.Warnings
	if mode == modeSign {
		if err := csrWithinApproval(csr, subject); err != nil {
			return nil, nil, err
		}
		if w := csrSubjectWarning(csr, subject); w != "" {
			warnings = append(warnings, w)
		}
	}
	return subject, warnings, nil
}

// respondIssued stores the certificate record (unless the role says no_store) and shapes the
// native issue/sign response.
func (b *backend) respondIssued(ctx context.Context, req *logical.Request, ir *issueRequest, signed *SignResponse, key *generatedKey) (*logical.Response, error) {
	cert := signed.Certificate
	serial := serialFromCert(cert)
	// The issuer index only feeds issuers/ listings; failing to extend it (for example a
	// read-only replicated store on a secondary) must not lose a certificate already issued.
	issuer, err := b.rememberIssuer(ctx, req.Storage, signed.CA)
	if err != nil {
		b.Logger().Warn("could not record the issuing CA", "ca", signed.CA, "error", err)
		issuer = newIssuerEntry(signed.CA)
	}
	if !ir.policy.noStore {
		rec := &certRecord{
			SerialNumber:   serial,
			CertificateDER: cert.Raw,
			CA:             signed.CA,
			IssuerID:       issuer.ID,
			CertificateID:  signed.CertificateID,
			Template:       ir.target.template,
			Role:           ir.policy.roleName,
			Metadata:       ir.metadata,
			IssuedAt:       time.Now().UTC(),
		}
		if err := putCertRecord(ctx, req.Storage, rec); err != nil {
			return nil, err
		}
	}

	data := map[string]interface{}{
		"certificate":      encodeForFormat(cert, ir.format),
		"issuing_ca":       "",
		"serial_number":    serial,
		"expiration":       cert.NotAfter.Unix(),
		"authority_key_id": keyID(cert.AuthorityKeyId),
	}
	if len(signed.Chain) > 0 {
		data["issuing_ca"] = encodeForFormat(signed.Chain[0], ir.format)
	}
	var chain []string
	for _, c := range signed.Chain {
		if ir.removeRoots && isSelfSigned(c) {
			continue
		}
		chain = append(chain, encodeForFormat(c, ir.format))
	}
	if len(chain) > 0 {
		data["ca_chain"] = chain
	}

	var bundleKeyPEM string
	if key != nil {
		der, _, err := key.marshal(ir.pkcs8)
		if err != nil {
			return nil, fmt.Errorf("encoding private key: %w", err)
		}
		if ir.format == "der" {
			data["private_key"] = base64.StdEncoding.EncodeToString(der)
		} else if data["private_key"], err = key.pemString(ir.pkcs8); err != nil {
			return nil, err
		}
		data["private_key_type"] = key.keyType
		// Native builds the pem_bundle from the key in its own encoding (PKCS#1 for RSA, SEC1
		// for EC); private_key_format=pkcs8 changes only the private_key field.
		if bundleKeyPEM, err = key.pemString(false); err != nil {
			return nil, err
		}
	}
	if ir.format == "pem_bundle" {
		// The bundle keeps the whole chain even when remove_roots_from_chain drops roots from
		// ca_chain, as native does.
		parts := []string{}
		if bundleKeyPEM != "" {
			parts = append(parts, bundleKeyPEM)
		}
		parts = append(parts, certPEM(cert))
		for _, c := range signed.Chain {
			parts = append(parts, certPEM(c))
		}
		data["certificate"] = strings.Join(parts, "\n")
	}

	var resp *logical.Response
	if ir.policy.generateLease {
		resp = b.Secret(secretTypePKI).Response(data, map[string]interface{}{"serial_number": serial})
		resp.Secret.TTL = time.Until(cert.NotAfter)
		resp.Secret.Renewable = false
	} else {
		resp = &logical.Response{Data: data}
	}
	for _, w := range ir.warnings {
		resp.AddWarning(w)
	}
	for _, w := range caDecidedWarnings(ir, cert) {
		resp.AddWarning(w)
	}
	return resp, nil
}

// validitySlack is how far the CA's notAfter may be from the requested one before the response
// says so; CAs commonly round validity to the second or minute.
const validitySlack = 2 * time.Minute

// caDecidedWarnings names what the CA decided differently from what was asked, since here the
// CA's template, not Vault, has the last word on validity.
func caDecidedWarnings(ir *issueRequest, cert *x509.Certificate) []string {
	diff := cert.NotAfter.Sub(ir.notAfter)
	if diff < 0 {
		diff = -diff
	}
	if diff <= validitySlack {
		return nil
	}
	return []string{fmt.Sprintf("the CA set the certificate's notAfter to %s instead of the requested %s: the CA's template decides validity",
		cert.NotAfter.UTC().Format(time.RFC3339), ir.notAfter.UTC().Format(time.RFC3339))}
}

// verbatimIgnoredWarnings names the sign-verbatim fields the caller set that this engine cannot
// honour because the CA's template decides extensions and signature algorithms.
func verbatimIgnoredWarnings(ignored []string) []string {
	if len(ignored) == 0 {
		return nil
	}
	return []string{fmt.Sprintf("%s ignored: the CA's template decides key usage, extended key usage and signature algorithm", strings.Join(ignored, ", "))}
}
