package pkicompat

import (
	"sort"
	"strings"
)

// packedSerials is a sorted list of serials (display form) held in one string, with the offset
// where each entry ends: entry i is text[ends[i-1]:ends[i]].
//
// Why not a []string: at 100,000 certificates a []string is 100,000 heap objects the collector
// marks on every cycle. Under the plugin's soft memory limit (cmd/keyfactor) the collector runs
// often while a large LIST answer is encoded and copied (json.Marshal, then the SDK's protobuf
// message), and marking that many objects kept it busy for the whole answer: LIST at 100,000
// records took 169-191 ms against native's 138-143 ms. The string and the offsets hold no
// pointers, so the collector does not look inside them. LIST answers with substrings of text,
// which share its memory (packed: 133-135 ms against native's 130-150 ms, same Vault, same
// records).
//
// A value is never changed once built; changes make a new one (merge).
type packedSerials struct {
	text string
	ends []uint32
}

// packSerials packs sorted serials.
func packSerials(sorted []string) *packedSerials {
	size := 0
	for _, s := range sorted {
		size += len(s)
	}
	b := newPackBuilder(size, len(sorted))
	for _, s := range sorted {
		b.add(s)
	}
	return b.done()
}

// packBuilder appends entries to a packedSerials of known size.
type packBuilder struct {
	text strings.Builder
	ends []uint32
}

func newPackBuilder(size, entries int) *packBuilder {
	b := &packBuilder{ends: make([]uint32, 0, entries)}
	b.text.Grow(size)
	return b
}

func (b *packBuilder) add(serial string) {
	b.text.WriteString(serial)
	b.ends = append(b.ends, uint32(b.text.Len()))
}

func (b *packBuilder) done() *packedSerials {
	return &packedSerials{text: b.text.String(), ends: b.ends}
}

func (p *packedSerials) len() int {
	if p == nil {
		return 0
	}
	return len(p.ends)
}

// at is entry i, a substring of p.text.
func (p *packedSerials) at(i int) string {
	start := uint32(0)
	if i > 0 {
		start = p.ends[i-1]
	}
	return p.text[start:p.ends[i]]
}

// find reports whether serial is in p.
func (p *packedSerials) find(serial string) bool {
	n := p.len()
	i := sort.Search(n, func(i int) bool { return compareStorageOrder(p.at(i), serial) >= 0 })
	return i < n && compareStorageOrder(p.at(i), serial) == 0
}

// merge is p with added (sorted, none present) and without removed (all present).
func (p *packedSerials) merge(added []string, removed map[string]bool) *packedSerials {
	size := 0
	if p != nil {
		size = len(p.text)
	}
	for _, s := range added {
		size += len(s)
	}
	b := newPackBuilder(size, p.len()+len(added))
	j := 0
	for i := 0; i < p.len(); i++ {
		serial := p.at(i)
		for j < len(added) && compareStorageOrder(added[j], serial) < 0 {
			b.add(added[j])
			j++
		}
		if !removed[serial] {
			b.add(serial)
		}
	}
	for ; j < len(added); j++ {
		b.add(added[j])
	}
	return b.done()
}

// strings is every entry, as substrings of p.text (no copy of the serials themselves).
func (p *packedSerials) strings() []string {
	out := make([]string, p.len())
	for i := range out {
		out[i] = p.at(i)
	}
	return out
}
