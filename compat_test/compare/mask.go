package compare

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"time"
)

// Keys whose numbers are points in time: only "zero" versus "set" is comparable.
var timeKeys = map[string]bool{
	"expiration":      true,
	"revocation_time": true,
	"last_modified":   true,
	"next_update":     true,
}

// Keys whose string values are per-engine identifiers.
var idKeys = map[string]bool{
	"issuer_id": true,
	"key_id":    true,
}

// Keys whose string values may hold certificate material, PEM or base64 DER.
var materialKeys = map[string]bool{
	"certificate":   true,
	"issuing_ca":    true,
	"ca_chain":      true,
	"private_key":   true,
	"http_raw_body": true,
}

var (
	colonSerial  = regexp.MustCompile(`^[0-9a-f]{2}(:[0-9a-f]{2})*$`)
	hyphenSerial = regexp.MustCompile(`^[0-9a-fA-F]{2}(-[0-9a-fA-F]{2})+$`)
	uuidPattern  = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// Serial numbers and times quoted inside warnings and errors.
	colonSerialInText = regexp.MustCompile(`\b[0-9a-f]{2}(:[0-9a-f]{2}){7,}\b`)
	rfc3339InText     = regexp.MustCompile(`\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?( ?(Z|[+-]\d{2}:?\d{2}))?( [A-Z]{3,4})?`)
)

func maskNumber(key string, n json.Number) string {
	if timeKeys[key] {
		if n.String() == "0" {
			return "0"
		}
		return "<time>"
	}
	return n.String()
}

// maskWarning hides the serials and times a warning or error may quote.
func maskWarning(s string) string {
	s = colonSerialInText.ReplaceAllString(s, "<serial>")
	return rfc3339InText.ReplaceAllString(s, "<time>")
}

// describeString describes a string value found under key.
func describeString(key, s string) *Node {
	n := &Node{Kind: "string"}
	switch {
	case s == "":
		n.Text = ""
	case strings.Contains(s, "-----BEGIN"):
		n.Facts = pemFacts(s)
	case materialKeys[key]:
		if der, err := base64.StdEncoding.DecodeString(s); err == nil {
			// A raw body may be PEM text; anything else is DER.
			if strings.Contains(string(der), "-----BEGIN") {
				n.Facts = pemFacts(string(der))
			} else {
				n.Facts = derFacts(der)
			}
		} else {
			n.Text = s
		}
	case key == "keys" && uuidPattern.MatchString(s):
		n.Text = "<uuid>"
	case key == "serial_number" || key == "keys" || key == "serial":
		n.Text = maskSerial(s)
	case idKeys[key] && uuidPattern.MatchString(s):
		n.Text = "<uuid>"
	case strings.HasSuffix(key, "_rfc3339"):
		if _, err := time.Parse(time.RFC3339Nano, s); err == nil {
			n.Text = "<rfc3339>"
		} else {
			n.Text = s
		}
	case key == "error" || key == "warning":
		n.Text = maskWarning(s)
	default:
		n.Text = s
	}
	return n
}

// maskSerial keeps the spelling of a serial number (what clients parse) and hides its value.
func maskSerial(s string) string {
	switch {
	case colonSerial.MatchString(s) && len(s) >= 8:
		return "<serial colon lowercase hex>"
	case hyphenSerial.MatchString(s):
		return "<serial hyphen hex>"
	default:
		return s
	}
}
