package commandtest

import (
	"fmt"
	"net/http"
	"strconv"
)

// templateModel is one template of GET /Templates; CommonName is the short name used to enroll.
type templateModel struct {
	ID                     int        `json:"Id"`
	CommonName             string     `json:"CommonName"`
	TemplateName           string     `json:"TemplateName"`
	Oid                    string     `json:"Oid"`
	KeySize                string     `json:"KeySize"`
	KeyType                *string    `json:"KeyType"`
	ForestRoot             string     `json:"ForestRoot"`
	ConfigurationTenant    string     `json:"ConfigurationTenant"`
	FriendlyName           *string    `json:"FriendlyName"`
	KeyRetention           int        `json:"KeyRetention"`
	KeyRetentionDays       *int       `json:"KeyRetentionDays"`
	KeyArchival            bool       `json:"KeyArchival"`
	EnrollmentFields       []struct{} `json:"EnrollmentFields"`
	AllowedEnrollmentTypes int        `json:"AllowedEnrollmentTypes"`
	TemplateRegexes        []struct{} `json:"TemplateRegexes"`
	UseAllowedRequesters   bool       `json:"UseAllowedRequesters"`
	AllowedRequesters      []string   `json:"AllowedRequesters"`
	DisplayName            string     `json:"DisplayName"`
	RequiresApproval       bool       `json:"RequiresApproval"`
	KeyUsage               int        `json:"KeyUsage"`
	ExtendedKeyUsages      []ekuModel `json:"ExtendedKeyUsages"`
	*templateDetail                   // only on GET /Templates/{id}
}

type templateDetail struct {
	MetadataFields   []templateMetadataModel `json:"MetadataFields"`
	TemplateDefaults []struct{}              `json:"TemplateDefaults"`
	TemplatePolicy   *struct{}               `json:"TemplatePolicy"`
	RFCEnforcement   bool                    `json:"RFCEnforcement"`
	Curve            *string                 `json:"Curve"`
}

var leafEKUs = []ekuModel{
	{ID: 1, Oid: "1.3.6.1.5.5.7.3.1", DisplayName: "Server Authentication"},
	{ID: 2, Oid: "1.3.6.1.5.5.7.3.2", DisplayName: "Client Authentication"},
}

// templateModelOf renders a template of GET /Templates. From Command 25.1 the enrollment types
// that decide are the enrollment pattern's (Keyfactor Command 25.1 docs, enrollment patterns);
// Inferred: a template flagged StaleTemplateFlag then shows 0 in its own field, the value a
// template imported before the upgrade is left with.
func (s *Server) templateModelOf(t *templateEntry) any {
	allowed := t.allowedEnrollmentTypes
	if t.staleTemplateFlag && s.profile.enrollmentPatterns() {
		allowed = 0
	}
	return templateModel{
		ID: t.id, CommonName: t.commonName, TemplateName: t.displayName, Oid: t.oid,
		KeySize: strconv.Itoa(t.minKeySize), KeyType: optString(t.keyType), ForestRoot: "kfpki.test",
		ConfigurationTenant: "kfpki.test", EnrollmentFields: []struct{}{},
		AllowedEnrollmentTypes: allowed, TemplateRegexes: []struct{}{},
		AllowedRequesters: []string{}, DisplayName: t.displayName, RequiresApproval: t.requiresApproval,
		KeyUsage: 0xA0, ExtendedKeyUsages: leafEKUs,
	}
}

var templateSchema = simpleSchema(
	intField("Id", func(it any) int { return it.(*templateEntry).id }),
	strField("CommonName", func(it any) string { return it.(*templateEntry).commonName }),
	strField("TemplateName", func(it any) string { return it.(*templateEntry).displayName }),
	strField("DisplayName", func(it any) string { return it.(*templateEntry).displayName }),
)

func (s *Server) handleListTemplates(ar *apiRequest) {
	queryList(ar, queryObjectTemplates, s.store.templates, templateSchema, s.templateModelOf)
}

func (s *Server) handleGetTemplate(ar *apiRequest) {
	id, err := strconv.Atoi(ar.param)
	for _, t := range s.store.templates {
		if err == nil && t.id == id {
			m := s.templateModelOf(t).(templateModel)
			m.templateDetail = &templateDetail{MetadataFields: s.templateMetadataModels(t), TemplateDefaults: []struct{}{}}
			writeJSON(ar.w, http.StatusOK, m)
			return
		}
	}
	writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Template with ID %s does not exist.", ar.param))
}
