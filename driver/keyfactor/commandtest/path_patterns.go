package commandtest

import (
	"fmt"
	"net/http"
	"strconv"
)

// enrollmentPatternModel is one entry of GET /EnrollmentPatterns (Command 25.1+).
type enrollmentPatternModel struct {
	ID                     int             `json:"Id"`
	Name                   string          `json:"Name"`
	Description            *string         `json:"Description"`
	Template               templateModel   `json:"Template"`
	TemplateDefault        bool            `json:"TemplateDefault"`
	UseADPermissions       bool            `json:"UseADPermissions"`
	AssociatedRoles        []struct{}      `json:"AssociatedRoles"`
	CertificateAuthorities []patternCA     `json:"CertificateAuthorities"`
	AllowedEnrollmentTypes int             `json:"AllowedEnrollmentTypes"`
	Regexes                []struct{}      `json:"Regexes"`
	MetadataFields         []metadataModel `json:"MetadataFields"`
	RestrictCAs            bool            `json:"RestrictCAs"`
	Policies               *struct{}       `json:"Policies"`
	Defaults               []struct{}      `json:"Defaults"`
	EnrollmentFields       []struct{}      `json:"EnrollmentFields"`
}

// patternCA names a CA a pattern may use. Inferred: Id plus the host\logical name.
type patternCA struct {
	ID   int    `json:"Id"`
	Name string `json:"Name"`
}

func (s *Server) patternModelOf(p *patternEntry) any {
	cas := p.cas
	if len(cas) == 0 {
		cas = s.store.cas
	}
	m := enrollmentPatternModel{
		ID: p.id, Name: p.name, Template: s.templateModelOf(p.template).(templateModel),
		TemplateDefault: true, AssociatedRoles: []struct{}{}, CertificateAuthorities: []patternCA{},
		AllowedEnrollmentTypes: p.template.allowedEnrollmentTypes, Regexes: []struct{}{},
		MetadataFields: s.metadataModels(), RestrictCAs: len(p.cas) > 0, Defaults: []struct{}{},
		EnrollmentFields: []struct{}{},
	}
	for _, ca := range cas {
		m.CertificateAuthorities = append(m.CertificateAuthorities, patternCA{ID: ca.id, Name: ca.qualifiedName()})
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
