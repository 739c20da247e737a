package commandtest

import (
	"strconv"
	"strings"
)

// paging is the PageReturned/ReturnLimit pair of Command's paged queries.
type paging struct{ page, limit int }

const defaultReturnLimit = 50

// parsePaging reads PageReturned (1-based, default 1) and ReturnLimit (default 50, as Keyfactor's
// API docs give it for the paged collections).
// Inferred: non-integers fail ASP.NET model binding (400); zero or negative values are rejected
// rather than sent to SQL as a negative OFFSET.
func parsePaging(q map[string]string) (paging, *badRequest) {
	p := paging{page: 1, limit: defaultReturnLimit}
	for name, dst := range map[string]*int{"pagereturned": &p.page, "returnlimit": &p.limit} {
		raw, ok := q[name]
		if !ok || strings.TrimSpace(raw) == "" {
			continue
		}
		v, err := strconv.Atoi(strings.TrimSpace(raw))
		if err != nil {
			return p, invalid(codeInvalidPaging, "The value '%s' is not valid for %s.", raw, pagingName(name))
		}
		if v < 1 {
			return p, invalid(codeInvalidPaging, "%s must be at least 1.", pagingName(name))
		}
		*dst = v
	}
	return p, nil
}

func pagingName(lower string) string {
	if lower == "pagereturned" {
		return "PageReturned"
	}
	return "ReturnLimit"
}

// pageOf returns the requested page of all; an empty (never nil) slice past the end.
func pageOf[T any](all []T, p paging) []T {
	start := (p.page - 1) * p.limit
	if p.page-1 > len(all)/p.limit || start >= len(all) || start < 0 {
		return []T{}
	}
	end := min(start+p.limit, len(all))
	return append([]T{}, all[start:end]...)
}

// parseQueryBool reads an optional boolean parameter. Inferred: ASP.NET's bool binding accepts
// only true/false (any case); anything else is a 400.
func parseQueryBool(q map[string]string, name string) (bool, *badRequest) {
	raw, ok := q[strings.ToLower(name)]
	if !ok || strings.TrimSpace(raw) == "" {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, invalid(codeInvalidRequest, "The value '%s' is not valid for %s.", raw, name)
}
