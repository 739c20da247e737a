package keyfactor

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// commandState is what Command holds about one certificate's revocation: the tests' view of
// whether a revocation reached Command. (The engine never asks; it records revocations itself.)
type commandState struct {
	revoked   bool
	revokedAt time.Time
	reason    int // Command's RevocationReason code
}

// stateInCommand reads a certificate's state from Command: by its Keyfactor id when known,
// else found by serial number and issuer as Revoke finds it.
func (d *keyfactorDriver) stateInCommand(ctx context.Context, id string, cert *x509.Certificate) (*commandState, error) {
	var rec *certificateRecord
	if id != "" {
		n, err := d.certificateID(ctx, id, nil)
		if err != nil {
			return nil, err
		}
		if rec, err = d.getCertificate(ctx, n); err != nil {
			return nil, err
		}
	} else {
		var err error
		if rec, err = d.findBySerialAndIssuer(ctx, cert); err != nil {
			return nil, err
		}
	}
	st := &commandState{}
	if int(rec.CertState) == certStateRevoked {
		st.revoked = true
		st.revokedAt = rec.RevocationEffDate.Time
		if rec.RevocationReason != nil {
			st.reason = int(*rec.RevocationReason)
		}
	}
	return st, nil
}

// getCertificate reads one certificate record by Keyfactor id (GET /Certificates/{id}).
func (d *keyfactorDriver) getCertificate(ctx context.Context, id int64) (*certificateRecord, error) {
	var record certificateRecord
	_, err := d.callJSON(ctx, apiCall{
		method:   http.MethodGet,
		path:     []string{"Certificates", strconv.FormatInt(id, 10)},
		readOnly: true,
	}, errorPolicy{notFoundIsCallers: true}, &record)
	if err != nil {
		return nil, err
	}
	return &record, nil
}

// hasStatus reports whether err tells the engine to answer with status (the one error rule:
// status comes from StatusCode only).
func hasStatus(err error, status int) bool {
	var sc cadriver.StatusCoder
	return errors.As(err, &sc) && sc.StatusCode() == status
}
