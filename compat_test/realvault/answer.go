package realvault

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Envelope is Vault's JSON answer envelope.
type Envelope struct {
	LeaseID       string                 `json:"lease_id"`
	Renewable     bool                   `json:"renewable"`
	LeaseDuration json.Number            `json:"lease_duration"`
	Data          map[string]interface{} `json:"data"`
	Warnings      []string               `json:"warnings"`
	Errors        []string               `json:"errors"`
	MountType     string                 `json:"mount_type"`
}

// Answer is one HTTP answer from Vault: status, content type, raw body, and the decoded
// envelope (nil when the body is not JSON, as for raw DER/PEM endpoints).
type Answer struct {
	Status      int
	ContentType string
	Body        []byte
	Envelope    *Envelope
}

// NewAnswer builds an Answer from what Env.Do returned.
func NewAnswer(status int, header http.Header, body []byte) Answer {
	a := Answer{Status: status, ContentType: header.Get("Content-Type"), Body: body}
	if env, ok := decodeEnvelope(body); ok {
		a.Envelope = env
	}
	return a
}

// PEMTypes lists the types of the PEM blocks in raw, in order.
func PEMTypes(raw []byte) []string {
	var types []string
	for {
		block, rest := pem.Decode(raw)
		if block == nil {
			return types
		}
		types = append(types, block.Type)
		raw = rest
	}
}

// decodeEnvelope decodes a JSON answer with numbers kept as json.Number, as Vault's API client
// does; ok is false for raw (non-JSON) bodies.
func decodeEnvelope(raw []byte) (*Envelope, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var env Envelope
	if err := dec.Decode(&env); err != nil {
		return nil, false
	}
	return &env, true
}

// Describe reduces an answer to what an HTTP client can tell apart between two correct engines
// that sign with different CAs: status, content type, the kind of body, error texts, lease
// shape, mount type, and each data key with its JSON type and the kind of value it carries.
func (resp Answer) Describe() map[string]string {
	f := map[string]string{
		"status":       fmt.Sprint(resp.Status),
		"content_type": resp.ContentType,
		"body":         bodyKind(resp.Body),
	}
	if resp.Envelope == nil {
		return f
	}
	f["errors"] = strings.Join(resp.Envelope.Errors, " | ")
	f["mount_type"] = resp.Envelope.MountType
	f["lease"] = fmt.Sprintf("lease_id set=%v renewable=%v", resp.Envelope.LeaseID != "", resp.Envelope.Renewable)
	for k, v := range resp.Envelope.Data {
		f["data."+k] = valueKind(k, v)
	}
	return f
}

var (
	colonHexPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2})+$`)
	uuidPattern     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// bodyKind names what a response body is: JSON, PEM blocks, DER certificate or CRL, empty.
func bodyKind(body []byte) string {
	switch {
	case len(body) == 0:
		return "empty"
	case json.Valid(body):
		return "json"
	}
	if types := PEMTypes(body); len(types) > 0 {
		return "pem " + strings.Join(types, ",")
	}
	if _, err := x509.ParseCertificate(body); err == nil {
		return "der certificate"
	}
	if _, err := x509.ParseRevocationList(body); err == nil {
		return "der crl"
	}
	return fmt.Sprintf("other (%d bytes)", len(body))
}

// valueKind describes a JSON value by its type and the kind of data it carries; plain text,
// booleans and zero numbers are kept as values because clients branch on them.
func valueKind(key string, v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("bool %v", t)
	case json.Number:
		if t.String() == "0" {
			return "number 0"
		}
		if strings.Contains(key, "time") || key == "expiration" {
			return "number (time)"
		}
		return "number " + t.String()
	case string:
		return "string " + stringKind(t)
	case []interface{}:
		if len(t) == 0 {
			return "array (empty)"
		}
		kinds := map[string]bool{}
		for _, e := range t {
			kinds[valueKind(key, e)] = true
		}
		names := make([]string, 0, len(kinds))
		for k := range kinds {
			names = append(names, k)
		}
		sort.Strings(names)
		return "array of " + strings.Join(names, " / ")
	case map[string]interface{}:
		return "object"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func stringKind(s string) string {
	switch {
	case s == "":
		return `""`
	case strings.Contains(s, "-----BEGIN"):
		return "pem " + strings.Join(PEMTypes([]byte(s)), ",")
	case colonHexPattern.MatchString(s):
		return "colon hex"
	case uuidPattern.MatchString(s):
		return "uuid"
	}
	if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return "rfc3339"
	}
	if der, err := base64.StdEncoding.DecodeString(s); err == nil && len(der) > 32 {
		if _, err := x509.ParseCertificate(der); err == nil {
			return "base64 der certificate"
		}
		if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return "base64 der rsa key"
		}
		return "base64"
	}
	return fmt.Sprintf("%q", s)
}
