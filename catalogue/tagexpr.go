package catalogue

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// TagExpr is a parsed tag expression. It accepts Cucumber's syntax
// ("@a and not (@b or @c)") and godog's legacy one ("@a && ~@b, @c").
type TagExpr struct {
	src   string
	root  tagNode
	names []string // every tag the expression mentions
}

type tagNode interface {
	eval(tags map[string]bool) bool
	dnf() [][]tagLit
}

type tagLit struct {
	tag string
	neg bool
}

type tagRef struct{ tag string }
type tagNot struct{ x tagNode }
type tagAnd struct{ l, r tagNode }
type tagOr struct{ l, r tagNode }
type tagAll struct{}

func (t tagRef) eval(m map[string]bool) bool { return m[t.tag] }
func (t tagNot) eval(m map[string]bool) bool { return !t.x.eval(m) }
func (t tagAnd) eval(m map[string]bool) bool { return t.l.eval(m) && t.r.eval(m) }
func (t tagOr) eval(m map[string]bool) bool  { return t.l.eval(m) || t.r.eval(m) }
func (tagAll) eval(map[string]bool) bool     { return true }

// TagNamePattern is what a tag may look like in ovacts features.
var TagNamePattern = regexp.MustCompile(`^@[A-Za-z0-9_][A-Za-z0-9_:.\-]*$`)

// ParseTagExpr parses a tag expression; the empty string selects everything.
func ParseTagExpr(src string) (*TagExpr, error) {
	if strings.TrimSpace(src) == "" {
		return &TagExpr{src: src, root: tagAll{}}, nil
	}
	toks, err := tokenizeTags(src)
	if err != nil {
		return nil, err
	}
	p := &tagParser{toks: toks}
	root, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("tag expression %q: %w", src, err)
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("tag expression %q: unexpected %q", src, p.toks[p.pos])
	}
	var names []string
	for _, t := range toks {
		if strings.HasPrefix(t, "@") {
			names = append(names, t)
		}
	}
	return &TagExpr{src: src, root: root, names: names}, nil
}

// Match reports whether a scenario with these tags is selected.
func (e *TagExpr) Match(tags []string) bool {
	m := make(map[string]bool, len(tags))
	for _, t := range tags {
		m[t] = true
	}
	return e.root.eval(m)
}

// And combines expressions.
func (e *TagExpr) And(o *TagExpr) *TagExpr {
	return &TagExpr{src: "(" + e.src + ") and (" + o.src + ")", root: tagAnd{e.root, o.root},
		names: append(append([]string{}, e.names...), o.names...)}
}

func tokenizeTags(s string) ([]string, error) {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')' || c == ',' || c == '~':
			toks = append(toks, string(c))
			i++
		case strings.HasPrefix(s[i:], "&&"):
			toks = append(toks, "and")
			i += 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n(),~&", rune(s[j])) {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("tag expression %q: unexpected %q at offset %d", s, s[i:i+1], i)
			}
			word := s[i:j]
			if !strings.HasPrefix(word, "@") && word != "and" && word != "or" && word != "not" {
				return nil, fmt.Errorf("tag expression %q: %q is neither a tag (@name) nor and/or/not", s, word)
			}
			if strings.HasPrefix(word, "@") && !TagNamePattern.MatchString(word) {
				return nil, fmt.Errorf("tag expression %q: invalid tag %q", s, word)
			}
			toks = append(toks, word)
			i = j
		}
	}
	return toks, nil
}

type tagParser struct {
	toks []string
	pos  int
}

func (p *tagParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

func (p *tagParser) or() (tagNode, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.peek() == "or" || p.peek() == "," {
		p.pos++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = tagOr{l, r}
	}
	return l, nil
}

func (p *tagParser) and() (tagNode, error) {
	l, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.peek() == "and" {
		p.pos++
		r, err := p.not()
		if err != nil {
			return nil, err
		}
		l = tagAnd{l, r}
	}
	return l, nil
}

func (p *tagParser) not() (tagNode, error) {
	switch t := p.peek(); {
	case t == "not" || t == "~":
		p.pos++
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return tagNot{x}, nil
	case t == "(":
		p.pos++
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.peek() != ")" {
			return nil, fmt.Errorf("missing ')'")
		}
		p.pos++
		return x, nil
	case strings.HasPrefix(t, "@"):
		p.pos++
		return tagRef{t}, nil
	case t == "":
		return nil, fmt.Errorf("unexpected end")
	default:
		return nil, fmt.Errorf("unexpected %q", t)
	}
}

// Disjunctive normal form, used to hand the selection to godog, whose filter
// syntax only has OR (",") of AND ("&&") of possibly negated ("~") tags.

const maxDNFTerms = 512

func (t tagRef) dnf() [][]tagLit { return [][]tagLit{{{tag: t.tag}}} }
func (tagAll) dnf() [][]tagLit   { return [][]tagLit{{}} }
func (t tagOr) dnf() [][]tagLit  { return append(t.l.dnf(), t.r.dnf()...) }
func (t tagAnd) dnf() [][]tagLit {
	var out [][]tagLit
	for _, a := range t.l.dnf() {
		for _, b := range t.r.dnf() {
			if len(out) > maxDNFTerms {
				return out
			}
			out = append(out, append(append([]tagLit{}, a...), b...))
		}
	}
	return out
}

func (t tagNot) dnf() [][]tagLit {
	switch x := t.x.(type) {
	case tagRef:
		return [][]tagLit{{{tag: x.tag, neg: true}}}
	case tagNot:
		return x.x.dnf()
	case tagAnd: // De Morgan
		return tagOr{tagNot{x.l}, tagNot{x.r}}.dnf()
	case tagOr:
		return tagAnd{tagNot{x.l}, tagNot{x.r}}.dnf()
	default: // not all: nothing
		return nil
	}
}

// GodogFilter renders the expression in godog's filter syntax. ok is false when
// the expression selects nothing; an error means it is too complex to render.
func (e *TagExpr) GodogFilter() (filter string, ok bool, err error) {
	terms := e.root.dnf()
	if len(terms) > maxDNFTerms {
		return "", false, fmt.Errorf("tag expression %q is too complex (over %d terms)", e.src, maxDNFTerms)
	}
	var out []string
	for _, term := range terms {
		seen := map[string]bool{}
		contradiction := false
		var lits []string
		for _, l := range term {
			if v, dup := seen[l.tag]; dup {
				if v != l.neg {
					contradiction = true
				}
				continue
			}
			seen[l.tag] = l.neg
			if l.neg {
				lits = append(lits, "~"+l.tag)
			} else {
				lits = append(lits, l.tag)
			}
		}
		if contradiction {
			continue
		}
		if len(lits) == 0 { // a term that is always true selects everything
			return "", true, nil
		}
		sort.Strings(lits)
		out = append(out, strings.Join(lits, "&&"))
	}
	if len(out) == 0 {
		return "", false, nil
	}
	return strings.Join(out, ","), true, nil
}
