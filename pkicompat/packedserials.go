package pkicompat

import (
	"sort"

	"github.com/hashicorp/vault/sdk/logical"
)

// packedSerials is a sorted list of serials (display form) kept as the JSON array LIST certs/
// answers with, `["0a:1b",...]`, plus where each entry ends.
//
// Why: a large LIST answer is copied several times in the plugin before it reaches Vault
// (encoding/json's buffer, the copy json.Marshal returns, the string in the SDK's protobuf
// message, the message itself). Encoded from a []string, encoding/json's buffer also grows by
// doubling, so at 100,000 serials (6 MB of JSON) one answer allocates about 35 MB; under the
// plugin's soft memory limit (cmd/keyfactor) that kept the collector running, and returning and
// re-faulting pages, for the whole answer. Handed over already encoded (MarshalJSON), the buffer
// is allocated once at its size. Measured on a real Vault holding 100,000 records, p50 of each
// round of 15-21 LISTs: a []string index 169-240 ms (6 rounds), the serials kept in one string
// and answered as substrings 172 and 225 ms, pre-encoded 124-197 ms (16 rounds, half of them
// under 140 ms); native 116-170 ms in the same rounds.
//
// Small answers are encoded from a []string as usual (listResponse): encoding/json re-scans a
// Marshaler's bytes, which costs more than encoding the strings when the collector is not the
// bottleneck (2.7 against 0.8 ms at 10,000 serials).
//
// The array is written by hand only for serials that encoding/json writes as '"' + serial + '"'
// (plainSerial); TestPackedSerialsEncodeAsAStringSlice holds it to encoding/json's bytes.
//
// A value is never changed once built (a LIST answer may still be encoding it); changes make a
// new one (merge).
type packedSerials struct {
	text []byte   // the JSON array
	ends []uint32 // ends[i]: offset just past entry i's closing quote
}

// plainSerial reports whether s is written in JSON as '"' + s + '"' by encoding/json (which
// escapes quotes, backslashes, control characters and <, >, &). Serials are hex and ':'; a key
// with anything else (only possible through sys/raw) makes the index step aside (see packSerials).
func plainSerial(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == ':', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// packSerials packs sorted serials; ok is false when one of them is not plain.
func packSerials(sorted []string) (p *packedSerials, ok bool) {
	size := 2
	for _, s := range sorted {
		if !plainSerial(s) {
			return nil, false
		}
		size += len(s) + 3
	}
	b := newPackBuilder(size, len(sorted))
	for _, s := range sorted {
		b.add(s)
	}
	return b.done(), true
}

// packBuilder appends entries to a packedSerials of known size.
type packBuilder struct{ p *packedSerials }

func newPackBuilder(size, entries int) *packBuilder {
	text := make([]byte, 1, size)
	text[0] = '['
	return &packBuilder{p: &packedSerials{text: text, ends: make([]uint32, 0, entries)}}
}

func (b *packBuilder) add(serial string) {
	b.addBytes([]byte(serial))
}

func (b *packBuilder) addBytes(serial []byte) {
	if len(b.p.ends) > 0 {
		b.p.text = append(b.p.text, ',')
	}
	b.p.text = append(b.p.text, '"')
	b.p.text = append(b.p.text, serial...)
	b.p.text = append(b.p.text, '"')
	b.p.ends = append(b.p.ends, uint32(len(b.p.text)))
}

func (b *packBuilder) done() *packedSerials {
	b.p.text = append(b.p.text, ']')
	return b.p
}

func (p *packedSerials) len() int {
	if p == nil {
		return 0
	}
	return len(p.ends)
}

// at is entry i without its quotes; it shares p's memory.
func (p *packedSerials) at(i int) []byte {
	start := 1 // past '['
	if i > 0 {
		start = int(p.ends[i-1]) + 1 // past ','
	}
	return p.text[start+1 : p.ends[i]-1]
}

// find reports whether serial is in p.
func (p *packedSerials) find(serial string) bool {
	n := p.len()
	i := sort.Search(n, func(i int) bool { return compareStorageOrder(p.at(i), serial) >= 0 })
	return i < n && compareStorageOrder(p.at(i), serial) == 0
}

// merge is p with added (sorted, none present) and without removed (all present).
func (p *packedSerials) merge(added []string, removed map[string]bool) (*packedSerials, bool) {
	if p == nil {
		p = &packedSerials{}
	}
	size := len(p.text) + 2
	for _, s := range added {
		if !plainSerial(s) {
			return nil, false
		}
		size += len(s) + 3
	}
	b := newPackBuilder(size, p.len()+len(added))
	j := 0
	for i := 0; i < p.len(); i++ {
		serial := p.at(i)
		for j < len(added) && compareStorageOrder(serial, added[j]) > 0 {
			b.add(added[j])
			j++
		}
		if !removed[string(serial)] {
			b.addBytes(serial)
		}
	}
	for ; j < len(added); j++ {
		b.add(added[j])
	}
	return b.done(), true
}

// strings is p as a []string: the answer of a LIST encoded the usual way, and tests. The serials
// are substrings of one copy of the text, so an answer costs two allocations, not one a serial.
func (p *packedSerials) strings() []string {
	out := make([]string, p.len())
	if len(out) == 0 {
		return out
	}
	text := string(p.text)
	start := 1 // past '['
	for i, end := range p.ends {
		out[i] = text[start+1 : end-1]
		start = int(end) + 1 // past ','
	}
	return out
}

// certKeys is a LIST certs/ answer's keys: the index's packed serials, or the serials a storage
// List returned. Either way the answer encodes to the JSON array of strings native answers with.
type certKeys struct {
	packed *packedSerials
	listed []string
}

// serials is the keys as a []string.
func (k certKeys) serials() []string {
	if k.packed != nil {
		return k.packed.strings()
	}
	return k.listed
}

// preEncodedMinBytes is the size from which a LIST answer travels pre-encoded (see
// packedSerials): about 35,000 serials, where one answer's copies (about five times its size)
// start to crowd the 40 MiB memory limit. A variable for tests.
var preEncodedMinBytes = 2 << 20

// Tried and rejected: answering a large LIST as a raw HTTP body (Vault writes those as they are,
// skipping its decode and re-encode of the keys). The body crosses as base64 inside the SDK's
// JSON, Vault still decodes that one 8 MB string at nearly the cost of 100,000 short ones, and
// the extra copies under the memory limit made a real Vault's LIST at 100,000 records slower
// (p50 274 against 183 ms for this code; README, Performance).
//
// listResponse is the LIST certs/ answer. A large answer that only travels as JSON (asJSON: the
// plugin process, see PluginFactory) goes in as the packed serials, whose MarshalJSON bytes
// encoding/json copies as they are. Otherwise it is logical.ListResponse's []string, which is
// also the type Vault's in-process response handling expects.
func (k certKeys) listResponse(asJSON bool) *logical.Response {
	if asJSON && k.packed != nil && len(k.packed.text) >= preEncodedMinBytes {
		return &logical.Response{Data: map[string]interface{}{"keys": k.packed}}
	}
	return logical.ListResponse(k.serials())
}

// MarshalJSON is the packed JSON array itself.
func (p *packedSerials) MarshalJSON() ([]byte, error) {
	return p.text, nil
}
