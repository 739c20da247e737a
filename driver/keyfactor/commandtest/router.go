package commandtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// apiRequest is one authenticated API call on its way to a handler.
type apiRequest struct {
	w     http.ResponseWriter
	r     *http.Request
	who   *identity
	param string // the {id} segment, if the route has one
	fault Fault  // the fault taken for this request (only Disposition reaches handlers)
	now   time.Time
	// plusIsLiteral: "+" in the query string is a plus sign, not a space (see query).
	plusIsLiteral bool
}

type route struct {
	method     string
	pattern    string // relative to the API path; "{id}" matches one segment
	perm       string // required permission; "" = any authenticated caller
	minProfile Profile
	handle     func(*Server, *apiRequest)
}

// routes lists the API. Literal routes come before {id} routes of the same shape, so the first
// match wins. It is filled in init because Status/Endpoints lists it.
var routes []route

func init() {
	routes = []route{
		{method: "GET", pattern: "/Status/Endpoints", handle: (*Server).handleStatusEndpoints},
		{method: "POST", pattern: "/Enrollment/CSR", perm: PermEnrollCSR, handle: (*Server).handleEnrollCSR},
		{method: "GET", pattern: "/Enrollment/CSR/Context/My", handle: (*Server).handleCSRContext},
		{method: "POST", pattern: "/Certificates/Revoke", perm: PermRevoke, handle: (*Server).handleRevoke},
		{method: "POST", pattern: "/Certificates/Download", perm: PermDownload, handle: (*Server).handleDownload},
		{method: "GET", pattern: "/Certificates", perm: PermCertificatesRead, handle: (*Server).handleSearchCertificates},
		{method: "GET", pattern: "/Certificates/{id}", perm: PermCertificatesRead, handle: (*Server).handleGetCertificate},
		{method: "GET", pattern: "/CertificateAuthority", perm: PermCARead, handle: (*Server).handleListCAs},
		{method: "GET", pattern: "/CertificateAuthority/{id}", perm: PermCARead, handle: (*Server).handleGetCA},
		{method: "GET", pattern: "/Templates", perm: PermTemplatesRead, handle: (*Server).handleListTemplates},
		{method: "GET", pattern: "/Templates/{id}", perm: PermTemplatesRead, handle: (*Server).handleGetTemplate},
		{method: "GET", pattern: "/MetadataFields", perm: PermMetadataRead, handle: (*Server).handleListMetadata},
		{method: "GET", pattern: "/MetadataFields/{id}", perm: PermMetadataRead, handle: (*Server).handleGetMetadata},
		{method: "GET", pattern: "/EnrollmentPatterns", perm: PermPatternsRead, minProfile: Profile25, handle: (*Server).handleListPatterns},
		{method: "GET", pattern: "/EnrollmentPatterns/{id}", perm: PermPatternsRead, minProfile: Profile25, handle: (*Server).handleGetPattern},
		{method: "GET", pattern: "/Workflow/Certificates/Pending", perm: PermWorkflowRead, handle: (*Server).handleListPending},
		{method: "GET", pattern: "/Workflow/Certificates/Denied", perm: PermWorkflowRead, handle: (*Server).handleListDenied},
		{method: "POST", pattern: "/Workflow/Certificates/Approve", perm: PermWorkflowManage, handle: (*Server).handleApprove},
		{method: "POST", pattern: "/Workflow/Certificates/Deny", perm: PermWorkflowManage, handle: (*Server).handleDeny},
		{method: "GET", pattern: "/Workflow/Certificates/{id}", perm: PermWorkflowRead, handle: (*Server).handleGetRequest},
	}
}

// matchRoute finds the route for method and path. pathKnown reports whether some route has the
// path with another method (405 rather than 404).
func (s *Server) matchRoute(method, path string) (rt *route, param string, pathKnown bool) {
	segs := splitPath(path)
	for i := range routes {
		cand := &routes[i]
		if cand.minProfile > s.profile {
			continue
		}
		p, ok := matchSegments(splitPath(cand.pattern), segs)
		if !ok {
			continue
		}
		if cand.method == method {
			return cand, p, true
		}
		pathKnown = true
	}
	return nil, "", pathKnown
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

func matchSegments(pattern, segs []string) (string, bool) {
	if len(pattern) != len(segs) {
		return "", false
	}
	param := ""
	for i, ps := range pattern {
		if ps == "{id}" {
			param = segs[i]
			continue
		}
		if !strings.EqualFold(ps, segs[i]) {
			return "", false
		}
	}
	return param, true
}

// counterKey names an unmatched request for the counters: numeric segments become {id}.
func counterKey(method, path string) string {
	segs := splitPath(path)
	for i, seg := range segs {
		if _, err := strconv.Atoi(seg); err == nil {
			segs[i] = "{id}"
		}
	}
	return method + " /" + strings.Join(segs, "/")
}

// serveAPI runs one request through Command's pipeline: counters and faults (simulator
// plumbing), authentication, the required headers, routing, permission, handler.
func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, rel string) {
	w.Header().Set("x-keyfactor-product-version", s.profile.productVersion())
	rt, param, pathKnown := s.matchRoute(r.Method, rel)
	key := counterKey(r.Method, rel)
	if rt != nil {
		key = rt.method + " " + rt.pattern
	}
	s.counters.countRequest(key)

	fault, faulted := s.faults.take(key)
	if faulted && s.applyFault(w, r, fault) {
		return
	}
	if faulted && fault.AnswerLatency > 0 {
		held := &heldAnswer{header: w.Header().Clone()}
		defer held.sendAfter(w, r, fault.AnswerLatency)
		w = held
	}

	// Inferred: IIS authenticates before the application sees the request, so bad credentials
	// win over a missing header or an unknown route.
	who := s.auth.authenticate(r, s.profile, time.Now())
	if who == nil {
		s.writeUnauthorized(w)
		return
	}
	if strings.TrimSpace(r.Header.Get("x-keyfactor-requested-with")) == "" {
		// Inferred: the status is not evidenced; an ASP.NET filter rejecting a required header
		// answers 400.
		writeError(w, http.StatusBadRequest, codeMissingHeader,
			"The 'x-keyfactor-requested-with' header is required. Send 'x-keyfactor-requested-with: APIClient'.")
		return
	}
	if v := strings.TrimSpace(r.Header.Get("x-keyfactor-api-version")); v != "" && v != "1" && v != "1.0" {
		// Every endpoint simulated here exists only in version 1 (Enrollment/PFX and the other
		// v2 endpoints are not simulated). Inferred: rejected with 400 as ASP.NET API
		// versioning does, in Command's error shape.
		writeError(w, http.StatusBadRequest, codeUnsupportedVersion,
			fmt.Sprintf("The requested API version '%s' is not supported for this endpoint.", v))
		return
	}
	if rt == nil {
		if pathKnown {
			writeError(w, http.StatusMethodNotAllowed, codeNotFound, fmt.Sprintf("The method %s is not allowed for this resource.", r.Method))
			return
		}
		writeError(w, http.StatusNotFound, codeNotFound, "The requested resource was not found.")
		return
	}
	if !who.allowed(rt.perm) {
		writePermissionDenied(w, who)
		return
	}
	rt.handle(s, &apiRequest{w: w, r: r, who: who, param: param, fault: fault, now: time.Now(), plusIsLiteral: s.profile == Profile10})
}

// writeUnauthorized answers 401 with an empty body and the challenges Command's IIS offers.
// Inferred: the WWW-Authenticate values (IIS Basic realm; Bearer from 11 on).
func (s *Server) writeUnauthorized(w http.ResponseWriter) {
	w.Header().Add("WWW-Authenticate", `Basic realm="Keyfactor"`)
	if s.profile.bearerAuth() {
		w.Header().Add("WWW-Authenticate", "Bearer")
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusUnauthorized)
}

func writePermissionDenied(w http.ResponseWriter, who *identity) {
	writeError(w, http.StatusForbidden, codePermissionDenied,
		fmt.Sprintf("User %s doesn't have the required permission", who.name))
}

// applyFault acts on an injected fault. It reports whether the request has been answered.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f Fault) bool {
	if f.Latency > 0 {
		t := time.NewTimer(f.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true
		}
	}
	switch {
	case f.DropConnection:
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 10<<20))
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		// HTTP/2 connections cannot be hijacked, and closing one would fail every request it
		// carries. This request alone is lost instead: net/http's HTTP/2 server answers a handler
		// that panics with ErrAbortHandler by resetting the stream (RST_STREAM), which the client
		// sees as a transport error after its request was sent, as with a dropped connection.
		panic(http.ErrAbortHandler)
	case f.Status != 0:
		status := f.Status
		if status < 100 || status > 999 {
			status = http.StatusInternalServerError // net/http cannot send other codes
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.Body)
		return true
	case f.GarbageBody:
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html><body>Service Unavailable\x00\xff</body>")
		return true
	}
	return false
}

// decodeBody reads a JSON body into v. Property names bind case-insensitively, as ASP.NET's
// model binding does (encoding/json already matches names that way).
func decodeBody(ar *apiRequest, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(ar.w, ar.r.Body, 4<<20))
	if err != nil {
		writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "The request body could not be read.")
		return false
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "A request body is required.")
		return false
	}
	if err := json.Unmarshal(escapeRawControlChars(body), v); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field != "" {
			writeError(ar.w, http.StatusBadRequest, codeInvalidRequest,
				fmt.Sprintf("The value for '%s' is not valid: expected %s.", typeErr.Field, typeErr.Type))
			return false
		}
		writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "The request body is not valid JSON.")
		return false
	}
	return true
}
