package pkicompat

import (
	"context"
	"crypto/sha1"
	"fmt"
	"regexp"

	"github.com/hashicorp/vault/sdk/logical"
)

// issuerNamespace is the UUID namespace of issuer ids; changing it changes every issuer id.
var issuerNamespace = [16]byte{0x6b, 0x66, 0x70, 0x6b, 0x69, 0x2d, 0x49, 0x73, 0x73, 0x75, 0x65, 0x72, 0x2d, 0x49, 0x44, 0x73}

// issuerEntry is a CA known to this mount.
type issuerEntry struct {
	ID   string `json:"issuer_id"`
	Name string `json:"issuer_name"` // CA name made safe for issuer/:ref paths
	CA   string `json:"ca"`          // the CA as the driver names it
}

// issuerIDFor is a name-based (version 5, RFC 4122) UUID of the CA name, so the same CA gets the
// same issuer id on every node and after every restart without any coordination.
func issuerIDFor(ca string) string {
	h := sha1.New()
	h.Write(issuerNamespace[:])
	h.Write([]byte(ca))
	u := h.Sum(nil)[:16]
	u[6] = (u[6] & 0x0f) | 0x50
	u[8] = (u[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

var unsafeRefChars = regexp.MustCompile(`[^\w.-]`)

// issuerNameFor makes a CA name usable as an issuer reference (native refs are
// \w(([\w-.]+)?\w)?): CA names such as `host\CA Name` keep their letters, the rest become '-'.
func issuerNameFor(ca string) string {
	if ca == "" {
		return "default"
	}
	return unsafeRefChars.ReplaceAllString(ca, "-")
}

func newIssuerEntry(ca string) *issuerEntry {
	return &issuerEntry{ID: issuerIDFor(ca), Name: issuerNameFor(ca), CA: ca}
}

// storeIssuerIfNew records a CA the mount has used. It writes only when the CA is new, so
// issuance normally adds no replicated write.
func storeIssuerIfNew(ctx context.Context, s logical.Storage, ca string) (*issuerEntry, error) {
	e := newIssuerEntry(ca)
	existing, err := s.Get(ctx, issuerStoragePrefix+e.ID)
	if err != nil {
		return nil, fmt.Errorf("reading issuer %s: %w", e.ID, err)
	}
	if existing != nil {
		return e, nil
	}
	if err := putJSON(ctx, s, issuerStoragePrefix+e.ID, "issuer "+e.ID, e); err != nil {
		return nil, err
	}
	return e, nil
}

func listIssuerEntries(ctx context.Context, s logical.Storage) ([]*issuerEntry, error) {
	ids, err := s.List(ctx, issuerStoragePrefix)
	if err != nil {
		return nil, fmt.Errorf("listing issuers: %w", err)
	}
	out := make([]*issuerEntry, 0, len(ids))
	for _, id := range ids {
		e, err := getJSON[issuerEntry](ctx, s, issuerStoragePrefix+id, "issuer "+id)
		if err != nil {
			return nil, err
		}
		if e != nil {
			out = append(out, e)
		}
	}
	return out, nil
}

// defaultCAName is the name of the driver's default CA, or "" when the driver does not say.
func defaultCAName(d Driver) string {
	if n, ok := d.(DefaultCANamer); ok {
		return n.DefaultCA()
	}
	return ""
}

// resolveIssuerRef turns an issuer reference (`default`, an issuer id, an issuer name, or a CA
// name) into the CA name to pass to the driver. "" means the driver's default CA.
func resolveIssuerRef(ctx context.Context, s logical.Storage, d Driver, ref string) (*issuerEntry, error) {
	if ref == "" || ref == "default" {
		return newIssuerEntry(defaultCAName(d)), nil
	}
	known, err := listIssuerEntries(ctx, s)
	if err != nil {
		return nil, err
	}
	for _, e := range known {
		if e.ID == ref || e.Name == ref || e.CA == ref {
			return e, nil
		}
	}
	return newIssuerEntry(ref), nil
}
