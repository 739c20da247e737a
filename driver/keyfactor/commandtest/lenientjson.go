package commandtest

import (
	"bytes"
	"fmt"
)

// escapeRawControlChars rewrites control characters that appear unescaped inside JSON string
// literals (a raw line break in a PEM CSR) as \u escapes, leaving everything else as it is.
//
// Evidence that Command accepts such bodies: the older Keyfactor Vault plugin
// (Keyfactor/hashicorp-vault-secretsengine, cert_util.go submitCSR) builds the POST
// /Enrollment/CSR body by concatenating the PEM CSR, newlines included, into a JSON string, and
// that plugin works against real Command. Command reads JSON bodies with Json.NET
// (Newtonsoft), whose JsonTextReader accepts unescaped control characters inside strings;
// System.Text.Json and encoding/json reject them ("invalid character '\n' in string literal").
func escapeRawControlChars(body []byte) []byte {
	if bytes.IndexFunc(body, func(r rune) bool { return r < 0x20 }) < 0 {
		return body
	}
	var out bytes.Buffer
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case c == '"':
			inString = !inString
		case inString && c < 0x20:
			fmt.Fprintf(&out, `\u%04x`, c)
			continue
		}
		out.WriteByte(c)
	}
	return out.Bytes()
}
