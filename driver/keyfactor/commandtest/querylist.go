package commandtest

import (
	"net/http"
	"strings"
)

// simpleSchema builds a PQL schema from getters over one item type.
type simpleField struct {
	name string
	kind fieldKind
	get  func(any) fieldValue
}

func simpleSchema(fields ...simpleField) querySchema {
	return func(name string) (fieldDef, bool) {
		for _, f := range fields {
			if strings.EqualFold(f.name, name) {
				return fieldDef{name: f.name, kind: f.kind, get: f.get}, true
			}
		}
		return fieldDef{}, false
	}
}

func strField(name string, get func(any) string) simpleField {
	return simpleField{name: name, kind: kindString, get: func(it any) fieldValue { return fieldValue{strs: []string{get(it)}} }}
}

func intField(name string, get func(any) int) simpleField {
	return simpleField{name: name, kind: kindInt, get: func(it any) fieldValue { return fieldValue{num: int64(get(it))} }}
}

// queryList answers a paged, PQL-filtered list of inventory items, reading the query object
// bound under prefix (see queryObject).
func queryList[T any](ar *apiRequest, prefix string, items []T, schema querySchema, render func(T) any) {
	q := queryObject(ar, prefix)
	page, bad := parsePaging(q)
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	match, err := parsePQL(q["querystring"], schema, ar.now)
	if err != nil {
		writeError(ar.w, http.StatusBadRequest, codeInvalidQuery, "Invalid query: "+err.Error())
		return
	}
	var hits []T
	for _, it := range items {
		if match(it) {
			hits = append(hits, it)
		}
	}
	out := []any{}
	for _, it := range pageOf(hits, page) {
		out = append(out, render(it))
	}
	writeJSON(ar.w, http.StatusOK, out)
}
