package pkicompat

import (
	"strings"
	"time"

	"github.com/hashicorp/vault/sdk/framework"
)

// issueInput is an issue/sign request as the caller sent it, read from the path's fields once at
// the top of the handler. Everything downstream takes these typed values, never the raw fields.
type issueInput struct {
	role string
	// issuerRef is the issuer named in an issuer/:ref/... path; "default" on the other paths.
	issuerRef string
	// names are the names asked for; their CSR is set once the CSR is parsed (sign paths).
	names subjectRequest
	// ttl is 0 when the caller gave none.
	ttl      time.Duration
	notAfter string

	format       string
	pkcs8        bool
	removeRoots  bool
	certMetadata string
	// ca, template and metadata come from the previous Keyfactor plugin's request fields.
	ca       string
	template string
	metadata string
	// csr is the caller's PEM CSR (sign paths only).
	csr string
	// verbatimIgnored names the sign-verbatim fields the caller set that the CA decides here.
	verbatimIgnored []string
}

// readIssueInput reads every field an issuance path declares (see issueFields).
func readIssueInput(d *framework.FieldData, mode issueMode) *issueInput {
	in := &issueInput{
		role:      d.Get("role").(string),
		issuerRef: d.Get("issuer_ref").(string),
		names: subjectRequest{
			CommonName:        d.Get("common_name").(string),
			AltNames:          splitNames(d.Get("alt_names").(string), legacyDNSSANs(d)),
			IPSANs:            d.Get("ip_sans").([]string),
			URISANs:           d.Get("uri_sans").([]string),
			OtherSANs:         d.Get("other_sans").([]string),
			UserIDs:           d.Get("user_ids").([]string),
			SerialNumber:      d.Get("serial_number").(string),
			ExcludeCNFromSANs: d.Get("exclude_cn_from_sans").(bool),
		},
		ttl:          time.Duration(d.Get("ttl").(int)) * time.Second,
		notAfter:     d.Get("not_after").(string),
		format:       d.Get("format").(string),
		pkcs8:        d.Get("private_key_format").(string) == "pkcs8",
		removeRoots:  d.Get("remove_roots_from_chain").(bool),
		certMetadata: d.Get("cert_metadata").(string),
		ca:           strings.TrimSpace(d.Get("ca").(string)),
		template:     strings.TrimSpace(d.Get("template").(string)),
		metadata:     d.Get("metadata").(string),
	}
	if mode != modeIssue {
		in.csr = d.Get("csr").(string)
	}
	if mode == modeSignVerbatim {
		for _, name := range verbatimCADecidedFields {
			if _, ok := d.GetOk(name); ok {
				in.verbatimIgnored = append(in.verbatimIgnored, name)
			}
		}
	}
	return in
}

// verbatimCADecidedFields are native sign-verbatim fields this engine cannot honour because the
// CA's template decides extensions and signature algorithms.
var verbatimCADecidedFields = []string{"key_usage", "ext_key_usage", "ext_key_usage_oids", "signature_bits", "use_pss"}

// splitNames splits comma-separated name lists, dropping empty entries.
func splitNames(lists ...string) []string {
	var out []string
	for _, l := range lists {
		for _, n := range strings.Split(l, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}
