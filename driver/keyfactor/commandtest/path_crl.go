package commandtest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// serveCRL answers GET /CRL/{name}.crl with the CA's current CRL (DER), generated on each
// request so a revocation shows at once. Real Command has no such endpoint (AD CS publishes
// CRLs itself); the simulator serves them at the leaves' distribution point, without auth.
func (s *Server) serveCRL(w http.ResponseWriter, r *http.Request, file string) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	name, ok := strings.CutSuffix(file, ".crl")
	if !ok {
		http.NotFound(w, r)
		return
	}
	ca := s.store.findCAByCertName(name)
	if ca == nil {
		http.NotFound(w, r)
		return
	}
	der, err := s.crlFor(ca, time.Now())
	if err != nil {
		http.Error(w, "CRL could not be generated", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	w.Header().Set("Content-Length", strconv.Itoa(len(der)))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(der)
	}
}

// crlFor builds ca's CRL from the inventory; signing happens outside the lock.
func (s *Server) crlFor(ca *caEntry, now time.Time) ([]byte, error) {
	s.store.mu.Lock()
	entries := s.store.revokedEntriesLocked(ca)
	s.store.mu.Unlock()
	return ca.makeCRL(entries, now)
}

// CRL returns the current DER CRL of the named CA (logical name, host\logical or the root's
// name).
func (s *Server) CRL(name string) ([]byte, error) {
	ca := s.store.findCA(name)
	if ca == nil {
		ca = s.store.findCAByCertName(name)
	}
	if ca == nil {
		return nil, &badRequest{code: codeUnknownCA, message: "unknown CA " + strconv.Quote(name)}
	}
	return s.crlFor(ca, time.Now())
}
