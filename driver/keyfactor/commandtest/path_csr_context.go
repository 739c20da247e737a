package commandtest

import (
	"net/http"
	"strconv"
)

// csrContext is GET /Enrollment/CSR/Context/My: what the caller may enroll with.
type csrContext struct {
	Templates     []contextTemplate `json:"Templates"`
	StandaloneCAs []contextCA       `json:"StandaloneCAs"`
}

type contextTemplate struct {
	ID                int                     `json:"Id"`
	Name              string                  `json:"Name"`
	DisplayName       string                  `json:"DisplayName"`
	Forest            string                  `json:"Forest"`
	KeySize           string                  `json:"KeySize"`
	KeyType           *string                 `json:"KeyType"`
	RequiresApproval  bool                    `json:"RequiresApproval"`
	RFCEnforcement    bool                    `json:"RFCEnforcement"`
	CAs               []contextCA             `json:"CAs"`
	EnrollmentFields  []struct{}              `json:"EnrollmentFields"`
	MetadataFields    []templateMetadataModel `json:"MetadataFields"`
	Regexes           []struct{}              `json:"Regexes"`
	ExtendedKeyUsages []ekuModel              `json:"ExtendedKeyUsages"`
	Curve             *string                 `json:"Curve"`
}

type contextCA struct {
	Name            string `json:"Name"`
	RFCEnforcement  bool   `json:"RFCEnforcement"`
	SubscriberTerms bool   `json:"SubscriberTerms"`
}

// handleCSRContext lists the CSR-enabled templates and their CAs. Inferred: a caller without the
// CSR enrollment permission gets empty lists rather than 403 ("templates … the calling user has
// permissions on").
func (s *Server) handleCSRContext(ar *apiRequest) {
	out := csrContext{Templates: []contextTemplate{}, StandaloneCAs: []contextCA{}}
	if ar.who.allowed(PermEnrollCSR) {
		var cas []contextCA
		for _, ca := range s.store.cas {
			if ca.allowedEnrollmentTypes&EnrollmentTypeCSR != 0 {
				cas = append(cas, contextCA{Name: ca.qualifiedName()})
			}
		}
		for _, t := range s.store.templates {
			if !t.allowsCSR() {
				continue
			}
			out.Templates = append(out.Templates, contextTemplate{
				// Keyfactor's API docs (GET Enrollment/CSR/Context/My, v10.5 and current)
				// describe both Name and DisplayName as "the common name (short name) of the
				// template", unlike GET /Templates, whose DisplayName is the display name.
				ID: t.id, Name: t.commonName, DisplayName: t.commonName, Forest: "kfpki.test",
				KeySize: strconv.Itoa(t.minKeySize), KeyType: optString(t.keyType), RequiresApproval: t.requiresApproval,
				CAs: append([]contextCA{}, cas...), EnrollmentFields: []struct{}{}, MetadataFields: s.templateMetadataModels(t),
				Regexes: []struct{}{}, ExtendedKeyUsages: leafEKUs,
			})
		}
	}
	writeJSON(ar.w, http.StatusOK, out)
}
