package commandtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// marshalSTJ encodes v as ASP.NET Core's System.Text.Json does with its default encoder
// (JavaScriptEncoder.Default): inside strings every non-ASCII character and each of
// " & ' + < > ` is written as an upper-case \uXXXX escape, and \\ \b \f \n \r \t keep their
// short forms. Real Command answers 403 with "doesn\u0027t"; a driver that string-matches raw
// bodies instead of decoding JSON fails against this encoder as it would against the product.
// Null for unset nullable fields comes from the model types (pointers without omitempty).
func marshalSTJ(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return reescapeJSON(bytes.TrimRight(buf.Bytes(), "\n"))
}

// reescapeJSON rewrites the string literals of valid JSON from Go's escaping to
// System.Text.Json's. Everything outside strings is copied unchanged.
func reescapeJSON(in []byte) ([]byte, error) {
	out := make([]byte, 0, len(in)+len(in)/8)
	for i := 0; i < len(in); {
		c := in[i]
		if c != '"' {
			out = append(out, c)
			i++
			continue
		}
		// Find the end of the string literal and decode it with the standard library.
		end := i + 1
		for end < len(in) && in[end] != '"' {
			if in[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(in) {
			return nil, fmt.Errorf("unterminated string in JSON")
		}
		var s string
		if err := json.Unmarshal(in[i:end+1], &s); err != nil {
			return nil, err
		}
		out = appendSTJString(out, s)
		i = end + 1
	}
	return out, nil
}

func appendSTJString(out []byte, s string) []byte {
	out = append(out, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\\':
			out = append(out, '\\', '\\')
		case r == '\n':
			out = append(out, '\\', 'n')
		case r == '\r':
			out = append(out, '\\', 'r')
		case r == '\t':
			out = append(out, '\\', 't')
		case r == '\b':
			out = append(out, '\\', 'b')
		case r == '\f':
			out = append(out, '\\', 'f')
		case r < 0x20, r == '"', r == '&', r == '\'', r == '+', r == '<', r == '>', r == '`', r == 0x7f:
			out = appendUnicodeEscape(out, r)
		case r < utf8.RuneSelf:
			out = append(out, byte(r))
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			out = appendUnicodeEscape(appendUnicodeEscape(out, hi), lo)
		default:
			out = appendUnicodeEscape(out, r)
		}
	}
	return append(out, '"')
}

func appendUnicodeEscape(out []byte, r rune) []byte {
	return fmt.Appendf(out, `\u%04X`, r)
}
