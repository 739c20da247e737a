package keyfactor

import (
	"context"
	"crypto/x509"
	"fmt"
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
			if sameName(r.IssuerDN, cert.Issuer) {
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
