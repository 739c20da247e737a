package commandtest

import "net/http"

// handleStatusEndpoints answers the route list: Command's health and authentication probe.
// Inferred: the string format "METHOD /Path" (evidenced only as an array of strings).
func (s *Server) handleStatusEndpoints(ar *apiRequest) {
	out := make([]string, 0, len(routes))
	for _, rt := range routes {
		if rt.minProfile <= s.profile {
			out = append(out, rt.method+" "+rt.pattern)
		}
	}
	writeJSON(ar.w, http.StatusOK, out)
}
