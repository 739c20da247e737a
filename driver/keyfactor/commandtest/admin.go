package commandtest

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

type adminResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// serveAdmin is the simulator's own control endpoint under /_sim/ (no auth; loopback test
// tooling only):
//
//	GET    /_sim/counters               Counters as JSON
//	POST   /_sim/counters/reset
//	POST   /_sim/faults                 a Fault as JSON
//	DELETE /_sim/faults
//	POST   /_sim/tokens/expire
//	POST   /_sim/requests/{id}/approve
//	POST   /_sim/requests/{id}/deny      optional body {"Comment":"…"}
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request, rel string) {
	segs := splitPath(rel)
	reply := func(status int, errText string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(adminResult{OK: errText == "", Error: errText})
	}
	route := r.Method + " " + strings.Join(segs, "/")
	switch {
	case route == "GET counters":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Counters())
	case route == "POST counters/reset":
		s.ResetCounters()
		reply(http.StatusOK, "")
	case route == "POST faults":
		var f Fault
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&f); err != nil {
			reply(http.StatusBadRequest, "body must be a Fault as JSON")
			return
		}
		if f.Status != 0 && (f.Status < 100 || f.Status > 999) {
			reply(http.StatusBadRequest, "Status must be an HTTP status code (100-999)")
			return
		}
		s.InjectFault(f)
		reply(http.StatusOK, "")
	case route == "DELETE faults":
		s.ClearFaults()
		reply(http.StatusOK, "")
	case route == "POST tokens/expire":
		s.ExpireTokens()
		reply(http.StatusOK, "")
	case len(segs) == 3 && segs[0] == "requests" && r.Method == http.MethodPost && (segs[2] == "approve" || segs[2] == "deny"):
		id, err := strconv.Atoi(segs[1])
		if err != nil {
			reply(http.StatusBadRequest, "request id must be an integer")
			return
		}
		if segs[2] == "approve" {
			err = s.ApproveRequest(id)
		} else {
			var body struct{ Comment string }
			_ = json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body) // the comment is optional
			err = s.DenyRequest(id, body.Comment)
		}
		if err != nil {
			reply(http.StatusBadRequest, err.Error())
			return
		}
		reply(http.StatusOK, "")
	default:
		reply(http.StatusNotFound, "unknown admin endpoint")
	}
}
