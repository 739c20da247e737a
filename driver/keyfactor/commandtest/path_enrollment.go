package commandtest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http"
	"strings"
	"time"
)

type enrollCSRRequest struct {
	CSR                        string              `json:"CSR"`
	CertificateAuthority       string              `json:"CertificateAuthority"`
	Template                   string              `json:"Template"`
	EnrollmentPatternID        *int                `json:"EnrollmentPatternId"`
	IncludeChain               bool                `json:"IncludeChain"`
	IncludeSubjectHeader       bool                `json:"IncludeSubjectHeader"`
	Metadata                   map[string]any      `json:"Metadata"`
	AdditionalEnrollmentFields map[string]any      `json:"AdditionalEnrollmentFields"`
	SANs                       map[string][]string `json:"SANs"`
	Timestamp                  *string             `json:"Timestamp"`
	PrivateKey                 *string             `json:"PrivateKey"`
}

type enrollCSRResponse struct {
	CertificateInformation pkcs10Response    `json:"CertificateInformation"`
	Metadata               map[string]string `json:"Metadata"`
}

// pkcs10Response is ModelsPkcs10CertificateResponse. Note KeyfactorID with a capital D.
type pkcs10Response struct {
	SerialNumber *string  `json:"SerialNumber"`
	IssuerDN     *string  `json:"IssuerDN"`
	Thumbprint   *string  `json:"Thumbprint"`
	KeyfactorID  int      `json:"KeyfactorID"`
	Certificates []string `json:"Certificates"`
	// Command 25 only; absent (not null) before.
	*workflowFields
	KeyfactorRequestID int               `json:"KeyfactorRequestId"`
	RequestDisposition string            `json:"RequestDisposition"`
	DispositionMessage string            `json:"DispositionMessage"`
	EnrollmentContext  map[string]string `json:"EnrollmentContext"`
}

type workflowFields struct {
	WorkflowInstanceID  string `json:"WorkflowInstanceId"`
	WorkflowReferenceID int64  `json:"WorkflowReferenceId"`
}

// Request dispositions.
const (
	dispositionIssued   = "ISSUED"
	dispositionPending  = "PENDING"
	dispositionDenied   = "DENIED"
	dispositionFailed   = "FAILED"
	dispositionExternal = "EXTERNAL VALIDATION"
)

// Inferred: disposition messages are AD CS's own texts, which Command passes through.
var dispositionMessages = map[string]string{
	dispositionIssued:   "Issued",
	dispositionPending:  "Taken Under Submission",
	dispositionDenied:   "Denied by Policy Module",
	dispositionFailed:   "Error Constructing or Publishing Certificate",
	dispositionExternal: "Waiting for external validation",
}

const zeroUUID = "00000000-0000-0000-0000-000000000000"

// badRequest is a validation failure: its code and message become a 400 answer.
type badRequest struct{ code, message string }

func (e *badRequest) Error() string { return e.message }

func invalid(code, format string, args ...any) *badRequest {
	return &badRequest{code: code, message: fmt.Sprintf(format, args...)}
}

// checkCertificateFormat enforces the x-certificateformat header with Command's evidenced error.
func checkCertificateFormat(ar *apiRequest, allowed ...string) (string, bool) {
	format := strings.TrimSpace(ar.r.Header.Get("x-certificateformat"))
	if format == "" {
		writeError(ar.w, http.StatusBadRequest, codeMissingCertFormat,
			"You must supply a certificate format in the 'X-CertificateFormat' header of the request.")
		return "", false
	}
	for _, a := range allowed {
		if strings.EqualFold(a, format) {
			return a, true
		}
	}
	writeError(ar.w, http.StatusBadRequest, codeInvalidCertFormat,
		fmt.Sprintf("Invalid certificate format '%s'. Allowed formats: %s.", format, strings.Join(allowed, ", ")))
	return "", false
}

func (s *Server) handleEnrollCSR(ar *apiRequest) {
	format, ok := checkCertificateFormat(ar, "PEM", "DER")
	if !ok {
		return
	}
	if s.profile >= Profile12 {
		// forceEnroll (12.5+) only allows reusing a CSR Command generated; the simulator keeps
		// no generated CSRs, so the flag is validated and otherwise has no effect.
		if _, bad := parseQueryBool(queryParams(ar), "forceEnroll"); bad != nil {
			writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
			return
		}
	}
	var body enrollCSRRequest
	if !decodeBody(ar, &body) {
		return
	}
	req, bad := s.validateEnrollment(&body)
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	req.requester = ar.who.name
	req.submitted = ar.now

	disposition := dispositionIssued
	if req.template.requiresApproval {
		disposition = dispositionPending
	}
	if d := strings.ToUpper(strings.TrimSpace(ar.fault.Disposition)); d != "" {
		disposition = d
	}
	rec, err := s.submitRequest(req, disposition, ar.now)
	if err != nil {
		writeError(ar.w, http.StatusInternalServerError, codeInternal, "The certificate authority could not issue the certificate.")
		return
	}
	if disposition == dispositionIssued || disposition == dispositionPending {
		s.counters.countEnrollment()
	}

	info := pkcs10Response{
		KeyfactorRequestID: req.id,
		RequestDisposition: disposition,
		DispositionMessage: dispositionMessages[disposition],
		Certificates:       []string{}, // Inferred: an empty list, not null, when nothing was issued
	}
	if rec != nil {
		chain := rec.chain()
		if !body.IncludeChain {
			chain = chain[:1]
		}
		info.SerialNumber = &rec.serialHex
		issuerDN := dotNetDN(rec.cert.RawIssuer)
		info.IssuerDN = &issuerDN
		info.Thumbprint = &rec.thumbprint
		info.KeyfactorID = rec.id
		info.Certificates = certEntries(chain, format, s.opts.subjectHeader || body.IncludeSubjectHeader)
	}
	if s.profile.workflowInstanceFields() {
		// Inferred: the zero UUID when no workflow instance holds the request.
		wf := &workflowFields{WorkflowInstanceID: zeroUUID}
		if req.workflowInstanceID != "" {
			wf.WorkflowInstanceID = req.workflowInstanceID
			wf.WorkflowReferenceID = int64(req.id)
		}
		info.workflowFields = wf
	}
	writeJSON(ar.w, http.StatusOK, enrollCSRResponse{CertificateInformation: info, Metadata: req.metadata})
}

// submitRequest records the request and, when it is to be issued now, signs it. It returns the
// certificate record for ISSUED and nil otherwise.
func (s *Server) submitRequest(req *requestRecord, disposition string, now time.Time) (*certRecord, error) {
	switch disposition {
	case dispositionPending, dispositionExternal:
		req.state = certStatePending
		req.workflowInstanceID = newUUID()
	case dispositionDenied:
		req.state = certStateDenied
	case dispositionFailed:
		req.state = certStateFailed
	default:
		req.state = certStatePending // becomes Active once signed below
	}
	s.store.mu.Lock()
	req.id = s.store.newRequestIDLocked()
	s.store.requests[req.id] = req
	s.store.mu.Unlock()
	if disposition != dispositionIssued {
		return nil, nil
	}
	return s.issueRequest(req, now)
}

// issueRequest signs a request's certificate (outside the lock) and adds it to the inventory.
func (s *Server) issueRequest(req *requestRecord, now time.Time) (*certRecord, error) {
	cert, err := req.ca.issueLeaf(req.leaf, now)
	if err != nil {
		s.store.mu.Lock()
		req.state = certStateFailed
		s.store.mu.Unlock()
		return nil, err
	}
	rec := newCertRecord(cert, req.ca, now)
	rec.requestID = req.id
	rec.template = req.template
	rec.pattern = req.pattern
	rec.requester = req.requester
	for k, v := range req.metadata {
		rec.metadata[k] = v
	}
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	req.certID = s.store.addCertLocked(rec)
	req.state = certStateActive
	return rec, nil
}

// validateEnrollment checks an enrollment body the way Command does before it reaches the CA.
func (s *Server) validateEnrollment(body *enrollCSRRequest) (*requestRecord, *badRequest) {
	csr, bad := parseCSR(body.CSR)
	if bad != nil {
		return nil, bad
	}
	template, pattern, bad := s.resolveTemplate(body)
	if bad != nil {
		return nil, bad
	}
	ca, bad := s.resolveCA(body.CertificateAuthority, pattern)
	if bad != nil {
		return nil, bad
	}
	if !template.allowsCSR() {
		return nil, invalid(codeTemplateNotAllowed, "The template '%s' is not configured for CSR enrollment.", template.commonName)
	}
	if ca.allowedEnrollmentTypes&EnrollmentTypeCSR == 0 {
		return nil, invalid(codeTemplateNotAllowed, "The certificate authority '%s' is not configured for CSR enrollment.", ca.qualifiedName())
	}
	if bad := checkKeyPolicy(csr, template); bad != nil {
		return nil, bad
	}
	metadata, bad := s.validateMetadata(body.Metadata)
	if bad != nil {
		return nil, bad
	}
	leaf, bad := mergeSANs(csr, body.SANs)
	if bad != nil {
		return nil, bad
	}
	leaf.validity = template.validity
	return &requestRecord{leaf: leaf, ca: ca, template: template, pattern: pattern, metadata: metadata}, nil
}

// parseCSR accepts a PEM CSR or bare base64 DER and verifies its signature.
func parseCSR(text string) (*x509.CertificateRequest, *badRequest) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, invalid(codeInvalidCSR, "CSR is required.")
	}
	var der []byte
	if strings.Contains(text, "-----BEGIN") {
		block, _ := pem.Decode([]byte(text))
		if block == nil || (block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST") {
			return nil, invalid(codeInvalidCSR, "CSR: the PEM block is not a certificate request.")
		}
		der = block.Bytes
	} else {
		compact := strings.Join(strings.Fields(text), "")
		var err error
		if der, err = base64.StdEncoding.DecodeString(compact); err != nil {
			return nil, invalid(codeInvalidCSR, "CSR: not PEM and not valid base64.")
		}
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		return nil, invalid(codeInvalidCSR, "CSR: the certificate request could not be parsed.")
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, invalid(codeInvalidCSR, "CSR: the certificate request signature is not valid.")
	}
	return csr, nil
}

// resolveTemplate finds the template by short name or, in Command 25, through the enrollment
// pattern. Inferred: when both are given and disagree the request is rejected.
func (s *Server) resolveTemplate(body *enrollCSRRequest) (*templateEntry, *patternEntry, *badRequest) {
	var pattern *patternEntry
	if s.profile.enrollmentPatterns() && body.EnrollmentPatternID != nil {
		if pattern = s.store.findPattern(*body.EnrollmentPatternID); pattern == nil {
			return nil, nil, invalid(codeUnknownTemplate, "Enrollment pattern with ID %d does not exist.", *body.EnrollmentPatternID)
		}
	}
	name := strings.TrimSpace(body.Template)
	if name == "" {
		if pattern != nil {
			return pattern.template, pattern, nil
		}
		return nil, nil, invalid(codeUnknownTemplate, "Template is required.")
	}
	t := s.store.findTemplate(name)
	if t == nil {
		return nil, nil, invalid(codeUnknownTemplate, "Template '%s' does not exist.", name)
	}
	if pattern != nil && pattern.template != t {
		return nil, nil, invalid(codeUnknownTemplate, "Template '%s' does not belong to enrollment pattern %d.", name, pattern.id)
	}
	return t, pattern, nil
}

// resolveCA finds the CA by "host\logical" or logical name; with a pattern and no CA named, the
// pattern's first CA (or the first CA) is used.
func (s *Server) resolveCA(name string, pattern *patternEntry) (*caEntry, *badRequest) {
	name = strings.TrimSpace(name)
	if name == "" {
		if pattern == nil {
			return nil, invalid(codeUnknownCA, "CertificateAuthority is required.")
		}
		if len(pattern.cas) > 0 {
			return pattern.cas[0], nil
		}
		return s.store.cas[0], nil
	}
	ca := s.store.findCA(name)
	if ca == nil {
		return nil, invalid(codeUnknownCA, "Certificate authority '%s' does not exist.", name)
	}
	if pattern != nil && len(pattern.cas) > 0 {
		for _, allowed := range pattern.cas {
			if allowed == ca {
				return ca, nil
			}
		}
		return nil, invalid(codeUnknownCA, "Certificate authority '%s' is not allowed by enrollment pattern %d.", name, pattern.id)
	}
	return ca, nil
}

func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
