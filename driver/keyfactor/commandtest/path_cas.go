package commandtest

import (
	"fmt"
	"net/http"
	"strconv"
)

// caModel is one CA of GET /CertificateAuthority. Secrets (ExplicitPassword) are never returned.
type caModel struct {
	ID                     int       `json:"Id"`
	LogicalName            string    `json:"LogicalName"`
	HostName               string    `json:"HostName"`
	Delegate               bool      `json:"Delegate"`
	DelegateEnrollment     bool      `json:"DelegateEnrollment"`
	ForestRoot             string    `json:"ForestRoot"`
	ConfigurationTenant    string    `json:"ConfigurationTenant"`
	Remote                 bool      `json:"Remote"`
	Agent                  *string   `json:"Agent"`
	Standalone             bool      `json:"Standalone"`
	MonitorThresholds      bool      `json:"MonitorThresholds"`
	IssuanceMax            *int      `json:"IssuanceMax"`
	IssuanceMin            *int      `json:"IssuanceMin"`
	DenialMax              *int      `json:"DenialMax"`
	FailureMax             *int      `json:"FailureMax"`
	RFCEnforcement         bool      `json:"RFCEnforcement"`
	Properties             string    `json:"Properties"`
	AllowedEnrollmentTypes int       `json:"AllowedEnrollmentTypes"`
	KeyRetention           int       `json:"KeyRetention"`
	KeyRetentionDays       *int      `json:"KeyRetentionDays"`
	ExplicitCredentials    bool      `json:"ExplicitCredentials"`
	SubscriberTerms        bool      `json:"SubscriberTerms"`
	ExplicitUser           *string   `json:"ExplicitUser"`
	ExplicitPassword       *struct{} `json:"ExplicitPassword"` // never returned: secrets stay on the server
	UseAllowedRequesters   bool      `json:"UseAllowedRequesters"`
	AllowedRequesters      []string  `json:"AllowedRequesters"`
	FullScan               *struct{} `json:"FullScan"`
	IncrementalScan        *struct{} `json:"IncrementalScan"`
	ThresholdCheck         *struct{} `json:"ThresholdCheck"`
	CAType                 int       `json:"CAType"`
	AuthCertificate        *struct{} `json:"AuthCertificate"`
	EnforceUniqueDN        bool      `json:"EnforceUniqueDN"`
	LastScan               *stjTime  `json:"LastScan"`
}

func caModelOf(ca *caEntry) any {
	return caModel{
		ID: ca.id, LogicalName: ca.logicalName, HostName: ca.hostName, ForestRoot: "kfpki.test",
		ConfigurationTenant: "kfpki.test", Properties: "{}", AllowedEnrollmentTypes: ca.allowedEnrollmentTypes,
		AllowedRequesters: []string{},
	}
}

var caSchema = simpleSchema(
	intField("Id", func(it any) int { return it.(*caEntry).id }),
	strField("LogicalName", func(it any) string { return it.(*caEntry).logicalName }),
	strField("HostName", func(it any) string { return it.(*caEntry).hostName }),
)

func (s *Server) handleListCAs(ar *apiRequest) {
	queryList(ar, queryObjectCAs, s.store.cas, caSchema, caModelOf)
}

func (s *Server) handleGetCA(ar *apiRequest) {
	id, err := strconv.Atoi(ar.param)
	for _, ca := range s.store.cas {
		if err == nil && ca.id == id {
			writeJSON(ar.w, http.StatusOK, caModelOf(ca))
			return
		}
	}
	writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Certificate authority with ID %s does not exist.", ar.param))
}
