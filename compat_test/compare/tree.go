package compare

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Node is one value of an answer in comparable form: its JSON kind, and either a (masked) scalar
// text, the facts parsed out of it (certificates, keys, CRLs), or its children.
type Node struct {
	Kind   string // "string", "number", "bool", "null", "array", "object"
	Text   string
	Facts  map[string]string // set when the value was parsed (PEM, DER); compared instead of Text
	Elems  []*Node
	Fields map[string]*Node
	// Unordered arrays are compared as multisets of their elements' texts.
	Unordered bool
}

// Describe turns an Observation into the tree that is compared: status, warnings, error and
// every data key, each value described according to its key.
func Describe(obs *Observation) *Node {
	root := &Node{Kind: "object", Fields: map[string]*Node{}}
	root.Fields["status"] = &Node{Kind: "number", Text: fmt.Sprint(obs.Status)}
	// Warnings are compared as a multiset: their order depends on where a warning is added
	// (handler or framework) and no client relies on it.
	warnings := &Node{Kind: "array", Unordered: true}
	for _, w := range obs.Warnings {
		warnings.Elems = append(warnings.Elems, &Node{Kind: "string", Text: maskWarning(w)})
	}
	root.Fields["warnings"] = warnings
	lease := &Node{Kind: "object", Fields: map[string]*Node{"present": {Kind: "bool", Text: fmt.Sprint(obs.Lease != nil)}}}
	if obs.Lease != nil {
		// The lease runs to the certificate's notAfter: whole hours, like lifetime_hours.
		lease.Fields["ttl_hours"] = &Node{Kind: "number", Text: fmt.Sprint(int64(obs.Lease.TTL.Round(time.Hour) / time.Hour))}
		lease.Fields["renewable"] = &Node{Kind: "bool", Text: fmt.Sprint(obs.Lease.Renewable)}
	}
	root.Fields["lease"] = lease
	root.Fields["error"] = &Node{Kind: "string", Text: maskWarning(obs.Error)}
	if obs.Data != nil {
		data := &Node{Kind: "object", Fields: map[string]*Node{}}
		for k, v := range obs.Data {
			data.Fields[k] = describeValue(k, v)
		}
		if info, ok := data.Fields["key_info"]; ok && info.Fields != nil {
			data.Fields["key_info"] = byContent(info)
		}
		for k, facts := range derivedFacts(obs.Data) {
			data.Fields[k] = &Node{Kind: "derived", Facts: facts}
		}
		root.Fields["data"] = data
	}
	return root
}

// describeValue describes one JSON value found under key.
func describeValue(key string, v interface{}) *Node {
	if key == "http_raw_body" {
		return describeRawBody(v)
	}
	switch t := v.(type) {
	case nil:
		return &Node{Kind: "null"}
	case bool:
		return &Node{Kind: "bool", Text: fmt.Sprint(t)}
	case json.Number:
		return &Node{Kind: "number", Text: maskNumber(key, t)}
	case float64:
		return &Node{Kind: "number", Text: maskNumber(key, json.Number(fmt.Sprint(t)))}
	case string:
		return describeString(key, t)
	case []interface{}:
		n := &Node{Kind: "array"}
		for _, e := range t {
			n.Elems = append(n.Elems, describeValue(key, e))
		}
		return n
	case map[string]interface{}:
		n := &Node{Kind: "object", Fields: map[string]*Node{}}
		for k, e := range t {
			n.Fields[k] = describeValue(k, e)
		}
		return n
	default:
		return &Node{Kind: fmt.Sprintf("unexpected %T", v), Text: fmt.Sprint(v)}
	}
}

// Difference is one place where two answers differ.
type Difference struct {
	Field  string // path in the compared tree, e.g. "data.certificate.cert[0].subject"
	Native string
	Plugin string
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: native=%q plugin=%q", d.Field, d.Native, d.Plugin)
}

// absent marks a key or fact one side does not have.
const absent = "<absent>"

// Diff compares two trees. It returns the differences and how many leaf values were compared
// (a figure the suite reports).
func Diff(native, plugin *Node) ([]Difference, int) {
	var c differ
	c.walk("", native, plugin)
	return c.diffs, c.compared
}

type differ struct {
	diffs    []Difference
	compared int
}

func (c *differ) add(field, a, b string) {
	c.diffs = append(c.diffs, Difference{Field: field, Native: a, Plugin: b})
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (c *differ) walk(path string, a, b *Node) {
	c.compared++
	if a.Kind != b.Kind {
		c.add(join(path, "(json type)"), a.Kind, b.Kind)
		return
	}
	switch {
	case a.Fields != nil || b.Fields != nil:
		for _, k := range UnionKeys(a.Fields, b.Fields) {
			an, aok := a.Fields[k]
			bn, bok := b.Fields[k]
			switch {
			case !aok:
				c.compared++
				c.add(join(path, k), absent, summary(bn))
			case !bok:
				c.compared++
				c.add(join(path, k), summary(an), absent)
			default:
				c.walk(join(path, k), an, bn)
			}
		}
	case a.Kind == "array" && a.Unordered:
		c.walkUnordered(path, a, b)
	case a.Kind == "array" || a.Kind == "object keyed by id":
		if len(a.Elems) != len(b.Elems) {
			c.add(join(path, "(length)"), fmt.Sprint(len(a.Elems)), fmt.Sprint(len(b.Elems)))
		}
		for i := 0; i < len(a.Elems) || i < len(b.Elems); i++ {
			elem := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= len(a.Elems):
				c.compared++
				c.add(elem, absent, summary(b.Elems[i]))
			case i >= len(b.Elems):
				c.compared++
				c.add(elem, summary(a.Elems[i]), absent)
			default:
				c.walk(elem, a.Elems[i], b.Elems[i])
			}
		}
	case a.Facts != nil || b.Facts != nil:
		for _, k := range UnionKeys(a.Facts, b.Facts) {
			c.compared++
			av, aok := a.Facts[k]
			bv, bok := b.Facts[k]
			if !aok {
				av = absent
			}
			if !bok {
				bv = absent
			}
			if av != bv {
				c.add(join(path, k), av, bv)
			}
		}
	default:
		if a.Text != b.Text {
			c.add(path, a.Text, b.Text)
		}
	}
}

// walkUnordered reports every element one side has more often than the other.
func (c *differ) walkUnordered(path string, a, b *Node) {
	count := map[string]int{}
	for _, e := range a.Elems {
		count[e.Text]++
	}
	for _, e := range b.Elems {
		count[e.Text]--
	}
	for _, text := range UnionKeys(count, nil) {
		c.compared++
		for n := count[text]; n > 0; n-- {
			c.add(path, text, absent)
		}
		for n := count[text]; n < 0; n++ {
			c.add(path, absent, text)
		}
	}
}

// summary is a short text for a value only one side has.
func summary(n *Node) string {
	switch {
	case n.Facts != nil:
		return fmt.Sprintf("%s with %d parsed facts", n.Kind, len(n.Facts))
	case n.Fields != nil:
		return fmt.Sprintf("object with keys %v", UnionKeys(n.Fields, nil))
	case n.Kind == "array" || n.Kind == "object keyed by id":
		return fmt.Sprintf("%s of %d", n.Kind, len(n.Elems))
	case n.Kind == "string":
		return n.Text
	default:
		return fmt.Sprintf("%s %s", n.Kind, n.Text)
	}
}

// UnionKeys is the sorted set of keys of a and b.
func UnionKeys[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	for k := range a {
		seen[k] = true
	}
	for k := range b {
		seen[k] = true
	}
	keys := make([]string, 0, len(seen))
	for k := range seen {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Render prints a tree for failure messages and debugging, facts sorted.
func Render(n *Node) string {
	var sb strings.Builder
	render(&sb, "", n)
	return sb.String()
}

func render(sb *strings.Builder, path string, n *Node) {
	switch {
	case n.Fields != nil:
		for _, k := range UnionKeys(n.Fields, nil) {
			render(sb, join(path, k), n.Fields[k])
		}
	case n.Kind == "array" || n.Kind == "object keyed by id":
		if len(n.Elems) == 0 {
			fmt.Fprintf(sb, "%s = []\n", path)
		}
		for i, e := range n.Elems {
			render(sb, fmt.Sprintf("%s[%d]", path, i), e)
		}
	case n.Facts != nil:
		for _, k := range UnionKeys(n.Facts, nil) {
			fmt.Fprintf(sb, "%s = %s\n", join(path, k), n.Facts[k])
		}
	default:
		fmt.Fprintf(sb, "%s = (%s) %s\n", path, n.Kind, n.Text)
	}
}

// describeRawBody describes a raw HTTP body. Its JSON type is not visible to a client (Vault
// writes the bytes), so a missing body and an empty one are the same: an empty body.
func describeRawBody(v interface{}) *Node {
	s, _ := v.(string)
	if s == "" {
		return &Node{Kind: "raw body", Facts: map[string]string{"encoding": "empty"}}
	}
	n := describeString("http_raw_body", s)
	n.Kind = "raw body"
	return n
}

// byContent turns an object keyed by per-engine ids (a LIST answer's key_info) into an array
// ordered by the entries' described content, so entries pair up whatever their ids. The
// default issuer comes first: every engine has one, so it pairs up even when the engines list
// different numbers of issuers.
func byContent(n *Node) *Node {
	type entry struct {
		text string
		node *Node
	}
	entries := make([]entry, 0, len(n.Fields))
	for _, v := range n.Fields {
		entries = append(entries, entry{Render(v), v})
	}
	isDefault := func(e entry) bool {
		d, ok := e.node.Fields["is_default"]
		return ok && d.Text == "true"
	}
	sort.Slice(entries, func(i, j int) bool {
		if isDefault(entries[i]) != isDefault(entries[j]) {
			return isDefault(entries[i])
		}
		return entries[i].text < entries[j].text
	})
	out := &Node{Kind: "object keyed by id"}
	for _, e := range entries {
		out.Elems = append(out.Elems, e.node)
	}
	return out
}
