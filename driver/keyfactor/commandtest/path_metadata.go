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

func (s *Server) metadataModels() []metadataModel {
	out := make([]metadataModel, 0, len(s.store.metadata))
	for _, m := range s.store.metadata {
		out = append(out, metadataModelOf(m).(metadataModel))
	}
	return out
}

var metadataSchema = simpleSchema(
	intField("Id", func(it any) int { return it.(*metadataEntry).id }),
	strField("Name", func(it any) string { return it.(*metadataEntry).name }),
	intField("DataType", func(it any) int { return it.(*metadataEntry).dataType }),
)

func (s *Server) handleListMetadata(ar *apiRequest) {
	queryList(ar, s.store.metadata, metadataSchema, metadataModelOf)
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
