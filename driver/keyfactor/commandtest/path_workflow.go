package commandtest

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// pendingRequestModel is one entry of GET /Workflow/Certificates/Pending|Denied.
type pendingRequestModel struct {
	ID                   int               `json:"Id"`
	CARequestID          string            `json:"CARequestId"` // a string in Keyfactor's v25 SDK model
	CommonName           *string           `json:"CommonName"`
	DistinguishedName    *string           `json:"DistinguishedName"`
	SubmissionDate       stjTime           `json:"SubmissionDate"`
	CertificateAuthority string            `json:"CertificateAuthority"`
	Template             string            `json:"Template"`
	Requester            string            `json:"Requester"`
	State                int               `json:"State"`
	StateString          string            `json:"StateString"`
	Metadata             map[string]string `json:"Metadata"`
}

type workflowOutcome struct {
	CARowID            int    `json:"CARowId"`
	CARequestID        int    `json:"CARequestId"`
	CAHost             string `json:"CAHost"`
	CALogicalName      string `json:"CALogicalName"`
	KeyfactorRequestID int    `json:"KeyfactorRequestId"`
	Comment            string `json:"Comment"`
}

type workflowResponse struct {
	Failures  []workflowOutcome `json:"Failures"`
	Denials   []workflowOutcome `json:"Denials"`
	Successes []workflowOutcome `json:"Successes"`
}

type denyRequest struct {
	Comment               string `json:"Comment"`
	CertificateRequestIDs []int  `json:"CertificateRequestIds"`
}

// caRequestID is the CA's own request number (AD CS counts separately from Command).
func caRequestID(req *requestRecord) int { return req.id - firstRequestID + 1 }

func requestModel(req *requestRecord) pendingRequestModel {
	m := pendingRequestModel{
		ID:                   req.id,
		CARequestID:          strconv.Itoa(caRequestID(req)),
		SubmissionDate:       stjTime(req.submitted),
		CertificateAuthority: req.ca.qualifiedName(),
		Template:             req.template.commonName,
		Requester:            req.requester,
		State:                req.state,
		StateString:          certStateNames[req.state],
		Metadata:             map[string]string{},
	}
	for k, v := range req.metadata {
		m.Metadata[k] = v
	}
	if cn := req.leaf.csr.Subject.CommonName; cn != "" {
		m.CommonName = &cn
	}
	if dn := dotNetDN(req.leaf.csr.RawSubject); dn != "" {
		m.DistinguishedName = &dn
	}
	return m
}

func (s *Server) listRequests(ar *apiRequest, state int) {
	page, bad := parsePaging(queryObject(ar, queryObjectWorkflow))
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	s.store.mu.Lock()
	var all []pendingRequestModel
	for id := firstRequestID; id < s.store.nextRequestID; id++ {
		if req, ok := s.store.requests[id]; ok && req.state == state {
			all = append(all, requestModel(req))
		}
	}
	s.store.mu.Unlock()
	writeJSON(ar.w, http.StatusOK, pageOf(all, page))
}

func (s *Server) handleListPending(ar *apiRequest) { s.listRequests(ar, certStatePending) }
func (s *Server) handleListDenied(ar *apiRequest)  { s.listRequests(ar, certStateDenied) }

func (s *Server) handleGetRequest(ar *apiRequest) {
	id, err := strconv.Atoi(ar.param)
	s.store.mu.Lock()
	req, ok := s.store.requests[id]
	var m requestDetailModel
	if ok {
		m = requestDetail(req)
	}
	s.store.mu.Unlock()
	if err != nil || !ok {
		writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Certificate request with ID %s does not exist.", ar.param))
		return
	}
	writeJSON(ar.w, http.StatusOK, m)
}

// Inferred: Approve and Deny answer 200 with per-request outcomes; requests that are unknown
// or not pending are reported in Failures rather than failing the call.
func (s *Server) handleApprove(ar *apiRequest) {
	var ids []int
	if !decodeBody(ar, &ids) {
		return
	}
	resp := workflowResponse{Failures: []workflowOutcome{}, Denials: []workflowOutcome{}, Successes: []workflowOutcome{}}
	for _, id := range ids {
		outcome, err := s.approve(id, ar.now)
		if err != nil {
			outcome.Comment = err.Error()
			resp.Failures = append(resp.Failures, outcome)
			continue
		}
		resp.Successes = append(resp.Successes, outcome)
	}
	writeJSON(ar.w, http.StatusOK, resp)
}

func (s *Server) handleDeny(ar *apiRequest) {
	var body denyRequest
	if !decodeBody(ar, &body) {
		return
	}
	resp := workflowResponse{Failures: []workflowOutcome{}, Denials: []workflowOutcome{}, Successes: []workflowOutcome{}}
	for _, id := range body.CertificateRequestIDs {
		outcome, err := s.deny(id, body.Comment)
		if err != nil {
			outcome.Comment = err.Error()
			resp.Failures = append(resp.Failures, outcome)
			continue
		}
		resp.Denials = append(resp.Denials, outcome)
	}
	writeJSON(ar.w, http.StatusOK, resp)
}

var errNotPending = errors.New("the certificate request is not pending")

// takePending marks a pending request as being processed so two approvals cannot both issue.
func (s *Server) takePending(id int) (*requestRecord, workflowOutcome, error) {
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	req, ok := s.store.requests[id]
	if !ok {
		return nil, workflowOutcome{KeyfactorRequestID: id}, fmt.Errorf("certificate request %d does not exist", id)
	}
	outcome := workflowOutcome{
		CARowID: caRequestID(req), CARequestID: caRequestID(req), CAHost: req.ca.hostName,
		CALogicalName: req.ca.logicalName, KeyfactorRequestID: id,
	}
	if req.state != certStatePending {
		return nil, outcome, errNotPending
	}
	req.state = certStateUnknown // in progress
	return req, outcome, nil
}

func (s *Server) approve(id int, now time.Time) (workflowOutcome, error) {
	req, outcome, err := s.takePending(id)
	if err != nil {
		return outcome, err
	}
	if _, err := s.issueRequest(req, now); err != nil {
		return outcome, errors.New("the certificate authority failed to issue the certificate")
	}
	outcome.Comment = "Issued"
	return outcome, nil
}

func (s *Server) deny(id int, comment string) (workflowOutcome, error) {
	req, outcome, err := s.takePending(id)
	if err != nil {
		return outcome, err
	}
	s.store.mu.Lock()
	req.state = certStateDenied
	req.comment = comment
	s.store.mu.Unlock()
	outcome.Comment = comment
	return outcome, nil
}

// ApproveRequest approves a pending request (same effect as POST /Workflow/Certificates/Approve):
// the certificate is issued and becomes findable by CertRequestId.
func (s *Server) ApproveRequest(requestID int) error {
	_, err := s.approve(requestID, time.Now())
	return err
}

// DenyRequest denies a pending request with a comment.
func (s *Server) DenyRequest(requestID int, comment string) error {
	_, err := s.deny(requestID, comment)
	return err
}
