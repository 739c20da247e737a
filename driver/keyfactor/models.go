package keyfactor

// Request and response bodies of the Command endpoints the driver uses. Field names are
// Command's PascalCase; encoding/json matches them case-insensitively, which also covers the
// KeyfactorID/KeyfactorId spelling difference between endpoints and versions. Every field
// tolerates null, and unknown fields are ignored.

// enrollmentCSRRequest is the body of POST /Enrollment/CSR.
type enrollmentCSRRequest struct {
	CSR                  string              `json:"CSR"`
	CertificateAuthority string              `json:"CertificateAuthority,omitempty"`
	Template             string              `json:"Template,omitempty"`
	IncludeChain         bool                `json:"IncludeChain"`
	Metadata             map[string]string   `json:"Metadata,omitempty"`
	SANs                 map[string][]string `json:"SANs,omitempty"`
	Timestamp            string              `json:"Timestamp"`
}

// enrollmentCSRResponse is the answer of POST /Enrollment/CSR.
type enrollmentCSRResponse struct {
	CertificateInformation *pkcs10CertificateResponse `json:"CertificateInformation"`
	Metadata               map[string]string          `json:"Metadata"`
}

type pkcs10CertificateResponse struct {
	SerialNumber       string   `json:"SerialNumber"`
	IssuerDN           string   `json:"IssuerDN"`
	Thumbprint         string   `json:"Thumbprint"`
	KeyfactorID        flexInt  `json:"KeyfactorID"`
	Certificates       []string `json:"Certificates"`
	KeyfactorRequestID flexInt  `json:"KeyfactorRequestId"`
	RequestDisposition string   `json:"RequestDisposition"`
	DispositionMessage string   `json:"DispositionMessage"`
	WorkflowInstanceID string   `json:"WorkflowInstanceId"`
}

// revokeRequest is the body of POST /Certificates/Revoke.
type revokeRequest struct {
	CertificateIDs []int64 `json:"CertificateIds"`
	Reason         int     `json:"Reason"`
	Comment        string  `json:"Comment"`
	EffectiveDate  string  `json:"EffectiveDate"`
}

// revokeResponse is the 200 answer of POST /Certificates/Revoke (older servers answer 204).
type revokeResponse struct {
	RevokedIDs     []flexInt       `json:"RevokedIds"`
	SuspendedCerts []suspendedCert `json:"SuspendedCerts"`
}

type suspendedCert struct {
	CertID     flexInt `json:"CertId"`
	WorkflowID string  `json:"WorkflowId"`
	Message    string  `json:"Message"`
}

// certificateRecord is one entry of GET /Certificates and the answer of GET /Certificates/{id}.
type certificateRecord struct {
	ID                       flexInt             `json:"Id"`
	Thumbprint               string              `json:"Thumbprint"`
	SerialNumber             string              `json:"SerialNumber"`
	IssuedDN                 string              `json:"IssuedDN"`
	IssuedCN                 string              `json:"IssuedCN"`
	IssuerDN                 string              `json:"IssuerDN"`
	NotBefore                flexTime            `json:"NotBefore"`
	NotAfter                 flexTime            `json:"NotAfter"`
	CertState                flexInt             `json:"CertState"`
	RevocationEffDate        flexTime            `json:"RevocationEffDate"`
	RevocationReason         *flexInt            `json:"RevocationReason"`
	CertificateAuthorityName string              `json:"CertificateAuthorityName"`
	ContentBytes             string              `json:"ContentBytes"`
	CRLDistributionPoints    []distributionPoint `json:"CRLDistributionPoints"`
}

type distributionPoint struct {
	URL string `json:"Url"`
}

// certState values of certificateRecord.CertState.
const (
	certStateRevoked   = 2
	certStateIssuingCA = 6
)

// downloadRequest is the body of POST /Certificates/Download.
type downloadRequest struct {
	CertID       int64  `json:"CertID"`
	IncludeChain bool   `json:"IncludeChain"`
	ChainOrder   string `json:"ChainOrder,omitempty"`
}

type downloadResponse struct {
	Content string `json:"Content"`
}

// errorBody is Command's error shape; FailedOperations appears on bulk/store errors.
type errorBody struct {
	ErrorCode        string            `json:"ErrorCode"`
	Message          string            `json:"Message"`
	FailedOperations []failedOperation `json:"FailedOperations"`
}

type failedOperation struct {
	Reason string `json:"Reason"`
}

// csrContext is the answer of GET /Enrollment/CSR/Context/My: what the caller may enroll with.
type csrContext struct {
	Templates     []contextTemplate `json:"Templates"`
	StandaloneCAs []contextCA       `json:"StandaloneCAs"`
}

type contextTemplate struct {
	ID               flexInt     `json:"Id"`
	Name             string      `json:"Name"`
	DisplayName      string      `json:"DisplayName"`
	RequiresApproval bool        `json:"RequiresApproval"`
	CAs              []contextCA `json:"CAs"`
}

type contextCA struct {
	Name string `json:"Name"`
}

// templateRecord is one entry of GET /Templates.
type templateRecord struct {
	ID                     flexInt `json:"Id"`
	CommonName             string  `json:"CommonName"`
	TemplateName           string  `json:"TemplateName"`
	DisplayName            string  `json:"DisplayName"`
	AllowedEnrollmentTypes flexInt `json:"AllowedEnrollmentTypes"`
	RequiresApproval       bool    `json:"RequiresApproval"`
}

// caRecord is one entry of GET /CertificateAuthority.
type caRecord struct {
	ID                     flexInt  `json:"Id"`
	LogicalName            string   `json:"LogicalName"`
	HostName               string   `json:"HostName"`
	AllowedEnrollmentTypes *flexInt `json:"AllowedEnrollmentTypes"`
}

// enrollmentTypeCSR is the CSR bit of AllowedEnrollmentTypes.
const enrollmentTypeCSR = 2
