package commandtest

import (
	"errors"
	"net/http"
	"strings"
	"time"
)

type revokeRequest struct {
	CertificateIDs []int   `json:"CertificateIds"` // docs spell it CertificateIDs; binding is case-insensitive
	Reason         *int    `json:"Reason"`
	Comment        *string `json:"Comment"`
	EffectiveDate  *string `json:"EffectiveDate"`
	CollectionID   *int    `json:"CollectionId"`
	PublishCRL     *bool   `json:"PublishCRL"`
}

type revokeResponse struct {
	RevokedIDs     []int           `json:"RevokedIds"`
	SuspendedCerts []suspendedCert `json:"SuspendedCerts"`
}

type suspendedCert struct {
	CertID     int    `json:"CertId"`
	WorkflowID string `json:"WorkflowId"`
	Message    string `json:"Message"`
}

const reasonCertificateHold = 6

func (s *Server) handleRevoke(ar *apiRequest) {
	var body revokeRequest
	if !decodeBody(ar, &body) {
		return
	}
	reason := 0
	if body.Reason != nil {
		reason = *body.Reason
	}
	// Inferred: the docs mark Comment "Required"; an ASP.NET [Required] string rejects empty.
	if body.Comment == nil || strings.TrimSpace(*body.Comment) == "" {
		writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "Comment is required.")
		return
	}
	effective := ar.now
	if body.EffectiveDate != nil && strings.TrimSpace(*body.EffectiveDate) != "" {
		t, ok := parseLenientTime(*body.EffectiveDate)
		if !ok {
			writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "EffectiveDate is not a valid date.")
			return
		}
		effective = t
	}
	revoked, bad := s.revoke(body.CertificateIDs, reason, *body.Comment, effective)
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	// Every profile answers 200 with the id lists: Keyfactor's Command 10 SDK (generated from
	// Command 10's swagger) returns ModelsRevocationRevocationResponse from this operation, and
	// the v11+ docs document 200 with RevokedIds. (Older clients also accept 204, which no
	// evidence ties to a Command version.)
	writeJSON(ar.w, http.StatusOK, revokeResponse{RevokedIDs: revoked, SuspendedCerts: []suspendedCert{}})
}

// revoke applies a revocation to every id, or to none if any id is unusable. It returns the ids
// whose revocation is in effect.
//
// Inferred: unknown ids and CA certificates reject the whole request with 400 (nothing is
// changed); revoking an already revoked certificate is idempotent and lists it without changing
// its date; a certificate on hold (reason 6) may be revoked again with a final reason; "remove
// from hold" (-1) and "remove from CRL" (7, or 8 in Command 25) reinstate a held certificate.
func (s *Server) revoke(ids []int, reason int, comment string, effective time.Time) ([]int, *badRequest) {
	if len(ids) == 0 {
		return nil, invalid(codeInvalidRevocation, "CertificateIds must contain at least one certificate ID.")
	}
	if !s.profile.validRevokeReason(reason) {
		return nil, invalid(codeInvalidRevocation, "Invalid revocation reason: %d.", reason)
	}
	unhold := reason == -1 || reason == s.profile.removeFromCRLReason()

	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	for _, id := range ids {
		rec, ok := s.store.certs[id]
		switch {
		case !ok:
			return nil, invalid(codeInvalidRevocation, "Certificate with ID %d does not exist.", id)
		case rec.state == certStateCA || rec.state == certStateParentCA:
			return nil, invalid(codeInvalidRevocation, "Certificate with ID %d is a certificate authority certificate and cannot be revoked here.", id)
		case unhold && !onHold(rec):
			return nil, invalid(codeInvalidRevocation, "Certificate with ID %d is not on hold.", id)
		}
	}
	revoked := make([]int, 0, len(ids))
	for _, id := range ids {
		rec := s.store.certs[id]
		switch {
		case unhold:
			rec.state = certStateActive
			rec.revocationDate, rec.revocationReason, rec.revocationComment = nil, nil, nil
		case rec.state == certStateRevoked && !onHold(rec):
			// already revoked for good: nothing changes
		default:
			date, r, c := effective, reason, comment
			rec.state = certStateRevoked
			rec.revocationDate, rec.revocationReason, rec.revocationComment = &date, &r, &c
		}
		revoked = append(revoked, id)
	}
	return revoked, nil
}

func onHold(rec *certRecord) bool {
	return rec.state == certStateRevoked && rec.revocationReason != nil && *rec.revocationReason == reasonCertificateHold
}

// RevokeInConsole revokes a certificate as an operator would in Command's UI, not through the
// API: no request is counted and no fault applies.
func (s *Server) RevokeInConsole(certID int, reason int) error {
	if _, bad := s.revoke([]int{certID}, reason, "Revoked in the Keyfactor Command console", time.Now()); bad != nil {
		return errors.New(bad.message)
	}
	return nil
}
