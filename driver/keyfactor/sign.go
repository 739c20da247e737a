package keyfactor

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Sign enrolls the CSR at Command (POST /Enrollment/CSR). It is never retried once the body
// may have reached Command: a second attempt could issue a second certificate.
func (d *keyfactorDriver) Sign(ctx context.Context, req *cadriver.SignRequest) (*cadriver.SignResponse, error) {
	if req == nil || req.CSR == nil || len(req.CSR.Raw) == 0 {
		return nil, cadriver.Invalid("no CSR to sign")
	}
	ca, err := d.resolveCA(req.CA)
	if err != nil {
		return nil, err
	}
	template := strings.TrimSpace(req.Template)
	if template == "" {
		template = strings.TrimSpace(d.settings.cfg.Template)
	}
	if template == "" {
		return nil, cadriver.Invalid("no certificate template named: the request names none and config sets no default template")
	}

	body := enrollmentCSRRequest{
		CSR:                  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: req.CSR.Raw})),
		CertificateAuthority: ca,
		Template:             template,
		IncludeChain:         true,
		Metadata:             req.Metadata,
		SANs:                 sansOf(req),
		Timestamp:            time.Now().UTC().Format(time.RFC3339),
	}
	var answer enrollmentCSRResponse
	_, err = d.callJSON(ctx, apiCall{
		method: http.MethodPost,
		path:   []string{"Enrollment", "CSR"},
		body:   body,
		format: "PEM",
	}, errorPolicy{badRequestIsCallers: true}, &answer)
	if err != nil {
		return nil, err
	}
	return d.enrollmentResult(ctx, req, ca, answer)
}

// sansOf maps the request's names to Command's SAN keys. IP addresses go under ip4 or ip6 by
// family; empty kinds are left out so Command sees no empty arrays.
func sansOf(req *cadriver.SignRequest) map[string][]string {
	sans := map[string][]string{}
	if len(req.DNSNames) > 0 {
		sans["dns"] = append([]string(nil), req.DNSNames...)
	}
	for _, ip := range req.IPAddresses {
		if ip == nil {
			continue
		}
		if ip.To4() != nil {
			sans["ip4"] = append(sans["ip4"], ip.String())
		} else {
			sans["ip6"] = append(sans["ip6"], ip.String())
		}
	}
	for _, u := range req.URIs {
		if u != nil {
			sans["uri"] = append(sans["uri"], u.String())
		}
	}
	if len(req.EmailAddresses) > 0 {
		sans["rfc822"] = append([]string(nil), req.EmailAddresses...)
	}
	if len(sans) == 0 {
		return nil
	}
	return sans
}

// enrollmentResult interprets an enrollment answer by its disposition (compared
// case-insensitively): issued, held for approval, or refused.
func (d *keyfactorDriver) enrollmentResult(ctx context.Context, req *cadriver.SignRequest, ca string, answer enrollmentCSRResponse) (*cadriver.SignResponse, error) {
	info := answer.CertificateInformation
	if info == nil {
		return nil, d.badAnswer("the enrollment answer has no CertificateInformation")
	}
	disposition := strings.ToUpper(strings.TrimSpace(info.RequestDisposition))
	message := d.redact(cleanText(info.DispositionMessage, 1024))
	requestID := strconv.FormatInt(int64(info.KeyfactorRequestID), 10)

	switch disposition {
	case "PENDING", "EXTERNAL VALIDATION", "EXTERNALVALIDATION":
		return nil, &cadriver.PendingApprovalError{RequestID: requestID, Message: message}
	case "DENIED":
		return nil, &cadriver.ValidationError{Message: dispositionText("was denied by", requestID, message)}
	case "FAILED":
		return nil, &CommandError{Op: "POST /Enrollment/CSR", HTTPStatus: http.StatusOK, Message: message,
			Hint: "certificate request " + requestID + " failed in the CA", status: http.StatusBadGateway}
	case "ISSUED", "":
		// An empty disposition with certificates is accepted: the certificates are the answer.
	default:
		if len(info.Certificates) == 0 {
			return nil, &CommandError{Op: "POST /Enrollment/CSR", HTTPStatus: http.StatusOK, Message: message,
				Hint: "Command answered the enrollment with disposition " + strconv.Quote(info.RequestDisposition) + " and no certificate", status: http.StatusBadGateway}
		}
	}

	certs, err := parseCertificateEntries(info.Certificates)
	if err != nil {
		return nil, d.badAnswer("the enrollment answer holds an unreadable certificate: " + err.Error())
	}
	leaf, rest := splitLeaf(certs, req.CSR.RawSubjectPublicKeyInfo)
	if leaf == nil {
		return nil, d.badAnswer("the enrollment answer holds no certificate (disposition " + strconv.Quote(info.RequestDisposition) + ")")
	}
	if len(req.CSR.RawSubjectPublicKeyInfo) > 0 && string(leaf.RawSubjectPublicKeyInfo) != string(req.CSR.RawSubjectPublicKeyInfo) {
		return nil, d.badAnswer("the certificate Command returned is not for the submitted CSR's key")
	}

	chain := orderChain(leaf, rest)
	if len(chain) > 0 {
		d.chains.offer(ca, chain)
	} else if cached, err := d.CAChain(ctx, ca); err == nil && len(cached) > 0 && issuedBy(leaf, cached[0]) {
		// Command sent no chain (IncludeChain ignored): use the CA's cached or looked-up one.
		chain = cached
	}
	d.rememberCDPs(ca, leaf)

	id := ""
	if info.KeyfactorID > 0 {
		id = strconv.FormatInt(int64(info.KeyfactorID), 10)
	}
	return &cadriver.SignResponse{Certificate: leaf, Chain: chain, CertificateID: id, CA: ca}, nil
}

func dispositionText(what, requestID, message string) string {
	text := "certificate request " + requestID + " " + what + " Keyfactor Command"
	if message != "" {
		text += ": " + message
	}
	return text
}

// badAnswer is an answer the driver cannot use: Command's fault, reported as 502.
func (d *keyfactorDriver) badAnswer(reason string) error {
	return &CommandError{Op: "POST /Enrollment/CSR", HTTPStatus: http.StatusOK, Hint: reason, status: http.StatusBadGateway}
}

// rememberCDPs keeps the HTTP CRL distribution points of a certificate the CA issued.
func (d *keyfactorDriver) rememberCDPs(ca string, leaf *x509.Certificate) {
	urls := httpURLs(leaf.CRLDistributionPoints)
	if len(urls) == 0 {
		return
	}
	d.leafCDPsMu.Lock()
	d.leafCDPs[caKey(ca)] = urls
	d.leafCDPsMu.Unlock()
}
