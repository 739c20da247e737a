package commandtest

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// certFields are the PQL fields of the certificate inventory (lower-case name -> definition).
// Evidenced: IssuedCN, Thumbprint, CertRequestId, CA, CertState, IssuerDN, ExpirationDate.
// Inferred: SerialNumber, IssuedDN, IssuedDate, CertId, TemplateShortName, RevocationEffDate and
// the rest, named after the model's properties.
var certFields = map[string]fieldDef{}

func init() {
	str := func(name string, dn bool, get func(*certRecord) (string, bool)) {
		certFields[strings.ToLower(name)] = fieldDef{name: name, kind: kindString, dn: dn, get: func(it any) fieldValue {
			v, ok := get(it.(*certRecord))
			return fieldValue{null: !ok, strs: []string{v}}
		}}
	}
	num := func(name string, get func(*certRecord) (int64, bool)) {
		certFields[strings.ToLower(name)] = fieldDef{name: name, kind: kindInt, get: func(it any) fieldValue {
			v, ok := get(it.(*certRecord))
			return fieldValue{null: !ok, num: v}
		}}
	}
	date := func(name string, get func(*certRecord) (time.Time, bool)) {
		certFields[strings.ToLower(name)] = fieldDef{name: name, kind: kindDate, get: func(it any) fieldValue {
			v, ok := get(it.(*certRecord))
			return fieldValue{null: !ok, date: v}
		}}
	}
	nonEmpty := func(s string) (string, bool) { return s, s != "" }

	num("CertId", func(c *certRecord) (int64, bool) { return int64(c.id), true })
	str("SerialNumber", false, func(c *certRecord) (string, bool) { return c.serialHex, true })
	str("Thumbprint", false, func(c *certRecord) (string, bool) { return c.thumbprint, true })
	str("IssuedCN", false, func(c *certRecord) (string, bool) { return nonEmpty(c.cert.Subject.CommonName) })
	str("IssuedDN", true, func(c *certRecord) (string, bool) { return nonEmpty(dotNetDNCompact(c.cert.RawSubject)) })
	str("IssuerDN", true, func(c *certRecord) (string, bool) { return nonEmpty(dotNetDNCompact(c.cert.RawIssuer)) })
	str("IssuedOU", false, func(c *certRecord) (string, bool) {
		return nonEmpty(strings.Join(c.cert.Subject.OrganizationalUnit, ", "))
	})
	str("IssuedEmail", false, func(c *certRecord) (string, bool) {
		if len(c.cert.EmailAddresses) == 0 {
			return "", false
		}
		return c.cert.EmailAddresses[0], true
	})
	str("TemplateShortName", false, func(c *certRecord) (string, bool) {
		if c.template == nil {
			return "", false
		}
		return c.template.commonName, true
	})
	str("SigningAlgorithm", false, func(c *certRecord) (string, bool) { return c.cert.SignatureAlgorithm.String(), true })
	str("RequesterName", false, func(c *certRecord) (string, bool) { return nonEmpty(c.requester) })
	num("CertRequestId", func(c *certRecord) (int64, bool) { return int64(c.requestID), c.requestID != 0 })
	num("CertState", func(c *certRecord) (int64, bool) { return int64(c.state), true })
	num("KeySize", func(c *certRecord) (int64, bool) { _, _, bits, _ := keyInfo(c.cert); return int64(bits), true })
	num("RevocationReason", func(c *certRecord) (int64, bool) {
		if c.revocationReason == nil {
			return 0, false
		}
		return int64(*c.revocationReason), true
	})
	date("NotBefore", func(c *certRecord) (time.Time, bool) { return c.cert.NotBefore, true })
	date("NotAfter", func(c *certRecord) (time.Time, bool) { return c.cert.NotAfter, true })
	date("ImportDate", func(c *certRecord) (time.Time, bool) { return c.importDate, true })
	date("RevocationEffDate", func(c *certRecord) (time.Time, bool) {
		if c.revocationDate == nil {
			return time.Time{}, false
		}
		return *c.revocationDate, true
	})
	certFields["issueddate"] = renamed(certFields["notbefore"], "IssuedDate")
	certFields["expirationdate"] = renamed(certFields["notafter"], "ExpirationDate")
	certFields["keysizeinbits"] = renamed(certFields["keysize"], "KeySizeInBits")
	// CA matches the issuing CA's logical name or its host\logical name.
	certFields["ca"] = fieldDef{name: "CA", kind: kindString, get: func(it any) fieldValue {
		c := it.(*certRecord)
		switch {
		case c.issuer == nil:
			return fieldValue{null: true}
		case c.issuer.id == 0: // the root is not a configured CA: only its name
			return fieldValue{strs: []string{c.issuer.logicalName}}
		}
		return fieldValue{strs: []string{c.issuer.logicalName, c.issuer.qualifiedName()}}
	}}
}

func renamed(f fieldDef, name string) fieldDef { f.name = name; return f }

// certSchema resolves inventory fields, then metadata field names (Command lets PQL test
// metadata by its field name).
func (s *Server) certSchema(name string) (fieldDef, bool) {
	if f, ok := certFields[strings.ToLower(name)]; ok {
		return f, true
	}
	if m := s.store.findMetadata(name); m != nil {
		field := m.name
		return fieldDef{name: field, kind: kindString, get: func(it any) fieldValue {
			v, ok := it.(*certRecord).metadata[field]
			return fieldValue{null: !ok, strs: []string{v}}
		}}, true
	}
	return fieldDef{}, false
}

// sortFields are accepted by SortField (case-insensitive). Evidenced: CertId, IssuedCN,
// IssuedDate, IssuerDN accepted and Id rejected; the others are inferred from the model.
var sortFields = []string{
	"CertId", "IssuedCN", "IssuedDN", "IssuedDate", "IssuerDN", "NotBefore", "NotAfter",
	"ExpirationDate", "SerialNumber", "Thumbprint", "CertState", "ImportDate",
	"RevocationEffDate", "TemplateShortName", "CertRequestId", "KeySizeInBits",
}

func (s *Server) handleSearchCertificates(ar *apiRequest) {
	q := queryObject(ar, queryObjectCertificates)
	page, bad := parsePaging(q)
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	// IncludeRevoked/IncludeExpired belong to the pq object; includeMetadata and
	// includeLocations are the action's own parameters (Keyfactor's Command 10 SDK sends
	// pq.includeRevoked next to a bare includeMetadata).
	simple := queryParams(ar)
	var flags [4]bool
	for i, name := range []string{"IncludeRevoked", "IncludeExpired", "IncludeMetadata", "IncludeLocations"} {
		src := q
		if i >= 2 {
			src = simple
		}
		v, bad := parseQueryBool(src, name)
		if bad != nil {
			writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
			return
		}
		flags[i] = v
	}
	includeRevoked, includeExpired := flags[0], flags[1]
	mo := modelOptions{includeMetadata: flags[2], includeLocations: flags[3]}

	sortField, descending, bad := parseSort(q)
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	match, err := parsePQL(q["querystring"], s.certSchema, ar.now)
	if err != nil {
		writeError(ar.w, http.StatusBadRequest, codeInvalidQuery, "Invalid query: "+err.Error())
		return
	}

	s.store.mu.Lock()
	var hits []*certRecord
	for _, rec := range s.store.sortedCertsLocked() {
		if !includeRevoked && rec.state == certStateRevoked {
			continue
		}
		if !includeExpired && rec.cert.NotAfter.Before(ar.now) {
			continue
		}
		if match(rec) {
			hits = append(hits, rec)
		}
	}
	sortCerts(hits, sortField, descending)
	hits = pageOf(hits, page)
	out := make([]certificateModel, 0, len(hits))
	for _, rec := range hits {
		out = append(out, s.certificateModelOf(rec, mo))
	}
	s.store.mu.Unlock()
	writeJSON(ar.w, http.StatusOK, out)
}

// parseSort validates SortField (evidenced: "Invalid sort field: Id." with 0xA011004A) and
// SortAscending (0 = ascending, 1 = descending; the enum names are accepted too).
func parseSort(q map[string]string) (field fieldDef, descending bool, bad *badRequest) {
	field = certFields["certid"]
	if raw := strings.TrimSpace(q["sortfield"]); raw != "" {
		found := false
		for _, name := range sortFields {
			if strings.EqualFold(name, raw) {
				field, found = certFields[strings.ToLower(name)], true
				break
			}
		}
		if !found {
			return field, false, invalid(codeInvalidSortField, "Invalid sort field: %s.", raw)
		}
	}
	switch strings.ToLower(strings.TrimSpace(q["sortascending"])) {
	case "", "0", "ascending":
	case "1", "descending":
		descending = true
	default:
		return field, false, invalid(codeInvalidRequest, "The value '%s' is not valid for SortAscending.", q["sortascending"])
	}
	return field, descending, nil
}

// sortCerts orders by field (nulls first, as SQL Server sorts them), then by id.
func sortCerts(recs []*certRecord, field fieldDef, descending bool) {
	if field.name == "CertId" && !descending {
		return // the inventory is already in id order
	}
	less := func(a, b *certRecord) int {
		va, vb := field.get(a), field.get(b)
		switch {
		case va.null && vb.null:
			return 0
		case va.null:
			return -1
		case vb.null:
			return 1
		}
		switch field.kind {
		case kindInt:
			return compareInt(va.num, vb.num)
		case kindDate:
			return va.date.Compare(vb.date)
		}
		return strings.Compare(strings.ToLower(va.strs[0]), strings.ToLower(vb.strs[0]))
	}
	sort.SliceStable(recs, func(i, j int) bool {
		c := less(recs[i], recs[j])
		if c == 0 {
			c = compareInt(int64(recs[i].id), int64(recs[j].id))
		}
		if descending {
			return c > 0
		}
		return c < 0
	})
}

func (s *Server) handleGetCertificate(ar *apiRequest) {
	q := queryParams(ar)
	var mo modelOptions
	var bad *badRequest
	if mo.includeMetadata, bad = parseQueryBool(q, "IncludeMetadata"); bad == nil {
		mo.includeLocations, bad = parseQueryBool(q, "IncludeLocations")
	}
	if bad != nil {
		writeError(ar.w, http.StatusBadRequest, bad.code, bad.message)
		return
	}
	id, err := strconv.Atoi(ar.param)
	s.store.mu.Lock()
	rec, ok := s.store.certs[id]
	var m certificateModel
	if ok && err == nil {
		m = s.certificateModelOf(rec, mo)
	}
	s.store.mu.Unlock()
	if err != nil || !ok {
		// Inferred: 404 with Command's error body for an unknown id.
		writeError(ar.w, http.StatusNotFound, codeNotFound, fmt.Sprintf("Certificate with ID %s does not exist.", ar.param))
		return
	}
	writeJSON(ar.w, http.StatusOK, m)
}
