package keyfactor

import (
	"context"
	"crypto/x509"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// certificateID returns the Keyfactor id of a certificate: the stored one, else the one found
// by serial number and issuer.
func (d *keyfactorDriver) certificateID(ctx context.Context, stored string, cert *x509.Certificate) (int64, error) {
	if s := strings.TrimSpace(stored); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return 0, cadriver.Invalid("certificate id %q is not a Keyfactor certificate id (a positive decimal number)", s)
		}
		return id, nil
	}
	rec, err := d.findBySerialAndIssuer(ctx, cert)
	if err != nil {
		return 0, err
	}
	return int64(rec.ID), nil
}

// findBySerialAndIssuer searches Command's inventory (revoked and expired included) for the
// certificate with cert's serial number whose issuer is cert's issuer; serials are unique only
// per CA.
func (d *keyfactorDriver) findBySerialAndIssuer(ctx context.Context, cert *x509.Certificate) (*certificateRecord, error) {
	if cert == nil || cert.SerialNumber == nil {
		return nil, cadriver.Invalid("neither a Keyfactor certificate id nor a certificate was given")
	}
	wantIssuer := normalizeDN(cert.Issuer.String())
	for _, spelling := range serialSpellings(cert.SerialNumber) {
		query, err := pqlAllOf(pqlText("SerialNumber", spelling))
		if err != nil {
			return nil, err
		}
		records, err := d.searchCertificates(ctx, certQuery{
			pql:            query,
			includeRevoked: true,
			includeExpired: true,
			pageSize:       50,
			maxPages:       1,
		})
		if err != nil {
			return nil, err
		}
		var bySerial []*certificateRecord
		for i := range records {
			r := &records[i]
			if n, ok := parseHexSerial(r.SerialNumber); ok && n.Cmp(cert.SerialNumber) == 0 && r.ID > 0 {
				bySerial = append(bySerial, r)
			}
		}
		for _, r := range bySerial {
			if normalizeDN(r.IssuerDN) == wantIssuer {
				return r, nil
			}
		}
		// Command may spell the issuer DN differently (e.g. E= for emailAddress); a single
		// serial match whose DN is absent is still this certificate.
		if len(bySerial) == 1 && strings.TrimSpace(bySerial[0].IssuerDN) == "" {
			return bySerial[0], nil
		}
	}
	return nil, &cadriver.NotFoundError{Message: fmt.Sprintf(
		"certificate with serial %s issued by %q not found in Keyfactor Command", serialSpellings(cert.SerialNumber)[0], cert.Issuer.String())}
}

// serialSpellings are the hex forms Command may store a serial in: even-length uppercase (how
// AD CS shows it) and without the padding zero.
func serialSpellings(serial *big.Int) []string {
	hex := strings.ToUpper(serial.Text(16))
	if len(hex)%2 == 1 {
		return []string{"0" + hex, hex}
	}
	return []string{hex}
}

// normalizeDN reduces a distinguished name to a comparable form: attribute=value pairs, type
// and value case-folded and trimmed, in sorted order (Windows and Go print RDNs in opposite
// orders).
func normalizeDN(dn string) string {
	var parts []string
	var cur strings.Builder
	escaped := false
	flush := func() {
		if p := strings.TrimSpace(cur.String()); p != "" {
			if i := strings.Index(p, "="); i > 0 {
				p = strings.ToLower(strings.TrimSpace(p[:i])) + "=" + strings.ToLower(strings.TrimSpace(p[i+1:]))
			}
			parts = append(parts, p)
		}
		cur.Reset()
	}
	for _, r := range dn {
		switch {
		case escaped:
			cur.WriteRune(r)
			escaped = false
		case r == '\\':
			cur.WriteRune(r)
			escaped = true
		case r == ',' || r == '+':
			flush()
		default:
			cur.WriteRune(r)
		}
	}
	flush()
	sort.Strings(parts)
	return strings.Join(parts, ",")
}
