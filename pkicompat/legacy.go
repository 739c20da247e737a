package pkicompat

import (
	"strings"

	"github.com/hashicorp/vault/sdk/framework"
	"github.com/hashicorp/vault/sdk/logical"
)

// The previous Keyfactor secrets engine's request fields and paths, accepted next to native
// PKI's so its users' scripts keep working. Every alias lives here; the paths they join are
// native's.

// legacyIssueFields are the older plugin's issue/sign fields: dns_sans (its name for
// alt_names), the CA and template to issue from, and metadata for the CA's inventory.
func legacyIssueFields() map[string]*framework.FieldSchema {
	return map[string]*framework.FieldSchema{
		"dns_sans": {Type: framework.TypeString, Description: "The previous Keyfactor plugin's name for alt_names; both are used."},
		"ca":       {Type: framework.TypeString, Description: "The CA to issue from (previous Keyfactor plugin); a role may pin it."},
		"template": {Type: framework.TypeString, Description: "The CA-side template/profile (previous Keyfactor plugin); a role may pin it."},
		"metadata": {Type: framework.TypeString, Description: "A JSON object of metadata for the CA's inventory."},
	}
}

// legacyDNSSANs is the older plugin's dns_sans, joined to alt_names by the caller.
func legacyDNSSANs(d *framework.FieldData) string {
	return d.Get("dns_sans").(string)
}

// legacyCAField is the older plugin's `ca=<name>` on CA reads; empty = the default CA.
var legacyCAField = &framework.FieldSchema{Type: framework.TypeString, Description: "The CA to read; empty for the configured default.", Query: true}

// legacyCertPattern is the older plugin's certs/<serial>, its spelling of cert/<serial>.
const legacyCertPattern = "certs/(?P<serial>" + serialPattern + ")"

// legacyCARead reports whether a CA read carries the older plugin's `ca=<name>`. Those reads
// (`vault read keyfactor/ca ca=X`, `vault read keyfactor/ca_chain ca=X`) come from the vault
// CLI, which can only print JSON, so they get the JSON shapes of cert/ca and cert/ca_chain.
// Without `ca`, the answer is native's raw body, as curl-based scripts expect.
func legacyCARead(req *logical.Request, d *framework.FieldData) bool {
	name, ok := d.GetOk("ca")
	return ok && name.(string) != "" && !strings.HasSuffix(req.Path, "/pem")
}
