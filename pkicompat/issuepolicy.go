package pkicompat

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/vault/sdk/logical"
)

// issuePolicy is what issuance needs from a role, with the native defaults when sign-verbatim
// runs without one. Keeping it here isolates issuance from the role's storage shape.
type issuePolicy struct {
	roleName       string
	keyType        string
	keyBits        int
	signatureBits  int
	usePSS         bool
	ttl, maxTTL    time.Duration
	notAfter       string
	noStore        bool
	generateLease  bool
	issuerRef      string
	ca, template   string
	metadata       map[string]string
	allowOverrides bool
	// pendingTTL is how long a request the CA holds for approval is remembered.
	pendingTTL time.Duration
	// metadataFromRequest maps CA metadata fields to request values (metadata_request.go).
	metadataFromRequest map[string]string
}

func policyFromRole(name string, r *roleEntry) (*issuePolicy, error) {
	if r == nil {
		return &issuePolicy{keyType: "rsa", issuerRef: "default", pendingTTL: defaultPendingTTL}, nil
	}
	meta, err := parseMetadata(fmt.Sprintf("role %s metadata", name), r.Metadata)
	if err != nil {
		return nil, err
	}
	fromRequest, err := parseMetadataFromRequest(r.MetadataFromRequest)
	if err != nil {
		return nil, err
	}
	p := &issuePolicy{
		roleName:       name,
		keyType:        r.KeyType,
		keyBits:        r.KeyBits,
		signatureBits:  r.SignatureBits,
		usePSS:         r.UsePSS,
		ttl:            r.TTL,
		maxTTL:         r.MaxTTL,
		notAfter:       r.NotAfter,
		noStore:        r.NoStore,
		issuerRef:      r.IssuerRef,
		ca:             r.CA,
		template:       r.Template,
		metadata:       meta,
		allowOverrides: r.AllowRequestOverrides,
	}
	p.pendingTTL, p.metadataFromRequest = r.pendingTTL(), fromRequest
	// no_store takes priority over generate_lease, as native.
	p.generateLease = r.GenerateLease != nil && *r.GenerateLease && !r.NoStore
	if p.issuerRef == "" {
		p.issuerRef = "default"
	}
	return p, nil
}

// target is where a request goes at the CA.
type target struct {
	ca       string // "" = the driver's default CA (the config's ca)
	template string // "" = the driver's default template
}

// resolveTarget applies the precedence request, then role, then config (the driver's default)
// to ca and template. A role that sets ca or template pins it: a request naming another value is
// refused unless the role sets allow_request_overrides. On issuer/:ref/... paths the issuer in
// the path is the request's CA.
func (b *backend) resolveTarget(ctx context.Context, s logical.Storage, drv Driver, p *issuePolicy, in *issueInput, issuerScoped bool) (*target, error) {
	requestCA, requestTemplate := in.ca, in.template

	if issuerScoped {
		ref := in.issuerRef
		if ref != "default" {
			e, err := resolveIssuerRef(ctx, s, drv, ref)
			if err != nil {
				return nil, err
			}
			if requestCA != "" && requestCA != e.CA {
				return nil, Invalid("ca %q conflicts with the issuer %q named in the path", requestCA, ref)
			}
			requestCA = e.CA
		}
	}

	t := &target{ca: p.ca, template: p.template}
	if requestCA != "" {
		if p.ca != "" && requestCA != p.ca && !p.allowOverrides {
			return nil, Invalid("ca %q is not allowed by this role: the role pins ca %q (set allow_request_overrides=true on the role to let requests choose)", requestCA, p.ca)
		}
		t.ca = requestCA
	}
	if requestTemplate != "" {
		if p.template != "" && requestTemplate != p.template && !p.allowOverrides {
			return nil, Invalid("template %q is not allowed by this role: the role pins template %q (set allow_request_overrides=true on the role to let requests choose)", requestTemplate, p.template)
		}
		t.template = requestTemplate
	}
	// A role's issuer_ref other than "default" chooses the CA when nothing else did; issuer/:ref
	// paths override it, as native.
	if t.ca == "" && !issuerScoped && p.issuerRef != "default" {
		e, err := resolveIssuerRef(ctx, s, drv, p.issuerRef)
		if err != nil {
			return nil, err
		}
		t.ca = e.CA
	}
	return t, nil
}

// notAfterFor applies native's TTL rules (request ttl, else the role's, else the mount default,
// capped by the role's or mount's max; not_after exclusive with ttl) and returns the requested
// NotAfter and the TTL warnings.
func (b *backend) notAfterFor(p *issuePolicy, in *issueInput, now time.Time) (time.Time, []string, error) {
	var warnings []string
	ttl := in.ttl
	notAfterText := p.notAfter
	if notAfterText == "" {
		notAfterText = in.notAfter
	}
	if ttl > 0 && notAfterText != "" {
		return time.Time{}, nil, Invalid("Either ttl or not_after should be provided. Both should not be provided in the same request.")
	}
	if ttl == 0 {
		ttl = p.ttl
	}
	maxTTL := p.maxTTL
	if ttl == 0 || maxTTL == 0 {
		mountDefault, mountMax := b.leaseTTLs.get(b.System())
		if ttl == 0 {
			ttl = mountDefault
		}
		if maxTTL == 0 {
			maxTTL = mountMax
		}
	}
	if ttl > maxTTL {
		warnings = append(warnings, fmt.Sprintf("TTL %q is longer than permitted maxTTL %q, so maxTTL is being used", ttl, maxTTL))
		ttl = maxTTL
	}
	if notAfterText != "" {
		t, err := time.Parse(time.RFC3339, notAfterText)
		if err != nil {
			return time.Time{}, warnings, Invalid("%s", err.Error())
		}
		return t, warnings, nil
	}
	return now.Add(ttl), warnings, nil
}
