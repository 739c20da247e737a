package commandtest

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CertState values of Command's certificate inventory.
const (
	certStateUnknown  = 0
	certStateActive   = 1
	certStateRevoked  = 2
	certStateDenied   = 3
	certStateFailed   = 4
	certStatePending  = 5
	certStateCA       = 6
	certStateParentCA = 7
)

// certStateNames are the display names behind CertStateString. Inferred: 6-8 names are not
// evidenced; they follow the enum member names.
var certStateNames = map[int]string{
	0: "Unknown", 1: "Active", 2: "Revoked", 3: "Denied", 4: "Failed", 5: "Pending",
	6: "Certificate Authority", 7: "Parent Certificate Authority", 8: "External Validation",
}

type templateEntry struct {
	id                     int
	commonName             string
	displayName            string
	oid                    string
	allowedEnrollmentTypes int
	requiresApproval       bool
	validity               time.Duration
	keyType                string // "", "RSA" or "ECC"
	minKeySize             int
	staleTemplateFlag      bool // see InventoryTemplate.StaleTemplateFlag
}

func (t *templateEntry) allowsCSR() bool { return t.allowedEnrollmentTypes&EnrollmentTypeCSR != 0 }

type metadataEntry struct {
	id           int
	name         string
	description  string
	dataType     int
	required     bool
	options      string
	hint         string
	defaultValue string
	displayOrder int
}

type patternEntry struct {
	id       int
	name     string
	template *templateEntry
	cas      []*caEntry // empty = all CAs
}

// certRecord is one certificate in the inventory.
type certRecord struct {
	id                int
	requestID         int
	cert              *x509.Certificate
	issuer            *caEntry // CA that signed it (the root signs itself)
	template          *templateEntry
	pattern           *patternEntry
	state             int
	importDate        time.Time
	revocationDate    *time.Time
	revocationReason  *int
	revocationComment *string
	metadata          map[string]string
	requester         string
	thumbprint        string // SHA-1, upper-case hex
	serialHex         string // upper-case hex, no separators, as serialText spells it
}

// chain returns the certificate followed by its issuers up to the root.
func (c *certRecord) chain() []*x509.Certificate {
	out := []*x509.Certificate{c.cert}
	if c.issuer == nil || c.issuer.cert.Equal(c.cert) {
		return out
	}
	return append(out, c.issuer.chain()...)
}

func newCertRecord(cert *x509.Certificate, issuer *caEntry, now time.Time) *certRecord {
	sum := sha1.Sum(cert.Raw)
	return &certRecord{
		cert:       cert,
		issuer:     issuer,
		state:      certStateActive,
		importDate: now,
		metadata:   map[string]string{},
		thumbprint: strings.ToUpper(hex.EncodeToString(sum[:])),
		serialHex:  serialText(cert.SerialNumber),
	}
}

// requestRecord is one certificate request (enrollment) in Command's request table.
type requestRecord struct {
	id                 int
	state              int // certStatePending, certStateDenied, certStateFailed or certStateActive once issued
	leaf               leafRequest
	ca                 *caEntry
	template           *templateEntry
	pattern            *patternEntry
	metadata           map[string]string
	submitted          time.Time
	requester          string
	comment            string
	certID             int
	workflowInstanceID string
}

// store is the inventory. One mutex guards everything; signing happens outside it.
type store struct {
	mu sync.Mutex

	root      *caEntry
	cas       []*caEntry // issuing CAs in inventory order
	templates []*templateEntry
	metadata  []*metadataEntry
	patterns  []*patternEntry

	certs    map[int]*certRecord
	ordered  []*certRecord // the same records by ascending id (ids only grow)
	requests map[int]*requestRecord

	nextCertID    int
	nextRequestID int
}

// Request ids start far from certificate ids so a client that confuses KeyfactorID with
// KeyfactorRequestId fails visibly.
const firstRequestID = 1001

func newStore() *store {
	return &store{
		certs:         map[int]*certRecord{},
		requests:      map[int]*requestRecord{},
		nextCertID:    1,
		nextRequestID: firstRequestID,
	}
}

// addCertLocked stores rec under a new id. The caller holds mu.
func (s *store) addCertLocked(rec *certRecord) int {
	rec.id = s.nextCertID
	s.nextCertID++
	s.certs[rec.id] = rec
	s.ordered = append(s.ordered, rec)
	return rec.id
}

// newRequestIDLocked reserves a request id. The caller holds mu.
func (s *store) newRequestIDLocked() int {
	id := s.nextRequestID
	s.nextRequestID++
	return id
}

// findCA resolves "host\logical" or "logical" (case-insensitive, as Command compares names).
func (s *store) findCA(name string) *caEntry {
	name = strings.TrimSpace(name)
	host, logical, qualified := strings.Cut(name, `\`)
	for _, ca := range s.cas {
		if qualified {
			if strings.EqualFold(ca.hostName, host) && strings.EqualFold(ca.logicalName, logical) {
				return ca
			}
		} else if strings.EqualFold(ca.logicalName, name) {
			return ca
		}
	}
	return nil
}

// findCAByCertName finds the root or an issuing CA by its certificate CN (CRL lookups).
func (s *store) findCAByCertName(name string) *caEntry {
	if strings.EqualFold(s.root.logicalName, name) {
		return s.root
	}
	for _, ca := range s.cas {
		if strings.EqualFold(ca.logicalName, name) {
			return ca
		}
	}
	return nil
}

func (s *store) findTemplate(name string) *templateEntry {
	for _, t := range s.templates {
		if strings.EqualFold(t.commonName, name) {
			return t
		}
	}
	return nil
}

func (s *store) findMetadata(name string) *metadataEntry {
	for _, m := range s.metadata {
		if strings.EqualFold(m.name, name) {
			return m
		}
	}
	return nil
}

func (s *store) findPattern(id int) *patternEntry {
	for _, p := range s.patterns {
		if p.id == id {
			return p
		}
	}
	return nil
}

// sortedCertsLocked returns the inventory ordered by id. The caller holds mu.
func (s *store) sortedCertsLocked() []*certRecord {
	return append([]*certRecord(nil), s.ordered...)
}

// revokedEntriesLocked lists the CRL entries of certificates issued by ca. Caller holds mu.
func (s *store) revokedEntriesLocked(ca *caEntry) []x509.RevocationListEntry {
	var entries []x509.RevocationListEntry
	for _, c := range s.sortedCertsLocked() {
		if c.issuer != ca || c.state != certStateRevoked || c.revocationDate == nil || c.cert.Equal(ca.cert) {
			continue
		}
		entry := x509.RevocationListEntry{SerialNumber: c.cert.SerialNumber, RevocationTime: *c.revocationDate}
		if c.revocationReason != nil && *c.revocationReason > 0 && *c.revocationReason <= 10 {
			entry.ReasonCode = *c.revocationReason
		}
		entries = append(entries, entry)
	}
	return entries
}

// buildStore creates the CA hierarchy and inventory described by inv.
func buildStore(inv *Inventory, baseURL string, now time.Time) (*store, error) {
	st := newStore()
	root, err := newRootCA(baseURL, now)
	if err != nil {
		return nil, err
	}
	st.root = root
	rootRec := newCertRecord(root.cert, root, now)
	rootRec.state = certStateParentCA
	root.certID = st.addCertLocked(rootRec)

	for i, sc := range inv.CAs {
		ca, err := newIssuingCA(root, sc, baseURL, now)
		if err != nil {
			return nil, err
		}
		ca.id = i + 1
		rec := newCertRecord(ca.cert, root, now)
		rec.state = certStateCA
		ca.certID = st.addCertLocked(rec)
		st.cas = append(st.cas, ca)
	}
	for i, t := range inv.Templates {
		minKey := t.MinKeySize
		if minKey == 0 {
			minKey = 2048
		}
		st.templates = append(st.templates, &templateEntry{
			id:                     i + 1,
			commonName:             t.CommonName,
			displayName:            firstNonEmpty(t.DisplayName, t.CommonName),
			oid:                    "1.3.6.1.4.1.311.21.8.1000." + strconv.Itoa(i+1),
			allowedEnrollmentTypes: t.AllowedEnrollmentTypes,
			requiresApproval:       t.RequiresApproval,
			validity:               time.Duration(t.Validity),
			keyType:                strings.ToUpper(t.KeyType),
			minKeySize:             minKey,
			staleTemplateFlag:      t.StaleTemplateFlag,
		})
	}
	for i, m := range inv.MetadataFields {
		dt := metadataDataTypes[strings.ToLower(m.DataType)]
		if dt == 0 {
			dt = 1
		}
		st.metadata = append(st.metadata, &metadataEntry{
			id: i + 1, name: m.Name, description: m.Description, dataType: dt, required: m.Required,
			options: m.Options, hint: m.Hint, defaultValue: m.DefaultValue, displayOrder: i + 1,
		})
	}
	if len(inv.EnrollmentPatterns) == 0 {
		for _, t := range st.templates {
			st.patterns = append(st.patterns, &patternEntry{id: len(st.patterns) + 1, name: t.commonName, template: t})
		}
	}
	for _, p := range inv.EnrollmentPatterns {
		pe := &patternEntry{id: len(st.patterns) + 1, name: p.Name, template: st.findTemplate(p.Template)}
		for _, name := range p.CAs {
			ca := st.findCA(name)
			if ca == nil {
				return nil, &inventoryError{field: "EnrollmentPatterns.CAs", value: name}
			}
			pe.cas = append(pe.cas, ca)
		}
		st.patterns = append(st.patterns, pe)
	}
	return st, nil
}

type inventoryError struct{ field, value string }

func (e *inventoryError) Error() string {
	return e.field + ": " + strconv.Quote(e.value) + " is not a CA of the inventory"
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
