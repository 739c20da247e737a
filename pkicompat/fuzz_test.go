package pkicompat

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/vault/sdk/helper/certutil"
)

// Fuzz targets for the parsers that read a caller's input. `make fuzz` runs each for a bounded
// time; without -fuzz, `go test` runs the seed corpus (and anything in testdata/fuzz) as tests.

// isCallersMistake reports whether err is a 4xx error, as every refusal of input must be.
func isCallersMistake(err error) bool {
	var sc StatusCoder
	return errors.As(err, &sc) && sc.StatusCode() >= 400 && sc.StatusCode() < 500
}

func FuzzParseCSR(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	csr := policyTestCSR(f, key, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "a.example.com"}, DNSNames: []string{"a.example.com"}})
	good := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw}))
	f.Add(good)
	f.Add(strings.ReplaceAll(good, "\n", "\r\n"))
	f.Add("junk before\n" + good + "junk after")
	f.Add(good[:len(good)/2])
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csr.Raw[:len(csr.Raw)-1]})))
	f.Add(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{0x30, 0x03, 0x02, 0x01, 0x00}})))
	f.Add("")
	f.Add("-----BEGIN CERTIFICATE REQUEST-----\n-----END CERTIFICATE REQUEST-----\n")
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseCSR(text)
		if err != nil {
			if !isCallersMistake(err) {
				t.Fatalf("refusal is not a 4xx error: %T %v", err, err)
			}
			return
		}
		// Accepted means proof of possession holds, and the PEM of what was read reads back
		// to the same request.
		if err := got.CheckSignature(); err != nil {
			t.Fatalf("accepted a CSR whose signature fails: %v", err)
		}
		again, err := parseCSR(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: got.Raw})))
		if err != nil || string(again.Raw) != string(got.Raw) {
			t.Fatalf("re-encoded CSR does not read back: %v", err)
		}
	})
}

func FuzzNamePolicy(f *testing.F) {
	for _, seed := range [][2]string{
		{"a.example.com", ""}, {"example.com", "b.example.com,c@example.com"}, {"*.example.com", ""},
		{"foo-bar.example.com", "*"}, {"localhost", "x.localhost"}, {"A.Example.COM", "a..example.com"},
		{"a@b@example.com", ""}, {"*.*.example.com", "-a.example.com"}, {"bücher.example.com", "xn--bcher-kva.example.com"},
		{"a*b.example.com", "1.2.3.4"}, {"", "a.example.com"}, {"example.com.", "\x00.example.com"},
	} {
		f.Add(seed[0], seed[1])
	}
	roles := matrixRoles(f)
	names := make([]string, 0, len(roles))
	for n := range roles {
		names = append(names, n)
	}
	sort.Strings(names)
	f.Fuzz(func(t *testing.T, cn, alt string) {
		for _, name := range names {
			role := roles[name]
			req := &subjectRequest{CommonName: cn, AltNames: splitNames(alt)}
			got, err := role.approveSubject(req)
			again, err2 := role.approveSubject(req)
			if (err == nil) != (err2 == nil) || (err == nil && !reflect.DeepEqual(got, again)) {
				t.Fatalf("role %s: two verdicts on the same request: %v / %v", name, err, err2)
			}
			if err != nil {
				if !isCallersMistake(err) {
					t.Fatalf("role %s: refusal is not a 4xx error: %v", name, err)
				}
				continue
			}
			// Every name placed in the certificate passes the policy on its own, and the lists
			// are sorted and free of duplicates as native builds them.
			for _, list := range [][]string{got.DNSNames, got.EmailAddresses} {
				if bad := role.firstRefusedName(list); bad != "" {
					t.Fatalf("role %s approved %q which its policy refuses", name, bad)
				}
				if !sort.StringsAreSorted(list) {
					t.Fatalf("role %s: names not sorted: %q", name, list)
				}
				for i := 1; i < len(list); i++ {
					if list[i] == list[i-1] {
						t.Fatalf("role %s: duplicate name %q", name, list[i])
					}
				}
			}
			if got.Subject.CommonName != cn {
				t.Fatalf("role %s: CN %q became %q", name, cn, got.Subject.CommonName)
			}
		}
	})
}

func FuzzGlobMatch(f *testing.F) {
	f.Add("*.example.com", "a")
	f.Add("foo-*.example.com", "bar.baz")
	f.Add("a*a", "")
	f.Add("*", "")
	f.Add("**x**", "xx")
	f.Fuzz(func(t *testing.T, pattern, fill string) {
		// Whatever fills the stars, the result matches the pattern.
		subject := strings.ReplaceAll(pattern, "*", fill)
		if !globMatch(pattern, subject) {
			t.Fatalf("globMatch(%q, %q) = false for the pattern with its stars filled by %q", pattern, subject, fill)
		}
		if !strings.Contains(pattern, "*") && globMatch(pattern, pattern+fill) && fill != "" {
			t.Fatalf("pattern without stars %q matched a longer subject", pattern)
		}
	})
}

func FuzzParseMetadata(f *testing.F) {
	for _, seed := range []string{
		`{"Owner":"team-a","Cost":12,"Prod":true,"Empty":null}`,
		`{ \"k\": \"v\" }`,
		`{"nested":{"a":1}}`, `{"list":[1]}`, `null`, `[]`, `{"a":"b"} {"c":"d"}`, `{"a":"b"}x`,
		`{"a":1e400}`, `{"\u0000":"\ud800"}`, `"just text"`, ``, `{`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseMetadata("metadata", text)
		if err != nil {
			if !isCallersMistake(err) {
				t.Fatalf("refusal is not a 4xx error: %T %v", err, err)
			}
			return
		}
		if got == nil {
			return
		}
		// What was accepted survives a round trip through the JSON the CA receives.
		body, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("accepted metadata does not encode: %v", err)
		}
		back, err := parseMetadata("metadata", string(body))
		if err != nil {
			t.Fatalf("re-encoded metadata %s refused: %v", body, err)
		}
		if !reflect.DeepEqual(back, got) && !(len(back) == 0 && len(got) == 0) {
			t.Fatalf("round trip changed metadata: %q -> %q", got, back)
		}
	})
}

func FuzzSerialSpelling(f *testing.F) {
	for _, seed := range []string{"17:e4:a9", "17-E4-A9", "17e4a9", "0a", "00:ab", " AB:cd ", "1", "-", ":", "ab-", "zz"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, serial string) {
		key := storageSerial(serial)
		if !validSerial(serial) {
			return
		}
		// A routable serial reaches one stable storage key: displaying and re-reading it leads
		// to the same key, and the key holds no caller separators other than '-'.
		if again := storageSerial(displaySerial(key)); again != key {
			t.Fatalf("storageSerial(%q) = %q but its display form maps to %q", serial, key, again)
		}
		if strings.ContainsAny(key, ": ABCDEF") {
			t.Fatalf("storage key %q of %q is not lowercase with '-' separators", key, serial)
		}
	})
}

func FuzzSerialFromCertificate(f *testing.F) {
	f.Add([]byte{0x01})
	f.Add([]byte{0x00, 0xab, 0xcd})
	f.Add([]byte{0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0x01, 0x02, 0x03, 0x04})
	f.Fuzz(func(t *testing.T, raw []byte) {
		n := new(big.Int).SetBytes(raw)
		if n.Sign() == 0 {
			return
		}
		display := serialFromCert(&x509.Certificate{SerialNumber: n})
		if !validSerial(display) {
			t.Fatalf("display serial %q is not routable", display)
		}
		// The colon form, the dash form and openssl's unseparated uppercase form all find the
		// same record.
		key := storageSerial(display)
		for _, spelling := range []string{
			strings.ToUpper(display),
			strings.ReplaceAll(display, ":", "-"),
			strings.ToUpper(strings.ReplaceAll(display, ":", "")),
			certutil.GetHexFormatted(n.Bytes(), "-"),
			commandSpelling(n),
		} {
			if got := storageSerial(spelling); got != key {
				t.Fatalf("serial %q maps to %q, the colon form %q to %q", spelling, got, display, key)
			}
		}
		if back, ok := new(big.Int).SetString(strings.ReplaceAll(key, "-", ""), 16); !ok || back.Cmp(n) != 0 {
			t.Fatalf("storage key %q does not read back as serial %x", key, n)
		}
	})
}

// commandSpelling is a serial as Command answers it: upper-case hex of the DER INTEGER's
// content octets, so with a 00 sign octet before a first byte whose high bit is set.
func commandSpelling(n *big.Int) string {
	b := n.Bytes()
	if b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return strings.ToUpper(certutil.GetHexFormatted(b, ""))
}
