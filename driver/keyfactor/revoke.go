package keyfactor

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// revokeComment is sent when the engine gives none: Command documents Comment as required, and
// native PKI's revoke takes no comment of its own.
const revokeComment = "Revoked through the Vault Keyfactor secrets engine"

// Revoke revokes one certificate (POST /Certificates/Revoke), found by its Keyfactor id or, when
// that is unknown, by serial number and issuer.
func (d *keyfactorDriver) Revoke(ctx context.Context, req *cadriver.RevokeRequest) (*cadriver.RevokeResponse, error) {
	if req == nil {
		return nil, cadriver.Invalid("no certificate to revoke")
	}
	// RFC 5280 codes 0-6 are Command's codes too; 8-10 have no Command revocation equivalent.
	if req.Reason < 0 || req.Reason > 6 {
		return nil, cadriver.Invalid("revocation reason %d is not supported by Keyfactor Command (use 0-6)", req.Reason)
	}
	comment := strings.TrimSpace(req.Comment)
	if comment == "" {
		comment = revokeComment
	}
	id, err := d.certificateID(ctx, req.CertificateID, req.Certificate)
	if err != nil {
		return nil, err
	}
	effective := time.Now().UTC().Truncate(time.Millisecond)
	var answer revokeResponse
	op := apiCall{
		method: http.MethodPost,
		path:   []string{"Certificates", "Revoke"},
		body: revokeRequest{
			CertificateIDs: []int64{id},
			Reason:         req.Reason,
			Comment:        comment,
			EffectiveDate:  effective.Format("2006-01-02T15:04:05.000Z"),
		},
	}
	resp, err := d.callJSON(ctx, op, errorPolicy{badRequestIsCallers: true, notFoundIsCallers: true}, &answer)
	if err != nil {
		return nil, err
	}
	result, err := revokeResult(op.op(), id, effective, resp, answer)
	if err == nil && !result.Pending {
		// A cached CRL predates this revocation. Native PKI rebuilds its CRL on revoke, so a
		// client that revokes and then reads crl/ expects to find the serial: fetch anew.
		d.crls.clear()
	}
	return result, err
}

// revokeResult reads the answer: 204 or an empty 200 (older servers) means revoked; a 200 lists
// revoked ids and revocations held for approval.
func revokeResult(op string, id int64, effective time.Time, resp *apiResponse, answer revokeResponse) (*cadriver.RevokeResponse, error) {
	for _, s := range answer.SuspendedCerts {
		if int64(s.CertID) == id {
			msg := "revocation pending approval in Keyfactor Command"
			if s.Message != "" {
				msg += ": " + cleanText(s.Message, 512)
			}
			return &cadriver.RevokeResponse{Pending: true, Message: msg}, nil
		}
	}
	for _, r := range answer.RevokedIDs {
		if int64(r) == id {
			return &cadriver.RevokeResponse{RevokedAt: effective}, nil
		}
	}
	if resp.status == http.StatusNoContent || (answer.RevokedIDs == nil && answer.SuspendedCerts == nil) {
		return &cadriver.RevokeResponse{RevokedAt: effective}, nil
	}
	return nil, &CommandError{Op: op, HTTPStatus: resp.status, status: http.StatusBadGateway,
		Hint: "Command did not confirm the revocation of certificate " + strconv.FormatInt(id, 10)}
}
