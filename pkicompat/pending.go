package pkicompat

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/vault/sdk/logical"

	"github.com/kfpki/vault-plugin-secrets-keyfactor/pkicompat/cadriver"
)

// Requests the CA holds for approval. When Sign answers that an approver must act, the engine
// remembers the request (and, for issue/, the key it generated, seal-wrapped) instead of
// forgetting it. A later identical request from the same entity asks the CA about the held one
// rather than filing another: automation that retries (Vault Agent, cert-manager, terraform)
// then receives the certificate once the approver acts, with one request in the CA's queue.
// This needs the driver's RequestChecker; without it a held request is forgotten as before.

// Storage of held requests, per cluster like the intents and records they lead to. Keys are
// seal-wrapped (backend.go); records and the match index hold nothing secret.
const (
	pendingStoragePrefix = "pending/"
	pendingRecordPrefix  = pendingStoragePrefix + "requests/"
	pendingKeyPrefix     = pendingStoragePrefix + "keys/"
	pendingMatchPrefix   = pendingStoragePrefix + "match/"
	defaultPendingTTL    = 7 * 24 * time.Hour
)

// requestIDPattern is what a CA request id must look like to become part of a storage key.
var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$`)

// pendingRecord is one request the CA holds. It never holds key material.
type pendingRecord struct {
	RequestID string `json:"request_id"`
	// Match is the fingerprint of the request (pendingFingerprint) that a retry must repeat.
	Match       string    `json:"match"`
	Mode        string    `json:"mode"`
	Role        string    `json:"role,omitempty"`
	CA          string    `json:"ca,omitempty"`
	Template    string    `json:"template,omitempty"`
	CommonName  string    `json:"common_name,omitempty"`
	Names       []string  `json:"names,omitempty"`
	EntityID    string    `json:"entity_id,omitempty"`
	DisplayName string    `json:"display_name,omitempty"`
	RequestedAt time.Time `json:"requested_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	// CSR is the DER request sent to the CA (public), so the CA's answer can be checked against it.
	CSR    []byte `json:"csr"`
	HasKey bool   `json:"has_key,omitempty"`
}

func (r *pendingRecord) expired(now time.Time) bool {
	return !r.ExpiresAt.IsZero() && now.After(r.ExpiresAt)
}

// requester is who a held request belongs to: the caller's entity, or, for a token without one
// (a root or orphan token, token auth without an entity), that token (its accessor). So a held
// issue/ request's key is only ever handed to the caller who made it, never to another
// entity-less token that repeats the same parameters.
func requester(req *logical.Request) string {
	switch {
	case req.EntityID != "":
		return "entity:" + req.EntityID
	case req.ClientTokenAccessor != "":
		return "token:" + req.ClientTokenAccessor
	}
	return ""
}

// pendingFingerprint identifies "the same request again": the requester, the path, the role, and
// every input that shapes the certificate (names, validity, CA, template, metadata, the CSR on
// sign paths). Response-only fields (format, private_key_format, remove_roots_from_chain) are
// left out, so a retry may ask for another encoding of the same certificate.
func pendingFingerprint(who string, mode issueMode, ir *issueRequest, in *issueInput, csr *x509.CertificateRequest) string {
	what := struct {
		Requester, Mode, Role, IssuerRef, CA, Template string
		Names                                          subjectRequest
		TTL                                            time.Duration
		NotAfter                                       string
		Metadata                                       string
		CSR                                            []byte
	}{
		Requester: who, Mode: issueOperationName(mode), Role: ir.policy.roleName, IssuerRef: in.issuerRef,
		CA: ir.target.ca, Template: ir.target.template, Names: in.names, TTL: in.ttl, NotAfter: in.notAfter,
		Metadata: in.metadata, // the caller's; request-derived values differ on every retry
	}
	what.Names.CSR = nil
	if csr != nil {
		what.CSR = csr.Raw
	}
	text, err := json.Marshal(what)
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(text)
	return hex.EncodeToString(sum[:])
}

// resumePending answers a request that repeats one the CA holds: the same error while the CA
// holds it, the certificate once approved, the denial once denied. handled is false when there
// is nothing to resume, and issuance goes ahead (ir.pendingMatch is set for rememberPending).
func (b *backend) resumePending(ctx context.Context, req *logical.Request, drv Driver, ir *issueRequest, in *issueInput, csr *x509.CertificateRequest) (resp *logical.Response, handled bool, err error) {
	checker, ok := drv.(cadriver.RequestChecker)
	if !ok {
		return nil, false, nil
	}
	ir.pendingMatch = pendingFingerprint(requester(req), ir.mode, ir, in, csr)
	if ir.pendingMatch == "" {
		return nil, false, nil
	}
	rec, err := b.heldRequests.find(ctx, req.Storage, ir.pendingMatch)
	if err != nil || rec == nil {
		return nil, false, err
	}
	if rec.expired(time.Now()) {
		b.forgetPending(ctx, req.Storage, rec)
		return nil, false, nil
	}
	status, heldCSR, err := b.checkPending(ctx, checker, rec)
	if err != nil {
		if isNotFound(err) {
			// The CA no longer knows the request: forget it and file a new one.
			b.forgetPending(ctx, req.Storage, rec)
			return nil, false, nil
		}
		resp, err := respond(caError("check request "+rec.RequestID, err))
		return resp, true, err
	}
	switch status.State {
	case cadriver.RequestPending:
		resp, err := respond(stillPendingError(rec.RequestID, status.Message))
		return resp, true, err
	case cadriver.RequestDenied, cadriver.RequestFailed:
		b.forgetPending(ctx, req.Storage, rec)
		b.Logger().Info("a held certificate request was refused in the CA", "request", rec.RequestID, "state", status.State.String(), "role", rec.Role)
		resp, err := respond(Invalid("%s", refusedText(rec.RequestID, status)))
		return resp, true, err
	}
	resp, err = b.deliverApproved(ctx, req, ir, rec, status.Issued, heldCSR)
	return resp, true, err
}

// checkPending asks the CA about a held request.
func (b *backend) checkPending(ctx context.Context, checker cadriver.RequestChecker, rec *pendingRecord) (*cadriver.RequestStatus, *x509.CertificateRequest, error) {
	csr, err := x509.ParseCertificateRequest(rec.CSR)
	if err != nil {
		return nil, nil, fmt.Errorf("the stored request of pending %s is unreadable: %w", rec.RequestID, err)
	}
	status, err := checker.CheckRequest(ctx, &cadriver.RequestQuery{RequestID: rec.RequestID, CA: rec.CA, CSR: csr})
	if err != nil {
		return nil, nil, err
	}
	if status == nil {
		return nil, nil, errors.New("the CA driver answered a request check with nothing")
	}
	if status.State == cadriver.RequestIssued && status.Issued == nil {
		return nil, nil, errors.New("the CA driver reported the request issued without its certificate")
	}
	return status, csr, nil
}

// deliverApproved answers with the approved certificate (and the key kept for it) in native's
// issue/sign shape, records it like any issuance, and forgets the held request.
func (b *backend) deliverApproved(ctx context.Context, req *logical.Request, ir *issueRequest, rec *pendingRecord, signed *SignResponse, csr *x509.CertificateRequest) (*logical.Response, error) {
	if err := checkSigned(signed, csr); err != nil {
		return respond(caError("check request "+rec.RequestID, err))
	}
	var key *generatedKey
	if rec.HasKey {
		k, err := loadPendingKey(ctx, req.Storage, rec.RequestID)
		if err != nil {
			return nil, err
		}
		if k == nil {
			return respond(Invalid("certificate request %s was approved, but the private key Vault generated for it is gone; delete pending/%s and request again", rec.RequestID, rec.RequestID))
		}
		key = k
	}
	resp, err := b.respondIssued(ctx, req, ir, signed, key)
	if err != nil {
		return nil, err
	}
	b.forgetPending(ctx, req.Storage, rec)
	b.Logger().Info("delivered a certificate the CA held for approval", "request", rec.RequestID, "serial", serialFromCert(signed.Certificate), "role", rec.Role)
	return resp, nil
}

// rememberPending keeps a request the CA has just held for approval, when the driver can be asked
// about it later. It returns the error to answer with, and false when nothing was kept (the
// error was not a hold, the driver cannot check, or storage refused), leaving the caller's own.
func (b *backend) rememberPending(ctx context.Context, req *logical.Request, ir *issueRequest, csr *x509.CertificateRequest, key *generatedKey, signErr error) (error, bool) {
	var held *PendingApprovalError
	if ir.pendingMatch == "" || !errors.As(signErr, &held) || !requestIDPattern.MatchString(held.RequestID) {
		return nil, false
	}
	now := time.Now().UTC()
	rec := &pendingRecord{
		RequestID: held.RequestID, Match: ir.pendingMatch, Mode: issueOperationName(ir.mode), Role: ir.policy.roleName,
		CA: ir.target.ca, Template: ir.target.template, CommonName: csr.Subject.CommonName, Names: csrNames(csr),
		EntityID: req.EntityID, DisplayName: req.DisplayName, RequestedAt: now, ExpiresAt: now.Add(ir.policy.pendingTTL),
		CSR: csr.Raw, HasKey: key != nil,
	}
	s := context.WithoutCancel(ctx) // the CA holds the request whether or not the caller waits
	err := storePending(s, req.Storage, rec, key)
	b.heldRequests.stored()
	if err != nil {
		b.Logger().Warn("could not remember a request the CA holds for approval; a retry files a new one", "request", held.RequestID, "error", err)
		// Leave no key behind without the record that tidy and delete find it by.
		b.forgetPending(s, req.Storage, rec)
		return nil, false
	}
	return stillPendingError(held.RequestID, held.Message), true
}

// keyTypeOf is the native private_key_type of a key kept for a held request.
func keyTypeOf(k crypto.Signer) string {
	switch k.(type) {
	case *ecdsa.PrivateKey:
		return "ec"
	case ed25519.PrivateKey:
		return "ed25519"
	}
	return "rsa"
}

// csrNames lists a CSR's SANs for the operator's view of a held request.
func csrNames(csr *x509.CertificateRequest) []string {
	var names []string
	names = append(names, csr.DNSNames...)
	for _, ip := range csr.IPAddresses {
		names = append(names, ip.String())
	}
	for _, u := range csr.URIs {
		names = append(names, u.String())
	}
	return append(names, csr.EmailAddresses...)
}

// storePending writes the key first, then the record, then the match: a retry only finds a
// request whose record and key are complete.
func storePending(ctx context.Context, s logical.Storage, rec *pendingRecord, key *generatedKey) error {
	if key != nil {
		der, err := x509.MarshalPKCS8PrivateKey(key.signer)
		if err != nil {
			return fmt.Errorf("encoding the held request's key: %w", err)
		}
		if err := s.Put(ctx, &logical.StorageEntry{Key: pendingKeyPrefix + rec.RequestID, Value: der, SealWrap: true}); err != nil {
			return fmt.Errorf("storing the held request's key: %w", err)
		}
	}
	if err := putJSON(ctx, s, pendingRecordPrefix+rec.RequestID, "pending request "+rec.RequestID, rec); err != nil {
		return err
	}
	return s.Put(ctx, &logical.StorageEntry{Key: pendingMatchPrefix + rec.Match, Value: []byte(rec.RequestID)})
}

func getPending(ctx context.Context, s logical.Storage, requestID string) (*pendingRecord, error) {
	if !requestIDPattern.MatchString(requestID) {
		return nil, nil
	}
	return getJSON[pendingRecord](ctx, s, pendingRecordPrefix+requestID, "pending request "+requestID)
}

// heldRequests spares the common issuance, on a mount where the CA holds nothing for approval,
// the storage read findPendingByMatch makes: once a List of pending/match/ came back empty, this
// node answers "none held" from memory. Only rememberPending adds matches (deletes only make
// "none" truer), and it calls stored after writing; a match changed by another node
// (Invalidate, on performance standbys) or a minute's age makes the next lookup list again. A
// stale "none" at worst files a retry as a new CA request, as before held requests were kept.
type heldRequests struct {
	mu        sync.Mutex
	gen       uint64    // bumped by every stored/invalidate, so a List that raced one is not trusted
	noneSince time.Time // when a List found no matches; zero when unknown or some are held
}

// heldNoneFor is how long an empty List is trusted.
const heldNoneFor = time.Minute

// find is findPendingByMatch, skipped while no match is known to exist.
func (h *heldRequests) find(ctx context.Context, s logical.Storage, match string) (*pendingRecord, error) {
	h.mu.Lock()
	none := !h.noneSince.IsZero() && time.Since(h.noneSince) < heldNoneFor
	gen := h.gen
	h.mu.Unlock()
	if none {
		return nil, nil
	}
	matches, err := s.List(ctx, pendingMatchPrefix)
	if err != nil {
		return nil, err
	}
	if len(matches) == 0 {
		h.mu.Lock()
		if h.gen == gen {
			h.noneSince = time.Now()
		}
		h.mu.Unlock()
		return nil, nil
	}
	return findPendingByMatch(ctx, s, match)
}

// stored is called after a match was written (or a write was attempted).
func (h *heldRequests) stored() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	h.noneSince = time.Time{}
}

// invalidate is called for keys another node changed.
func (h *heldRequests) invalidate(key string) {
	if strings.HasPrefix(key, pendingMatchPrefix) {
		h.stored()
	}
}

// findPendingByMatch is the held request a retry repeats, if any. A match whose record is gone
// (a delete that stopped half-way) is removed.
func findPendingByMatch(ctx context.Context, s logical.Storage, match string) (*pendingRecord, error) {
	entry, err := s.Get(ctx, pendingMatchPrefix+match)
	if err != nil || entry == nil {
		return nil, err
	}
	rec, err := getPending(ctx, s, string(entry.Value))
	if err != nil {
		return nil, err
	}
	if rec == nil || rec.Match != match {
		_ = s.Delete(ctx, pendingMatchPrefix+match)
		return nil, nil
	}
	return rec, nil
}

// loadPendingKey reads the key kept for a held issue/ request; nil when there is none.
func loadPendingKey(ctx context.Context, s logical.Storage, requestID string) (*generatedKey, error) {
	entry, err := s.Get(ctx, pendingKeyPrefix+requestID)
	if err != nil || entry == nil {
		return nil, err
	}
	parsed, err := x509.ParsePKCS8PrivateKey(entry.Value)
	if err != nil {
		return nil, fmt.Errorf("the key kept for pending request %s is unreadable: %w", requestID, err)
	}
	signer, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("the key kept for pending request %s is not a signing key", requestID)
	}
	return &generatedKey{signer: signer, keyType: keyTypeOf(signer)}, nil
}

// forgetPending removes a held request: match, key, then record. It runs even when the caller
// has gone; a failure is logged, and tidy removes what is left once the record expires.
func (b *backend) forgetPending(ctx context.Context, s logical.Storage, rec *pendingRecord) {
	if err := deletePending(context.WithoutCancel(ctx), s, rec); err != nil {
		b.Logger().Warn("could not remove a pending request", "request", rec.RequestID, "error", err)
	}
}

func deletePending(ctx context.Context, s logical.Storage, rec *pendingRecord) error {
	for _, key := range []string{pendingMatchPrefix + rec.Match, pendingKeyPrefix + rec.RequestID, pendingRecordPrefix + rec.RequestID} {
		if err := s.Delete(ctx, key); err != nil {
			return fmt.Errorf("deleting %s: %w", key, err)
		}
	}
	return nil
}

// heldError is the answer while the CA holds a request Vault remembers. Its status is the
// driver's for a hold (409): the request is valid but waits for someone to act in the CA.
type heldError struct{ msg string }

func (e *heldError) Error() string   { return e.msg }
func (e *heldError) StatusCode() int { return http.StatusConflict }

func stillPendingError(requestID, caMessage string) error {
	msg := fmt.Sprintf("certificate request %s is pending approval in the CA", requestID)
	if caMessage != "" {
		msg += ": " + caMessage
	}
	return &heldError{msg: msg + fmt.Sprintf("; Vault remembers it: repeat this request once it is approved to receive the certificate (read pending/%s for its state)", requestID)}
}

func refusedText(requestID string, status *cadriver.RequestStatus) string {
	what := "was denied in the CA"
	if status.State == cadriver.RequestFailed {
		what = "was approved but the CA failed to issue it"
	}
	msg := fmt.Sprintf("certificate request %s %s", requestID, what)
	if status.Message != "" {
		msg += ": " + status.Message
	}
	return msg + "; Vault has forgotten it, and a new request files a new one"
}
