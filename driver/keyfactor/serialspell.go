package keyfactor

import (
	"math/big"
	"strings"
)

// serialSpellings are the hex forms Command may store a serial in, most likely first:
// upper-case hex of the DER INTEGER as .NET reads it, which keeps the 00 sign octet of a serial
// whose first byte has the high bit set ("00C3…"); the same without that octet ("C3…", how Go
// and OpenSSL print it); and, for an odd number of digits, the form without the padding zero.
// Which one a given Command stores is not publicly evidenced, so all are tried.
func serialSpellings(serial *big.Int) []string {
	hex := strings.ToUpper(serial.Text(16))
	var out []string
	if len(hex)%2 == 1 {
		out = append(out, "0"+hex)
	}
	if len(hex)%2 == 0 && hex[0] >= '8' {
		out = append(out, "00"+hex)
	}
	return append(out, hex)
}
