package keyfactor

import (
	"bytes"
	"crypto/x509"
)

// splitLeaf picks the issued certificate out of an enrollment answer: the one whose public key
// is the CSR's, falling back to the first non-CA certificate, then to the first. Position alone
// is not trusted.
func splitLeaf(certs []*x509.Certificate, csrPublicKey []byte) (*x509.Certificate, []*x509.Certificate) {
	leafIdx := -1
	for i, c := range certs {
		if csrPublicKey != nil && bytes.Equal(c.RawSubjectPublicKeyInfo, csrPublicKey) {
			leafIdx = i
			break
		}
	}
	if leafIdx < 0 {
		for i, c := range certs {
			if !c.IsCA {
				leafIdx = i
				break
			}
		}
	}
	if leafIdx < 0 {
		if len(certs) == 0 {
			return nil, nil
		}
		leafIdx = 0
	}
	rest := make([]*x509.Certificate, 0, len(certs)-1)
	for i, c := range certs {
		if i != leafIdx {
			rest = append(rest, c)
		}
	}
	return certs[leafIdx], rest
}

// orderChain returns the issuers of start, nearest first, each found by AKI/SKI (or issuer
// name and signature when key identifiers are missing), ending at a self-signed certificate or
// the last issuer present. Certificates of pool that are not on the path are dropped;
// duplicates are ignored.
func orderChain(start *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	used := make([]bool, len(pool))
	current := start
	for len(chain) < len(pool) {
		if isSelfSigned(current) {
			break
		}
		next := -1
		for i, candidate := range pool {
			if used[i] || candidate.Equal(current) {
				continue
			}
			if issuedBy(current, candidate) {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		// Skip further copies of the same certificate.
		for i, candidate := range pool {
			if candidate.Equal(pool[next]) {
				used[i] = true
			}
		}
		chain = append(chain, pool[next])
		current = pool[next]
	}
	return chain
}

// orderCAChain orders a bundle that holds a CA certificate and its issuers (and possibly
// leaves), returning the CA's chain: the CA first, root last. ca may be nil; then the
// certificate nobody else in the bundle was issued by is taken as the start.
func orderCAChain(ca *x509.Certificate, bundle []*x509.Certificate) []*x509.Certificate {
	if ca == nil {
		ca = lowestCA(bundle)
		if ca == nil {
			return nil
		}
	}
	return append([]*x509.Certificate{ca}, orderChain(ca, bundle)...)
}

// lowestCA is the CA certificate of bundle that issued no other CA certificate in it.
func lowestCA(bundle []*x509.Certificate) *x509.Certificate {
	for _, c := range bundle {
		if !c.IsCA {
			continue
		}
		issuesOther := false
		for _, other := range bundle {
			if other.IsCA && !other.Equal(c) && issuedBy(other, c) {
				issuesOther = true
				break
			}
		}
		if !issuesOther {
			return c
		}
	}
	return nil
}

// issuedBy reports whether parent issued child: matching key identifiers when both are present,
// else matching names, confirmed by the signature.
func issuedBy(child, parent *x509.Certificate) bool {
	if len(child.AuthorityKeyId) > 0 && len(parent.SubjectKeyId) > 0 {
		if !bytes.Equal(child.AuthorityKeyId, parent.SubjectKeyId) {
			return false
		}
	} else if !bytes.Equal(child.RawIssuer, parent.RawSubject) {
		return false
	}
	return signedBy(child, parent)
}

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && signedBy(c, c)
}
