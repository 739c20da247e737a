package compare

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

// envelope is Vault's JSON answer envelope.
type envelope struct {
	LeaseID       string                 `json:"lease_id"`
	Renewable     bool                   `json:"renewable"`
	LeaseDuration json.Number            `json:"lease_duration"`
	Data          map[string]interface{} `json:"data"`
	Warnings      []string               `json:"warnings"`
	Errors        []string               `json:"errors"`
	MountType     string                 `json:"mount_type"`
}

// ObserveHTTP builds the Observation of an answer read from a real Vault: status, content type
// and raw body always; when the body is Vault's JSON envelope, its data (numbers as
// json.Number, as Vault's API client decodes them), warnings, errors, lease and mount type.
func ObserveHTTP(status int, header http.Header, body []byte) *Observation {
	obs := &Observation{Status: status, ContentType: header.Get("Content-Type"), Body: body}
	env, ok := decodeEnvelope(body)
	if !ok {
		return obs
	}
	obs.Envelope = true
	obs.Data = env.Data
	obs.Warnings = env.Warnings
	// Vault's HTTP layer writes an error as a one-element "errors" list.
	obs.Error = strings.Join(env.Errors, " | ")
	obs.MountType = env.MountType
	if env.LeaseID != "" {
		seconds, _ := env.LeaseDuration.Int64()
		obs.Lease = &Lease{TTL: time.Duration(seconds) * time.Second, Renewable: env.Renewable}
	}
	return obs
}

// decodeEnvelope decodes a JSON answer with numbers kept as json.Number; ok is false for raw
// (non-JSON) bodies.
func decodeEnvelope(raw []byte) (*envelope, bool) {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.TrimSpace(raw)[0] != '{' {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var env envelope
	if err := dec.Decode(&env); err != nil {
		return nil, false
	}
	return &env, true
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

// DescribeShape is the tree compared when the two engines sign with different CAs (a real Vault
// with native PKI beside the plugin): what an HTTP client can tell apart between two correct
// engines whatever their CA. Status, content type, the kind of body, error texts, lease shape,
// mount type, and each data key with its JSON type and the kind of value it carries; every
// field is a leaf named as a client reads it ("data.serial_number").
func DescribeShape(obs *Observation) *Node {
	f := map[string]string{
		"status":       fmt.Sprint(obs.Status),
		"content_type": obs.ContentType,
		"body":         bodyKind(obs.Body),
	}
	if obs.Envelope {
		f["errors"] = obs.Error
		f["mount_type"] = obs.MountType
		f["lease"] = fmt.Sprintf("lease_id set=%v renewable=%v", obs.Lease != nil, obs.Lease != nil && obs.Lease.Renewable)
		for k, v := range obs.Data {
			f["data."+k] = valueKind(k, v)
		}
	}
	root := &Node{Kind: "object", Fields: make(map[string]*Node, len(f))}
	for k, v := range f {
		// One kind for every leaf: the text says it all, and a field one side lacks is shown
		// by its text alone.
		root.Fields[k] = &Node{Kind: "string", Text: v}
	}
	return root
}

// colonHexPattern is a serial as clients print it (at least two bytes).
var colonHexPattern = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2})+$`)

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
