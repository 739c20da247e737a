package commandtest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// metadataModel is one field of GET /MetadataFields.
type metadataModel struct {
	ID           int     `json:"Id"`
	Name         string  `json:"Name"`
	Description  string  `json:"Description"`
	DataType     int     `json:"DataType"`
	Hint         *string `json:"Hint"`
	Validation   *string `json:"Validation"`
	Enrollment   int     `json:"Enrollment"`
	Message      *string `json:"Message"`
	Options      *string `json:"Options"`
	DefaultValue *string `json:"DefaultValue"`
	DisplayOrder int     `json:"DisplayOrder"`
}

// metadataModelOf renders a field. Inferred: DataType 1 String … 7 Email and Enrollment
// 0 Optional / 1 Required: the codes are not documented; this order follows the order Command's
// UI lists the types and enrollment modes in.
func metadataModelOf(m *metadataEntry) any {
	enrollment := 0
	if m.required {
		enrollment = 1
	}
	return metadataModel{
		ID: m.id, Name: m.name, Description: m.description, DataType: m.dataType, Hint: optString(m.hint),
		Enrollment: enrollment, Options: optString(m.options), DefaultValue: optString(m.defaultValue),
		DisplayOrder: m.displayOrder,
	}
}

// templateMetadataModel is a metadata field as a template (GET /Templates/{id},
// Context/My) or an enrollment pattern lists it: the template's settings for the field, which
// it names by MetadataId, not the field's definition (Keyfactor's v25 SDK models
// TemplatesTemplateMetadataFieldRequestResponseModel and
// CSSCMSDataModelModelsTemplatesTemplateMetadataField; the pattern's model has no Id or
// TemplateId). Inferred: Id numbers the template's rows; the simulator keeps no per-template
// overrides, so DefaultValue and Enrollment repeat the field's own.
type templateMetadataModel struct {
	ID            *int    `json:"Id,omitempty"`
	TemplateID    *int    `json:"TemplateId,omitempty"`
	MetadataID    int     `json:"MetadataId"`
	DefaultValue  *string `json:"DefaultValue"`
	Validation    *string `json:"Validation"`
	Enrollment    int     `json:"Enrollment"`
	Message       *string `json:"Message"`
	CaseSensitive bool    `json:"CaseSensitive"`
}

// templateMetadataModels lists every metadata field for template t (nil t: an enrollment
// pattern, whose entries carry no Id or TemplateId).
func (s *Server) templateMetadataModels(t *templateEntry) []templateMetadataModel {
	out := make([]templateMetadataModel, 0, len(s.store.metadata))
	for i, m := range s.store.metadata {
		enrollment := 0
		if m.required {
			enrollment = 1
		}
		row := templateMetadataModel{MetadataID: m.id, DefaultValue: optString(m.defaultValue), Enrollment: enrollment}
		if t != nil {
			id, tid := t.id*1000+i+1, t.id
			row.ID, row.TemplateID = &id, &tid
		}
		out = append(out, row)
	}
	return out
}

var metadataSchema = simpleSchema(
	intField("Id", func(it any) int { return it.(*metadataEntry).id }),
	strField("Name", func(it any) string { return it.(*metadataEntry).name }),
	intField("DataType", func(it any) int { return it.(*metadataEntry).dataType }),
)

func (s *Server) handleListMetadata(ar *apiRequest) {
	queryList(ar, queryObjectMetadata, s.store.metadata, metadataSchema, metadataModelOf)
}

// handleGetMetadata accepts an id or a name (not case sensitive), as Command does.
func (s *Server) handleGetMetadata(ar *apiRequest) {
	id, err := strconv.Atoi(ar.param)
	for _, m := range s.store.metadata {
		if (err == nil && m.id == id) || (err != nil && strings.EqualFold(m.name, ar.param)) {
			writeJSON(ar.w, http.StatusOK, metadataModelOf(m))
			return
		}
	}
	writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Metadata field %s does not exist.", ar.param))
}
