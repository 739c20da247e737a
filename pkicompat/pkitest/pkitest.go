// Package pkitest is an in-memory CA behind the pkicompat.Driver interface, for unit tests of
// pkicompat: a Server is a plain value holding real CAs (root + issuing CA, crypto/x509) that
// signs, revokes, serves chains and CRLs, and can be told to fail in the ways a real CA does.
package pkitest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"strconv"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/helper/certutil"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat"
	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Password is the credential the Server accepts in the "password" config field.
const Password = "s3cret-pkitest"

// DefaultCAName is the CA a Server made by New() without names serves.
const DefaultCAName = "PKITest Issuing CA"

// testCA is one CA: a self-signed root and the issuing CA it signed.
type testCA struct {
	name       string
	root       *x509.Certificate
	issuing    *x509.Certificate
	issuingKey crypto.Signer
}

type issuedCert struct {
	id      string
	ca      string
	cert    *x509.Certificate
	revoked time.Time
}

// Server is the in-memory CA service. Its zero value is not usable; call New.
type Server struct {
	mu        sync.Mutex
	cas       map[string]*testCA
	caOrder   []string
	templates map[string]bool
	issued    map[string]*issuedCert // by certificate id
	nextID    int

	signErr, revokeErr, chainErr, crlErr, checkErr error
	pendingRevoke                                  bool
	pendingSignID                                  string
	held                                           map[string]*heldSign
	metadataFields                                 []cadriver.MetadataField
	validity                                       time.Duration
	loseAnswers                                    int
	findErr                                        error

	signRequests   []pkicompat.SignRequest
	revokeRequests []pkicompat.RevokeRequest
	closes         int
}

// New starts a Server with one CA per name (the first is the default); no names means one CA
// called DefaultCAName. Templates "WebServer" and "Vault" exist; the empty template is the
// default.
func New(caNames ...string) (*Server, error) {
	if len(caNames) == 0 {
		caNames = []string{DefaultCAName}
	}
	s := &Server{
		cas:       map[string]*testCA{},
		templates: map[string]bool{"WebServer": true, "Vault": true},
		issued:    map[string]*issuedCert{},
		held:      map[string]*heldSign{},
		// Ids start at 41 so that tests meet ids beginning with "4", which a storage decoder
		// once mistook for compressed data when stored as bare numbers.
		nextID: 41,
	}
	for _, n := range caNames {
		ca, err := newTestCA(n)
		if err != nil {
			return nil, err
		}
		s.cas[n] = ca
		s.caOrder = append(s.caOrder, n)
	}
	return s, nil
}

func newTestCA(name string) (*testCA, error) {
	rootKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: name + " Root"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(20 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	rootDER, err := x509.CreateCertificate(rand.Reader, rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	root, err := x509.ParseCertificate(rootDER)
	if err != nil {
		return nil, err
	}
	issKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	issTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	issDER, err := x509.CreateCertificate(rand.Reader, issTmpl, root, issKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	issuing, err := x509.ParseCertificate(issDER)
	if err != nil {
		return nil, err
	}
	return &testCA{name: name, root: root, issuing: issuing, issuingKey: issKey}, nil
}

// Root is the named CA's root certificate (nil for an unknown name).
func (s *Server) Root(ca string) *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cas[ca]; c != nil {
		return c.root
	}
	return nil
}

// Issuing is the named CA's issuing certificate (nil for an unknown name).
func (s *Server) Issuing(ca string) *x509.Certificate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cas[ca]; c != nil {
		return c.issuing
	}
	return nil
}

// FailSign makes every Sign return err (nil restores normal service).
func (s *Server) FailSign(err error) { s.set(func() { s.signErr = err }) }

// FailRevoke makes every Revoke return err.
func (s *Server) FailRevoke(err error) { s.set(func() { s.revokeErr = err }) }

// FailCAChain makes every CAChain return err.
func (s *Server) FailCAChain(err error) { s.set(func() { s.chainErr = err }) }

// FailCRL makes every CRL return err.
func (s *Server) FailCRL(err error) { s.set(func() { s.crlErr = err }) }

// FailCheck makes CheckConnection return err.
func (s *Server) FailCheck(err error) { s.set(func() { s.checkErr = err }) }

// HoldSigns makes Sign answer that the request waits for approval under requestID ("" resumes).
func (s *Server) HoldSigns(requestID string) { s.set(func() { s.pendingSignID = requestID }) }

// HoldRevocations makes Revoke accept revocations but hold them for approval.
func (s *Server) HoldRevocations(hold bool) { s.set(func() { s.pendingRevoke = hold }) }

// SetValidity makes the CA ignore the requested notAfter and issue for d, as a CA template with
// a fixed validity does (0 restores honouring the request).
func (s *Server) SetValidity(d time.Duration) { s.set(func() { s.validity = d }) }

func (s *Server) set(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// SignRequests returns the requests Sign received, oldest first.
func (s *Server) SignRequests() []pkicompat.SignRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pkicompat.SignRequest(nil), s.signRequests...)
}

// RevokeRequests returns the requests Revoke received, oldest first.
func (s *Server) RevokeRequests() []pkicompat.RevokeRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]pkicompat.RevokeRequest(nil), s.revokeRequests...)
}

// IsRevoked reports whether the CA has revoked the certificate with this serial.
func (s *Server) IsRevoked(serial *big.Int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.issued {
		if c.cert.SerialNumber.Cmp(serial) == 0 {
			return !c.revoked.IsZero()
		}
	}
	return false
}

// Closes counts how many drivers of this Server were closed.
func (s *Server) Closes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closes
}

func (s *Server) lookupCA(name, fallback string) (*testCA, error) {
	if name == "" {
		name = fallback
	}
	if name == "" {
		name = s.caOrder[0]
	}
	ca := s.cas[name]
	if ca == nil {
		return nil, &pkicompat.NotFoundError{Message: fmt.Sprintf("unknown CA %q", name)}
	}
	return ca, nil
}

func (s *Server) sign(req *pkicompat.SignRequest, defaultCA, defaultTemplate string) (*pkicompat.SignResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.signRequests = append(s.signRequests, *req)
	if s.signErr != nil {
		return nil, s.signErr
	}
	if s.pendingSignID != "" {
		s.holdLocked(req, defaultCA, defaultTemplate)
		return nil, &pkicompat.PendingApprovalError{RequestID: s.pendingSignID, Message: "template requires manager approval"}
	}
	return s.signLocked(req, defaultCA, defaultTemplate)
}

// signLocked issues the certificate for req; s.mu is held.
func (s *Server) signLocked(req *pkicompat.SignRequest, defaultCA, defaultTemplate string) (*pkicompat.SignResponse, error) {
	if req.CSR == nil {
		return nil, &pkicompat.ValidationError{Message: "no CSR"}
	}
	ca, err := s.lookupCA(req.CA, defaultCA)
	if err != nil {
		return nil, err
	}
	template := req.Template
	if template == "" {
		template = defaultTemplate
	}
	if template != "" && !s.templates[template] {
		return nil, &pkicompat.ValidationError{Message: fmt.Sprintf("template %q does not exist", template)}
	}

	serial, err := certutil.GenerateSerialNumber()
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := req.NotAfter
	if s.validity > 0 || notAfter.IsZero() {
		v := s.validity
		if v == 0 {
			v = 24 * time.Hour
		}
		notAfter = now.Add(v)
	}
	if notAfter.After(ca.issuing.NotAfter) {
		notAfter = ca.issuing.NotAfter
	}
	// Like Command: the subject comes from the CSR, the SANs from the request body.
	tmpl := &x509.Certificate{
		SerialNumber:   serial,
		RawSubject:     req.CSR.RawSubject,
		NotBefore:      now.Add(-30 * time.Second),
		NotAfter:       notAfter,
		KeyUsage:       x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:    []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		DNSNames:       req.DNSNames,
		IPAddresses:    req.IPAddresses,
		URIs:           req.URIs,
		EmailAddresses: req.EmailAddresses,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.issuing, req.CSR.PublicKey, ca.issuingKey)
	if err != nil {
		return nil, &pkicompat.ValidationError{Message: fmt.Sprintf("cannot sign: %v", err)}
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	id := strconv.Itoa(s.nextID)
	s.nextID++
	s.issued[id] = &issuedCert{id: id, ca: ca.name, cert: cert}
	if s.loseAnswers > 0 {
		s.loseAnswers--
		return nil, &pkicompat.UnavailableError{Message: "the CA did not answer in time", Timeout: true}
	}
	return &pkicompat.SignResponse{
		Certificate:   cert,
		Chain:         []*x509.Certificate{ca.issuing, ca.root},
		CertificateID: id,
		CA:            ca.name,
	}, nil
}

func (s *Server) revoke(req *pkicompat.RevokeRequest) (*pkicompat.RevokeResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokeRequests = append(s.revokeRequests, *req)
	if s.revokeErr != nil {
		return nil, s.revokeErr
	}
	var found *issuedCert
	if req.CertificateID != "" {
		found = s.issued[req.CertificateID]
	} else if req.Certificate != nil {
		for _, c := range s.issued {
			if c.cert.SerialNumber.Cmp(req.Certificate.SerialNumber) == 0 {
				found = c
			}
		}
	}
	if found == nil {
		return nil, &pkicompat.NotFoundError{Message: "certificate not found in the CA"}
	}
	if s.pendingRevoke {
		return &pkicompat.RevokeResponse{Pending: true, Message: "revocation awaits approval"}, nil
	}
	if found.revoked.IsZero() {
		found.revoked = time.Now()
	}
	return &pkicompat.RevokeResponse{RevokedAt: found.revoked}, nil
}

func (s *Server) chain(name, defaultCA string) ([]*x509.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.chainErr != nil {
		return nil, s.chainErr
	}
	ca, err := s.lookupCA(name, defaultCA)
	if err != nil {
		return nil, err
	}
	return []*x509.Certificate{ca.issuing, ca.root}, nil
}

func (s *Server) crl(name, defaultCA string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crlErr != nil {
		return nil, s.crlErr
	}
	ca, err := s.lookupCA(name, defaultCA)
	if err != nil {
		return nil, err
	}
	var entries []x509.RevocationListEntry
	for _, c := range s.issued {
		if c.ca == ca.name && !c.revoked.IsZero() {
			entries = append(entries, x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: c.revoked})
		}
	}
	now := time.Now()
	return x509.CreateRevocationList(rand.Reader, &x509.RevocationList{
		Number:                    big.NewInt(now.Unix()),
		ThisUpdate:                now,
		NextUpdate:                now.Add(24 * time.Hour),
		RevokedCertificateEntries: entries,
	}, ca.issuing, ca.issuingKey)
}
