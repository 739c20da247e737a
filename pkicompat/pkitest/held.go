package pkitest

import (
	"context"
	"fmt"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

var (
	_ cadriver.RequestChecker = (*Driver)(nil)
	_ cadriver.RequestDenier  = (*Driver)(nil)
)

// heldSign is a Sign the Server holds for approval (HoldSigns), until ApproveHeld or DenyHeld.
type heldSign struct {
	req                        pkicompat.SignRequest
	defaultCA, defaultTemplate string
	state                      cadriver.RequestState
	comment                    string
	issued                     *pkicompat.SignResponse
	checks                     int
}

// holdLocked keeps req under the current hold id; s.mu is held.
func (s *Server) holdLocked(req *pkicompat.SignRequest, defaultCA, defaultTemplate string) {
	s.held[s.pendingSignID] = &heldSign{req: *req, defaultCA: defaultCA, defaultTemplate: defaultTemplate}
}

// ApproveHeld issues the held request requestID, as an approver in the CA would.
func (s *Server) ApproveHeld(requestID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[requestID]
	if h == nil || h.state != cadriver.RequestPending {
		return fmt.Errorf("request %s is not held", requestID)
	}
	issued, err := s.signLocked(&h.req, h.defaultCA, h.defaultTemplate)
	if err != nil {
		h.state = cadriver.RequestFailed
		h.comment = err.Error()
		return err
	}
	h.state, h.issued = cadriver.RequestIssued, issued
	return nil
}

// DenyHeld denies the held request requestID with a comment.
func (s *Server) DenyHeld(requestID, comment string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[requestID]
	if h == nil || h.state != cadriver.RequestPending {
		return fmt.Errorf("request %s is not held", requestID)
	}
	h.state, h.comment = cadriver.RequestDenied, comment
	return nil
}

// ForgetHeld makes the Server forget a held request, as a CA that purged it.
func (s *Server) ForgetHeld(requestID string) { s.set(func() { delete(s.held, requestID) }) }

// HeldChecks is how many times the request's state was asked for.
func (s *Server) HeldChecks(requestID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.held[requestID]; h != nil {
		return h.checks
	}
	return 0
}

// HeldState is the held request's state (false when the Server holds no such request).
func (s *Server) HeldState(requestID string) (cadriver.RequestState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h := s.held[requestID]; h != nil {
		return h.state, true
	}
	return 0, false
}

// CheckRequest reports a held request's state; an unknown one is a NotFoundError.
func (d *Driver) CheckRequest(_ context.Context, q *cadriver.RequestQuery) (*cadriver.RequestStatus, error) {
	s := d.server
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.held[q.RequestID]
	if h == nil {
		return nil, &pkicompat.NotFoundError{Message: fmt.Sprintf("certificate request %s does not exist", q.RequestID)}
	}
	h.checks++
	st := &cadriver.RequestStatus{State: h.state, CAState: h.state.String(), Message: h.comment, Requester: "pkitest"}
	if h.issued != nil {
		copied := *h.issued
		st.Issued = &copied
	}
	return st, nil
}

// DenyRequest denies a held request, as DenyHeld.
func (d *Driver) DenyRequest(_ context.Context, requestID, comment string) error {
	if err := d.server.DenyHeld(requestID, comment); err != nil {
		return &pkicompat.NotFoundError{Message: err.Error()}
	}
	return nil
}
