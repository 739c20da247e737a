package keyfactor

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
)

// defaultRevokeComment is sent when the caller gives none; Command documents Comment as required.
const defaultRevokeComment = "Revoked through the Vault Keyfactor secrets engine"

// Revoke revokes one certificate (POST /Certificates/Revoke), found by its Keyfactor id or, when
// that is unknown, by serial number and issuer.
func (d *keyfactorDriver) Revoke(ctx context.Context, req *pkicompat.RevokeRequest) (*pkicompat.RevokeResponse, error) {
	if req == nil {
		return nil, pkicompat.Invalid("no certificate to revoke")
	}
	reason, err := commandRevokeReason(req.Reason)
	if err != nil {
		return nil, err
	}
	id, err := d.certificateID(ctx, req.CertificateID, req.Certificate)
	if err != nil {
		return nil, err
	}
	comment := strings.TrimSpace(req.Comment)
	if comment == "" {
		comment = defaultRevokeComment
	}
	effective := time.Now().UTC().Truncate(time.Millisecond)
	var answer revokeResponse
	op := apiCall{
		method: http.MethodPost,
		path:   []string{"Certificates", "Revoke"},
		body: revokeRequest{
			CertificateIDs: []int64{id},
			Reason:         reason,
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
func revokeResult(op string, id int64, effective time.Time, resp *apiResponse, answer revokeResponse) (*pkicompat.RevokeResponse, error) {
	for _, s := range answer.SuspendedCerts {
		if int64(s.CertID) == id {
			msg := "revocation pending approval in Keyfactor Command"
			if s.Message != "" {
				msg += ": " + cleanText(s.Message, 512)
			}
			return &pkicompat.RevokeResponse{Pending: true, Message: msg}, nil
		}
	}
	for _, r := range answer.RevokedIDs {
		if int64(r) == id {
			return &pkicompat.RevokeResponse{RevokedAt: effective}, nil
		}
	}
	if resp.status == http.StatusNoContent || (answer.RevokedIDs == nil && answer.SuspendedCerts == nil) {
		return &pkicompat.RevokeResponse{RevokedAt: effective}, nil
	}
	return nil, &CommandError{Op: op, HTTPStatus: resp.status, status: http.StatusBadGateway,
		Hint: "Command did not confirm the revocation of certificate " + strconv.FormatInt(id, 10)}
}

// commandRevokeReason maps an RFC 5280 CRLReason to Command's code. 0-6 are the same in both;
// removeFromCRL (8), privilegeWithdrawn (9) and aACompromise (10) have no Command revocation
// equivalent (Command's 7/8 codes differ by version and mean "unhold").
func commandRevokeReason(rfc int) (int, error) {
	if rfc >= 0 && rfc <= 6 {
		return rfc, nil
	}
	return 0, pkicompat.Invalid("revocation reason %d is not supported by Keyfactor Command (use 0-6)", rfc)
}

// rfcRevokeReason maps Command's revocation code to RFC 5280; unknown (999) and anything
// unmapped become unspecified.
func rfcRevokeReason(command *flexInt) int {
	if command == nil {
		return 0
	}
	switch c := int(*command); {
	case c >= 0 && c <= 6:
		return c
	case c == 7 || c == 8:
		return 8
	}
	return 0
}
