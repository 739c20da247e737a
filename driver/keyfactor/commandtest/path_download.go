package commandtest

import (
	"encoding/base64"
	"net/http"
	"strings"
)

type downloadRequest struct {
	CertID               *int    `json:"CertID"` // real clients send CertID and CertId; binding is case-insensitive
	SerialNumber         *string `json:"SerialNumber"`
	IssuerDN             *string `json:"IssuerDN"`
	Thumbprint           *string `json:"Thumbprint"`
	IncludeChain         bool    `json:"IncludeChain"`
	ChainOrder           *string `json:"ChainOrder"`
	IncludeSubjectHeader bool    `json:"IncludeSubjectHeader"`
}

type downloadResponse struct {
	Content string `json:"Content"`
}

func (s *Server) handleDownload(ar *apiRequest) {
	format, ok := checkCertificateFormat(ar, "PEM", "DER", "P7B")
	if !ok {
		return
	}
	var body downloadRequest
	if !decodeBody(ar, &body) {
		return
	}
	rootFirst := false
	if body.ChainOrder != nil {
		switch strings.ToLower(strings.TrimSpace(*body.ChainOrder)) {
		case "", "endentityfirst":
		case "rootfirst":
			rootFirst = true
		default:
			writeError(ar.w, http.StatusBadRequest, codeInvalidRequest, "ChainOrder must be EndEntityFirst or RootFirst.")
			return
		}
	}
	s.store.mu.Lock()
	rec, bad := s.findForDownloadLocked(&body)
	s.store.mu.Unlock()
	if bad != nil {
		status := http.StatusBadRequest
		if bad.code == codeNotFound {
			status = http.StatusNotFound // Inferred: an identified but unknown certificate is 404
		}
		writeError(ar.w, status, bad.code, bad.message)
		return
	}
	chain := rec.chain()
	if !body.IncludeChain {
		chain = chain[:1]
	}
	if rootFirst {
		for i, j := 0, len(chain)-1; i < j; i, j = i+1, j-1 {
			chain[i], chain[j] = chain[j], chain[i]
		}
	}
	var content []byte
	switch format {
	case "DER":
		content = rec.cert.Raw // Inferred: DER carries the leaf only whatever IncludeChain says
	case "P7B":
		der, err := encodePKCS7CertsOnly(chain)
		if err != nil {
			writeError(ar.w, http.StatusInternalServerError, codeInternal, "The PKCS#7 bundle could not be built.")
			return
		}
		content = der
	default:
		// Inferred: PEM content is the base64 of CRLF PEM text, chain in the requested order.
		var sb strings.Builder
		for _, c := range chain {
			if body.IncludeSubjectHeader {
				sb.WriteString(subjectHeader(c))
			}
			sb.WriteString(pemCRLF(c))
		}
		content = []byte(sb.String())
	}
	writeJSON(ar.w, http.StatusOK, downloadResponse{Content: base64.StdEncoding.EncodeToString(content)})
}

// findForDownloadLocked identifies the certificate by CertID, else Thumbprint, else
// SerialNumber with IssuerDN (a serial is unique only per CA). The caller holds the lock.
func (s *Server) findForDownloadLocked(body *downloadRequest) (*certRecord, *badRequest) {
	switch {
	case body.CertID != nil && *body.CertID != 0:
		if rec, ok := s.store.certs[*body.CertID]; ok {
			return rec, nil
		}
		return nil, invalid(codeNotFound, "Certificate with ID %d does not exist.", *body.CertID)
	case body.Thumbprint != nil && strings.TrimSpace(*body.Thumbprint) != "":
		want := strings.TrimSpace(*body.Thumbprint)
		for _, rec := range s.store.certs {
			if strings.EqualFold(rec.thumbprint, want) {
				return rec, nil
			}
		}
		return nil, invalid(codeNotFound, "Certificate with thumbprint %s does not exist.", want)
	case body.SerialNumber != nil && strings.TrimSpace(*body.SerialNumber) != "":
		if body.IssuerDN == nil || strings.TrimSpace(*body.IssuerDN) == "" {
			return nil, invalid(codeInvalidRequest, "IssuerDN is required with SerialNumber.")
		}
		serial, issuer := strings.TrimSpace(*body.SerialNumber), normalizeDN(*body.IssuerDN)
		for _, rec := range s.store.sortedCertsLocked() {
			if strings.EqualFold(rec.serialHex, serial) && normalizeDN(dotNetDNCompact(rec.cert.RawIssuer)) == issuer {
				return rec, nil
			}
		}
		return nil, invalid(codeNotFound, "Certificate with serial number %s from issuer %s does not exist.", serial, *body.IssuerDN)
	}
	return nil, invalid(codeInvalidRequest, "Identify the certificate by CertID, Thumbprint, or SerialNumber and IssuerDN.")
}
