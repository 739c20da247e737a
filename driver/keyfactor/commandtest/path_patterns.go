package commandtest

import (
	"fmt"
	"net/http"
	"strconv"
)

// enrollmentPatternModel is one entry of GET /EnrollmentPatterns (Command 25.1+).
type enrollmentPatternModel struct {
	ID                     int                     `json:"Id"`
	Name                   string                  `json:"Name"`
	Description            *string                 `json:"Description"`
	Template               patternTemplate         `json:"Template"`
	TemplateDefault        bool                    `json:"TemplateDefault"`
	UseADPermissions       bool                    `json:"UseADPermissions"`
	AssociatedRoles        []struct{}              `json:"AssociatedRoles"`
	CertificateAuthorities []patternCA             `json:"CertificateAuthorities"`
	AllowedEnrollmentTypes int                     `json:"AllowedEnrollmentTypes"`
	Regexes                []struct{}              `json:"Regexes"`
	MetadataFields         []templateMetadataModel `json:"MetadataFields"`
	RestrictCAs            bool                    `json:"RestrictCAs"`
	Policies               *struct{}               `json:"Policies"`
	Defaults               []struct{}              `json:"Defaults"`
	EnrollmentFields       []struct{}              `json:"EnrollmentFields"`
}

// patternTemplate is the short template summary a pattern carries (Keyfactor's v25 SDK model
// EnrollmentPatternsEnrollmentPatternTemplateResponse), not the whole template.
type patternTemplate struct {
	ID                  int     `json:"Id"`
	TemplateName        string  `json:"TemplateName"`
	CommonName          string  `json:"CommonName"`
	ConfigurationTenant string  `json:"ConfigurationTenant"`
	RequiresApproval    bool    `json:"RequiresApproval"`
	FriendlyName        *string `json:"FriendlyName"`
}

// patternCA is a CA a pattern may use (Keyfactor's v25 SDK model
// EnrollmentPatternsEnrollmentPatternCAResponse).
type patternCA struct {
	ID                  int    `json:"Id"`
	LogicalName         string `json:"LogicalName"`
	HostName            string `json:"HostName"`
	ConfigurationTenant string `json:"ConfigurationTenant"`
}

func (s *Server) patternModelOf(p *patternEntry) any {
	cas := p.cas
	if len(cas) == 0 {
		cas = s.store.cas
	}
	m := enrollmentPatternModel{
		ID: p.id, Name: p.name, Template: patternTemplate{ID: p.template.id, TemplateName: p.template.displayName, CommonName: p.template.commonName,
			ConfigurationTenant: "kfpki.test", RequiresApproval: p.template.requiresApproval},
		TemplateDefault: true, AssociatedRoles: []struct{}{}, CertificateAuthorities: []patternCA{},
		AllowedEnrollmentTypes: p.template.allowedEnrollmentTypes, Regexes: []struct{}{},
		MetadataFields: s.templateMetadataModels(nil), RestrictCAs: len(p.cas) > 0, Defaults: []struct{}{},
		EnrollmentFields: []struct{}{},
	}
	for _, ca := range cas {
		m.CertificateAuthorities = append(m.CertificateAuthorities, patternCA{ID: ca.id, LogicalName: ca.logicalName, HostName: ca.hostName, ConfigurationTenant: "kfpki.test"})
	}
	return m
}

var patternSchema = simpleSchema(
	intField("Id", func(it any) int { return it.(*patternEntry).id }),
	strField("Name", func(it any) string { return it.(*patternEntry).name }),
)

func (s *Server) handleListPatterns(ar *apiRequest) {
	queryList(ar, queryObjectPatterns, s.store.patterns, patternSchema, s.patternModelOf)
}

func (s *Server) handleGetPattern(ar *apiRequest) {
	id, err := strconv.Atoi(ar.param)
	if p := s.store.findPattern(id); err == nil && p != nil {
		writeJSON(ar.w, http.StatusOK, s.patternModelOf(p))
		return
	}
	writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Enrollment pattern with ID %s does not exist.", ar.param))
}
