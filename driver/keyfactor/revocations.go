package keyfactor

import (
	"context"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// RevokedSince lists the certificates of a CA revoked at or after since, for syncing
// revocations made in Command's own console. It pages through every revoked certificate of the
// CA (expired ones included) and filters by revocation date locally, because the PQL name of
// the revocation-date field is not documented.
func (d *keyfactorDriver) RevokedSince(ctx context.Context, name string, since time.Time) ([]cadriver.RevokedCertificate, error) {
	ca, err := d.resolveCA(name)
	if err != nil {
		return nil, err
	}
	query, err := pqlAllOf(pqlText("CA", logicalName(ca)), pqlInt("CertState", certStateRevoked))
	if err != nil {
		return nil, cadriver.Invalid("%v", err)
	}
	records, err := d.searchCertificates(ctx, certQuery{
		pql:            query,
		includeRevoked: true,
		includeExpired: true,
	})
	if err != nil {
		return nil, err
	}
	var out []cadriver.RevokedCertificate
	for _, r := range records {
		if int(r.CertState) != certStateRevoked {
			continue
		}
		if !r.RevocationEffDate.IsZero() && r.RevocationEffDate.Before(since) {
			continue
		}
		serial, ok := parseHexSerial(r.SerialNumber)
		if !ok {
			continue
		}
		out = append(out, cadriver.RevokedCertificate{SerialNumber: serial, RevokedAt: r.RevocationEffDate.Time})
	}
	return out, nil
}
