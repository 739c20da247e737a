package commandtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// This file implements the subset of Keyfactor's PowerShell-like query language (PQL) that
// clients use: FIELD -op VALUE comparisons joined by AND/OR with parentheses, quoted values,
// NULL tests and the %TODAY% date tokens. Field names are case-insensitive; string comparisons
// are case-insensitive (SQL Server's default collation).

type fieldKind int

const (
	kindString fieldKind = iota
	kindInt
	kindDate
)

// fieldValue is one field of one item; strs holds the forms a string field may match (CA
// matches its logical and host\logical names).
type fieldValue struct {
	null bool
	strs []string
	num  int64
	date time.Time
}

// fieldDef describes a queryable field of some item type.
type fieldDef struct {
	name string // canonical spelling, for messages
	kind fieldKind
	dn   bool // distinguished name: -eq/-ne compare normalized DNs
	get  func(item any) fieldValue
}

// querySchema resolves a field name (any case) to its definition.
type querySchema func(name string) (fieldDef, bool)

// predicate reports whether an item matches a parsed query.
type predicate func(item any) bool

type pqlToken struct {
	kind  string // "(", ")", "op", "and", "or", "word", "string"
	text  string
	quote bool
}

var pqlOperators = map[string]bool{
	"-eq": true, "-ne": true, "-contains": true, "-notcontains": true, "-startswith": true,
	"-endswith": true, "-lt": true, "-le": true, "-gt": true, "-ge": true,
}

func tokenizePQL(q string) ([]pqlToken, error) {
	var toks []pqlToken
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, pqlToken{kind: string(c)})
			i++
		case c == '"' || c == '\'':
			var sb strings.Builder
			j := i + 1
			closed := false
			for j < len(q) {
				if q[j] == c {
					if j+1 < len(q) && q[j+1] == c { // doubled quote = literal quote
						sb.WriteByte(c)
						j += 2
						continue
					}
					closed = true
					break
				}
				sb.WriteByte(q[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("unterminated quoted value starting at position %d", i+1)
			}
			toks = append(toks, pqlToken{kind: "string", text: sb.String(), quote: true})
			i = j + 1
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\r\n()\"'", rune(q[j])) {
				j++
			}
			word := q[i:j]
			lower := strings.ToLower(word)
			switch {
			case pqlOperators[lower]:
				toks = append(toks, pqlToken{kind: "op", text: lower})
			case strings.HasPrefix(word, "-") && len(word) > 1 && !isNumber(word):
				return nil, fmt.Errorf("unknown operator '%s'", word)
			case lower == "and":
				toks = append(toks, pqlToken{kind: "and"})
			case lower == "or":
				toks = append(toks, pqlToken{kind: "or"})
			default:
				toks = append(toks, pqlToken{kind: "word", text: word})
			}
			i = j
		}
	}
	return toks, nil
}

func isNumber(s string) bool { _, err := strconv.ParseInt(s, 10, 64); return err == nil }

type pqlParser struct {
	toks   []pqlToken
	pos    int
	schema querySchema
	now    time.Time
}

// parsePQL compiles query against schema. An empty query matches everything.
func parsePQL(query string, schema querySchema, now time.Time) (predicate, error) {
	toks, err := tokenizePQL(query)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return func(any) bool { return true }, nil
	}
	p := &pqlParser{toks: toks, schema: schema, now: now}
	pred, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, fmt.Errorf("unexpected '%s' at the end of the query", p.toks[p.pos].describe())
	}
	return pred, nil
}

func (t pqlToken) describe() string {
	switch t.kind {
	case "and":
		return "AND"
	case "or":
		return "OR"
	case "(", ")":
		return t.kind
	}
	return t.text
}

func (p *pqlParser) peek() *pqlToken {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *pqlParser) parseOr() (predicate, error) {
	left, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t != nil && t.kind == "or"; t = p.peek() {
		p.pos++
		right, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(it any) bool { return l(it) || right(it) }
	}
	return left, nil
}

func (p *pqlParser) parseAnd() (predicate, error) {
	left, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t != nil && t.kind == "and"; t = p.peek() {
		p.pos++
		right, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		l := left
		left = func(it any) bool { return l(it) && right(it) }
	}
	return left, nil
}

func (p *pqlParser) parseTerm() (predicate, error) {
	t := p.peek()
	if t == nil {
		return nil, fmt.Errorf("the query ends where a comparison was expected")
	}
	if t.kind == "(" {
		p.pos++
		inner, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.peek(); c == nil || c.kind != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return inner, nil
	}
	if t.kind != "word" {
		return nil, fmt.Errorf("expected a field name, found '%s'", t.describe())
	}
	field, ok := p.schema(t.text)
	if !ok {
		return nil, fmt.Errorf("unknown field '%s'", t.text)
	}
	p.pos++
	opTok := p.peek()
	if opTok == nil || opTok.kind != "op" {
		return nil, fmt.Errorf("expected an operator after '%s'", t.text)
	}
	p.pos++
	valTok := p.peek()
	if valTok == nil || (valTok.kind != "word" && valTok.kind != "string") {
		return nil, fmt.Errorf("expected a value after '%s %s'", field.name, opTok.text)
	}
	p.pos++
	return compileComparison(field, opTok.text, *valTok, p.now)
}

// compileComparison builds the test for one FIELD -op VALUE.
func compileComparison(f fieldDef, op string, val pqlToken, now time.Time) (predicate, error) {
	if !val.quote && strings.EqualFold(val.text, "NULL") {
		switch op {
		case "-eq":
			return func(it any) bool { return f.get(it).null }, nil
		case "-ne":
			return func(it any) bool { return !f.get(it).null }, nil
		}
		return nil, fmt.Errorf("NULL can only be compared with -eq or -ne")
	}
	switch f.kind {
	case kindInt:
		return compileIntComparison(f, op, val.text)
	case kindDate:
		return compileDateComparison(f, op, val.text, now)
	}
	return compileStringComparison(f, op, val.text)
}

func compileStringComparison(f fieldDef, op, value string) (predicate, error) {
	want := strings.ToLower(value)
	var test func(have string) bool
	switch op {
	case "-eq", "-ne":
		if f.dn {
			nw := normalizeDN(value)
			test = func(have string) bool { return normalizeDN(have) == nw }
		} else {
			test = func(have string) bool { return strings.EqualFold(have, value) }
		}
	case "-contains", "-notcontains":
		test = func(have string) bool { return strings.Contains(strings.ToLower(have), want) }
	case "-startswith":
		test = func(have string) bool { return strings.HasPrefix(strings.ToLower(have), want) }
	case "-endswith":
		test = func(have string) bool { return strings.HasSuffix(strings.ToLower(have), want) }
	default:
		return nil, fmt.Errorf("the operator %s cannot be used with the text field %s", op, f.name)
	}
	negate := op == "-ne" || op == "-notcontains"
	return func(it any) bool {
		v := f.get(it)
		if v.null {
			return false // SQL semantics: NULL matches no comparison but a NULL test
		}
		for _, s := range v.strs {
			if test(s) {
				return !negate
			}
		}
		return negate
	}, nil
}

func compileIntComparison(f fieldDef, op, value string) (predicate, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("Invalid %s value: %s.", f.name, value)
	}
	cmp, err := orderedOp(op, f.name)
	if err != nil {
		return nil, err
	}
	return func(it any) bool {
		v := f.get(it)
		if v.null {
			return false
		}
		return cmp(compareInt(v.num, n))
	}, nil
}

func compareInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func orderedOp(op, field string) (func(c int) bool, error) {
	switch op {
	case "-eq":
		return func(c int) bool { return c == 0 }, nil
	case "-ne":
		return func(c int) bool { return c != 0 }, nil
	case "-lt":
		return func(c int) bool { return c < 0 }, nil
	case "-le":
		return func(c int) bool { return c <= 0 }, nil
	case "-gt":
		return func(c int) bool { return c > 0 }, nil
	case "-ge":
		return func(c int) bool { return c >= 0 }, nil
	}
	return nil, fmt.Errorf("the operator %s cannot be used with the field %s", op, field)
}

var todayToken = regexp.MustCompile(`^(?i)%TODAY(?:([+-])(\d+))?%$`)

// compileDateComparison compares dates. A value without a time of day compares by whole UTC
// days (-eq = same day), as a date picker in Command's UI does. Inferred: the day semantics.
func compileDateComparison(f fieldDef, op, value string, now time.Time) (predicate, error) {
	if _, err := orderedOp(op, f.name); err != nil {
		return nil, err
	}
	var at time.Time
	dayOnly := false
	if m := todayToken.FindStringSubmatch(strings.TrimSpace(value)); m != nil {
		days := 0
		if m[2] != "" {
			d, err := strconv.Atoi(m[2])
			if err != nil {
				return nil, fmt.Errorf("invalid date token %s", value)
			}
			days = d
			if m[1] == "-" {
				days = -d
			}
		}
		y, mo, d := now.UTC().Date()
		at, dayOnly = time.Date(y, mo, d+days, 0, 0, 0, 0, time.UTC), true
	} else {
		t, ok := parseLenientTime(value)
		if !ok {
			return nil, fmt.Errorf("'%s' is not a valid date for %s", value, f.name)
		}
		at = t
		dayOnly = t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 && !strings.ContainsAny(value, "T:")
	}
	return func(it any) bool {
		v := f.get(it)
		if v.null {
			return false
		}
		have := v.date.UTC()
		if dayOnly {
			next := at.AddDate(0, 0, 1)
			switch op {
			case "-eq":
				return !have.Before(at) && have.Before(next)
			case "-ne":
				return have.Before(at) || !have.Before(next)
			case "-lt":
				return have.Before(at)
			case "-le":
				return have.Before(next)
			case "-gt":
				return !have.Before(next)
			default: // -ge
				return !have.Before(at)
			}
		}
		cmp, _ := orderedOp(op, f.name)
		return cmp(have.Truncate(time.Second).Compare(at.Truncate(time.Second)))
	}, nil
}
