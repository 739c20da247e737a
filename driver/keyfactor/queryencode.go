package keyfactor

import (
	"net/url"
	"strings"
)

// encodeQuery encodes a query string with spaces as %20. url.Values.Encode writes a space as
// "+" (form encoding); Keyfactor's own Go client (keyfactor-go-client, since 2022) replaces
// that "+" with "%20" after encoding, and the older Vault plugin and Keyfactor's samples send
// PQL with %20, so that is the spelling known to work on every Command version. A literal "+"
// in a value is already %2B after Encode, so every "+" left is a space.
func encodeQuery(q url.Values) string {
	return strings.ReplaceAll(q.Encode(), "+", "%20")
}
