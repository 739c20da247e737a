package pkicompat

import (
	"regexp"
	"strings"

	"golang.org/x/net/idna"
)

// The name rules below reproduce native PKI's verdicts (Vault v1.21.0's builtin/logical/pki, observed) so that a request is
// accepted or refused by this engine exactly when the built-in engine would accept or refuse it.

var (
	// hostLabel is one DNS label: alphanumerics, inner hyphens allowed.
	hostLabel = `([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\-]*[a-zA-Z0-9])`
	// hostnamePattern is native's hostname shape: optional "*." prefix, labels, optional root dot.
	hostnamePattern = regexp.MustCompile(`^(\*\.)?(` + hostLabel + `\.)*` + hostLabel + `\.?$`)
	// wildcardLabelPattern is the left-most label of a wildcard name: "*", "*x", "x*" or "x*y".
	wildcardLabelPattern = regexp.MustCompile(`^(\*|\*` + hostLabel + `|` + hostLabel + `\*|` + hostLabel + `\*` + hostLabel + `)$`)
)

// toASCIIHostname converts an internationalised name to its ASCII (punycode) form with the same
// profile native uses. That profile does not map case, so "Foo.Example.com" stays as written.
func toASCIIHostname(name string) (string, error) {
	return idna.New(idna.StrictDomainName(true), idna.VerifyDNSLength(true)).ToASCII(name)
}

// nameCandidate is one name under validation, split the way the rules look at it.
type nameCandidate struct {
	original    string
	reduced     string // the name without e-mail local part and without the wildcard label
	emailDomain string // the part after "@" (equals original when not an e-mail)
	wildLabel   string
	isEmail     bool
	isWildcard  bool
}

// splitName parses name; ok is false when its shape alone refuses it (two "@", a malformed
// wildcard, a wildcard e-mail, or a wildcard the role forbids).
func (r *roleEntry) splitName(name string) (c nameCandidate, ok bool) {
	c = nameCandidate{original: name, reduced: name, emailDomain: name}
	if strings.Contains(name, "@") {
		parts := strings.Split(name, "@")
		if len(parts) != 2 {
			return c, false
		}
		c.reduced, c.emailDomain, c.isEmail = parts[1], parts[1], true
	}
	if strings.Contains(c.reduced, "*") {
		c.isWildcard = true
		// An explicit allow_wildcard_certificates=false wins over everything, allow_any_name too.
		if !r.wildcardsAllowed() {
			return c, false
		}
		if strings.Count(c.reduced, "*") > 1 {
			return c, false
		}
		label, rest, hasRest := strings.Cut(c.reduced, ".")
		c.wildLabel = label
		if !hasRest {
			// A single-label wildcard ("*", "a*"): only the label itself can be checked.
			c.reduced = ""
		} else {
			if strings.Contains(rest, "*") {
				return c, false
			}
			c.reduced = rest
		}
	}
	if c.isEmail && c.isWildcard {
		return c, false
	}
	return c, true
}

// nameAllowed is the verdict of the role's domain policy on one CN, DNS SAN or e-mail name.
func (r *roleEntry) nameAllowed(name string) bool {
	c, ok := r.splitName(name)
	if !ok {
		return false
	}

	if r.EnforceHostnames {
		if c.reduced != "" {
			ascii, err := toASCIIHostname(c.reduced)
			if err != nil || !hostnamePattern.MatchString(ascii) {
				return false
			}
		}
		if c.isWildcard && !wildcardLabelPattern.MatchString(c.wildLabel) {
			return false
		}
	}

	// allow_any_name and, as the older Keyfactor plugin documents, an allowed domain of "*" accept
	// every name that passed the shape checks above.
	if r.AllowAnyName || r.allowsEveryDomain() {
		return true
	}

	if r.AllowLocalhost && r.localhostAllowed(c) {
		return true
	}

	for _, domain := range r.AllowedDomains {
		if domain == "" {
			continue
		}
		if r.domainMatches(c, domain) {
			return true
		}
	}
	return false
}

// allowsEveryDomain reports whether allowed_domains holds the bare entry "*". Native only matches
// it with allow_glob_domains (where "*" matches everything anyway); the older Keyfactor plugin
// documents it as "any name", and its users' roles keep working here.
func (r *roleEntry) allowsEveryDomain() bool {
	for _, d := range r.AllowedDomains {
		if strings.TrimSpace(d) == "*" {
			return true
		}
	}
	return false
}

// localhostAllowed applies allow_localhost: localhost and localdomain, and their subdomains when
// allow_subdomains is also set.
func (r *roleEntry) localhostAllowed(c nameCandidate) bool {
	for _, local := range []string{"localhost", "localdomain"} {
		if c.reduced == local || (c.isEmail && c.emailDomain == local) {
			return true
		}
		if r.AllowSubdomains &&
			(strings.HasSuffix(c.reduced, "."+local) || (c.isWildcard && c.reduced == local)) {
			return true
		}
	}
	return false
}

// domainMatches applies one allowed_domains entry. The comparisons keep native's quirks: the bare
// match ignores case, the subdomain suffix match does not, and globs compare lower-cased text.
func (r *roleEntry) domainMatches(c nameCandidate, domain string) bool {
	if r.AllowBareDomains &&
		(strings.EqualFold(c.original, domain) || (c.isEmail && strings.EqualFold(c.emailDomain, domain))) {
		return true
	}
	if r.AllowSubdomains &&
		(strings.HasSuffix(c.reduced, "."+domain) || (c.isWildcard && strings.EqualFold(c.reduced, domain))) {
		return true
	}
	if r.AllowGlobDomains && strings.Contains(domain, "*") &&
		globMatch(strings.ToLower(domain), strings.ToLower(c.original)) {
		return true
	}
	return false
}

// firstRefusedName returns the first of names the role refuses, or "" when all pass.
func (r *roleEntry) firstRefusedName(names []string) string {
	for _, n := range names {
		if !r.nameAllowed(n) {
			return n
		}
	}
	return ""
}

// commonNameAllowed applies cn_validations on top of the domain policy: "disabled" skips every
// check of the CN itself; otherwise an e-mail CN needs "email" and any other CN needs "hostname".
func (r *roleEntry) commonNameAllowed(cn string) bool {
	if len(r.CNValidations) == 1 && r.CNValidations[0] == "disabled" {
		return true
	}
	if !r.nameAllowed(cn) {
		return false
	}
	if len(r.CNValidations) == 0 {
		return true
	}
	need := "hostname"
	if strings.Contains(cn, "@") {
		need = "email"
	}
	for _, v := range r.CNValidations {
		if v == need {
			return true
		}
	}
	return false
}

// globMatch is shell-style matching where "*" matches any run of characters, dots included, and
// no other character is special. Pieces between stars must appear in order; the first piece is
// anchored at the start unless the pattern starts with "*", the last at the end unless it ends
// with "*".
func globMatch(pattern, subject string) bool {
	if pattern == "*" {
		return true
	}
	pieces := strings.Split(pattern, "*")
	if len(pieces) == 1 {
		return pattern == subject
	}
	first, last := pieces[0], pieces[len(pieces)-1]
	if !strings.HasPrefix(subject, first) {
		return false
	}
	rest := subject[len(first):]
	for _, middle := range pieces[1 : len(pieces)-1] {
		i := strings.Index(rest, middle)
		if i < 0 {
			return false
		}
		rest = rest[i+len(middle):]
	}
	return strings.HasSuffix(rest, last)
}
