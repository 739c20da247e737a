package keyfactor

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Command's classic approval workflow, for requests an enrollment answered PENDING.
//
// GET /Workflow/Certificates/{id} returns one certificate request by its KeyfactorRequestId,
// with State (a CertState) and DenialComment (Keyfactor's keyfactor-go-client-sdk,
// WorkflowApi.WorkflowCertificatesIdGet returning CertRequestResponseModel).
// POST /Workflow/Certificates/Deny takes {"Comment", "CertificateRequestIds"} and answers
// {Failures, Denials, Successes} (the same SDK's WorkflowCertificatesDenyPost, Keyfactor's Go
// client). Once approved, the certificate is found in the inventory with
// CertRequestId -eq <request id> (Keyfactor's Go client looks certificates up that way).

var (
	_ cadriver.RequestChecker = (*keyfactorDriver)(nil)
	_ cadriver.RequestDenier  = (*keyfactorDriver)(nil)
)

// certRequestModel is the part of GET /Workflow/Certificates/{id} the driver reads.
type certRequestModel struct {
	ID             flexInt  `json:"Id"`
	SubmissionDate flexTime `json:"SubmissionDate"`
	Requester      *string  `json:"Requester"`
	State          flexInt  `json:"State"`
	StateString    *string  `json:"StateString"`
	DenialComment  *string  `json:"DenialComment"`
}

// CertState values a workflow request takes (see the reference's CertState enum).
const (
	certStateDenied             = 3
	certStateFailed             = 4
	certStatePending            = 5
	certStateExternalValidation = 8
)

type denyRequest struct {
	Comment               string  `json:"Comment"`
	CertificateRequestIDs []int64 `json:"CertificateRequestIds"`
}

type workflowOutcome struct {
	KeyfactorRequestID flexInt `json:"KeyfactorRequestId"`
	Comment            *string `json:"Comment"`
}

type workflowResult struct {
	Failures  []workflowOutcome `json:"Failures"`
	Denials   []workflowOutcome `json:"Denials"`
	Successes []workflowOutcome `json:"Successes"`
}

// CheckRequest reports where a held request stands in Command and, once it is issued, returns
// the certificate with its chain.
func (d *keyfactorDriver) CheckRequest(ctx context.Context, q *cadriver.RequestQuery) (*cadriver.RequestStatus, error) {
	if q == nil {
		return nil, cadriver.Invalid("no request to check")
	}
	id, err := workflowRequestID(q.RequestID)
	if err != nil {
		return nil, err
	}
	var model certRequestModel
	_, err = d.callJSON(ctx, apiCall{
		method:   http.MethodGet,
		path:     []string{"Workflow", "Certificates", strconv.FormatInt(id, 10)},
		readOnly: true,
	}, errorPolicy{notFoundIsCallers: true}, &model)
	if err != nil {
		return nil, err
	}
	status := &cadriver.RequestStatus{
		CAState:     d.redact(cleanText(deref(model.StateString), 64)),
		Message:     d.redact(cleanText(deref(model.DenialComment), 1024)),
		Requester:   d.redact(cleanText(deref(model.Requester), 256)),
		SubmittedAt: model.SubmissionDate.Time,
	}
	switch int(model.State) {
	case certStatePending, certStateExternalValidation:
		status.State = cadriver.RequestPending
		return status, nil
	case certStateDenied:
		status.State = cadriver.RequestDenied
		return status, nil
	case certStateFailed:
		status.State = cadriver.RequestFailed
		return status, nil
	}
	issued, err := d.issuedForRequest(ctx, id, q)
	if err != nil {
		return nil, err
	}
	if issued == nil {
		// Inferred: Command records the certificate after the CA issued it; until it is in
		// the inventory the request is reported as still waiting.
		status.State = cadriver.RequestPending
		return status, nil
	}
	status.State, status.Issued = cadriver.RequestIssued, issued
	return status, nil
}

// issuedForRequest finds the certificate Command issued for request id, with its chain; nil when
// the inventory has none yet.
func (d *keyfactorDriver) issuedForRequest(ctx context.Context, id int64, q *cadriver.RequestQuery) (*cadriver.SignResponse, error) {
	ca, err := d.resolveCA(q.CA)
	if err != nil {
		return nil, err
	}
	query, err := pqlAllOf(pqlInt("CertRequestId", int(id)))
	if err != nil {
		return nil, cadriver.Invalid("%v", err)
	}
	records, err := d.searchCertificates(ctx, certQuery{pql: query, includeRevoked: true, includeExpired: true, maxPages: 1})
	if err != nil || len(records) == 0 {
		return nil, err
	}
	record := newestRecord(records)
	if record == nil {
		return nil, nil
	}
	certs, err := d.downloadChain(ctx, int64(record.ID))
	if err != nil {
		return nil, err
	}
	var spki []byte
	if q.CSR != nil {
		spki = q.CSR.RawSubjectPublicKeyInfo
	}
	leaf, rest := splitLeaf(certs, spki)
	if leaf == nil {
		return nil, &CommandError{Op: "POST /Certificates/Download", HTTPStatus: http.StatusOK,
			Hint: "the certificate of request " + strconv.FormatInt(id, 10) + " is not for the requested key", status: http.StatusBadGateway}
	}
	chain := orderChain(leaf, rest)
	if len(chain) == 0 {
		if cached, err := d.CAChain(ctx, ca); err == nil {
			chain = cached
		}
	}
	return &cadriver.SignResponse{Certificate: leaf, Chain: chain, CertificateID: strconv.FormatInt(int64(record.ID), 10), CA: ca}, nil
}

// DenyRequest denies a request Command holds for approval.
func (d *keyfactorDriver) DenyRequest(ctx context.Context, requestID, comment string) error {
	id, err := workflowRequestID(requestID)
	if err != nil {
		return err
	}
	var result workflowResult
	op := apiCall{
		method: http.MethodPost,
		path:   []string{"Workflow", "Certificates", "Deny"},
		body:   denyRequest{Comment: comment, CertificateRequestIDs: []int64{id}},
	}
	if _, err := d.callJSON(ctx, op, errorPolicy{badRequestIsCallers: true}, &result); err != nil {
		return err
	}
	for _, f := range result.Failures {
		if int64(f.KeyfactorRequestID) == id || len(result.Denials) == 0 {
			return &CommandError{Op: op.op(), HTTPStatus: http.StatusOK, Message: d.redact(cleanText(deref(f.Comment), 1024)),
				Hint: "Command did not deny request " + requestID, status: http.StatusBadRequest}
		}
	}
	return nil
}

// workflowRequestID reads a request id as Command numbers them.
func workflowRequestID(text string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimSpace(text), 10, 32)
	if err != nil || id <= 0 {
		return 0, cadriver.Invalid("certificate request id %q is not a Keyfactor Command request id (a positive integer)", text)
	}
	return id, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
