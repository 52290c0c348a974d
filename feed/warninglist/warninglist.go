// Package warninglist loads MISP warninglists (lists of known-good or
// non-actionable values: public resolvers, cloud ranges, popular domains,
// hashes of empty files) and answers whether a value is on one.
//
// The five MISP list types are honoured as MISP matches them: cidr (the
// address lies in a listed prefix; bare addresses are host routes), string
// (equality, case-insensitive), hostname (the domain or a parent of it is
// listed; for URLs the host), substring (the value contains an entry) and
// regex (/.../flags). A list applies only to the value kinds its
// matching_attributes name.
//
// A Set is what feed.Builder uses at ingest (Check: the value is kept as an
// observable, not an indicator) and what the matcher uses at match time
// (Suppressed, or Values for match.NewSuppression).
package warninglist

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/gaissmai/bart"
)

// List is one warninglist as MISP writes it.
type List struct {
	Name               string   `json:"name"`
	Description        string   `json:"description"`
	Version            int64    `json:"version"`
	Type               string   `json:"type"`
	MatchingAttributes []string `json:"matching_attributes"`
	Entries            []string `json:"list"`
}

// Parse reads one list.json. The type must be one of cidr, string,
// hostname, substring, regex.
func Parse(r io.Reader) (*List, error) {
	var l List
	if err := json.NewDecoder(r).Decode(&l); err != nil {
		return nil, fmt.Errorf("reading warninglist: %w", err)
	}
	if l.Name == "" {
		return nil, fmt.Errorf("warninglist: name is missing")
	}
	switch l.Type {
	case "cidr", "string", "hostname", "substring", "regex":
	default:
		return nil, fmt.Errorf("warninglist %q: type %q is not one of cidr, string, hostname, substring, regex", l.Name, l.Type)
	}
	return &l, nil
}

// Suppressor says whether a value should never raise a match. *Set
// implements it.
type Suppressor interface {
	Suppressed(v dragnet.Value) bool
}

// Set is a compiled collection of lists, safe for concurrent reads.
type Set struct {
	lists []*compiled
}

var (
	_ feed.Checker = (*Set)(nil)
	_ Suppressor   = (*Set)(nil)
)

type compiled struct {
	list  *List
	kinds map[dragnet.ValueKind]bool
	nets  *bart.Lite
	exact map[string]struct{}
	hosts map[string]struct{}
	ac    *automaton
	res   []*regexp.Regexp
}

// kindsOf maps MISP attribute types to the value kinds a list applies to.
func kindsOf(attrs []string) map[dragnet.ValueKind]bool {
	ks := map[dragnet.ValueKind]bool{}
	ips := []dragnet.ValueKind{dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR}
	for _, a := range attrs {
		switch a {
		case "ip-src", "ip-dst", "ip-src|port", "ip-dst|port":
			for _, k := range ips {
				ks[k] = true
			}
		case "domain|ip":
			for _, k := range ips {
				ks[k] = true
			}
			ks[dragnet.ValueDomain] = true
		case "hostname", "domain":
			ks[dragnet.ValueDomain] = true
		case "url", "uri", "link":
			ks[dragnet.ValueURL] = true
		case "email", "email-src", "email-dst", "target-email", "whois-registrant-email", "dns-soa-email", "email-reply-to":
			ks[dragnet.ValueEmail] = true
		default:
			h := strings.TrimPrefix(a, "filename|")
			switch h {
			case "md5":
				ks[dragnet.ValueMD5] = true
			case "sha1":
				ks[dragnet.ValueSHA1] = true
			case "sha256":
				ks[dragnet.ValueSHA256] = true
			case "sha512":
				ks[dragnet.ValueSHA512] = true
			}
		}
	}
	return ks
}

// NewSet compiles lists. An entry that does not parse for its list's type
// (a malformed prefix or expression) is an error naming the list and entry.
func NewSet(lists ...*List) (*Set, error) {
	s := &Set{}
	for _, l := range lists {
		c := &compiled{list: l, kinds: kindsOf(l.MatchingAttributes)}
		switch l.Type {
		case "cidr":
			c.nets = new(bart.Lite)
			for _, e := range l.Entries {
				p, err := parsePrefix(e)
				if err != nil {
					return nil, fmt.Errorf("warninglist %q: entry %q: %v", l.Name, e, err)
				}
				c.nets.Insert(p)
			}
		case "string":
			c.exact = map[string]struct{}{}
			for _, e := range l.Entries {
				c.exact[strings.ToLower(strings.TrimSpace(e))] = struct{}{}
			}
		case "hostname":
			c.hosts = map[string]struct{}{}
			for _, e := range l.Entries {
				c.hosts[strings.TrimSuffix(strings.ToLower(strings.TrimSpace(e)), ".")] = struct{}{}
			}
		case "substring":
			pats := make([]string, 0, len(l.Entries))
			for _, e := range l.Entries {
				if e = strings.ToLower(strings.TrimSpace(e)); e != "" {
					pats = append(pats, e)
				}
			}
			c.ac = newAutomaton(pats)
		case "regex":
			for _, e := range l.Entries {
				re, err := feed.CompileDelimited(e)
				if err != nil {
					return nil, fmt.Errorf("warninglist %q: %v", l.Name, err)
				}
				c.res = append(c.res, re)
			}
		}
		s.lists = append(s.lists, c)
	}
	return s, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// Load reads every list.json under dir (MISP's lists/NAME/list.json layout,
// or list files directly in dir) and compiles them.
func Load(dir string) (*Set, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && (d.Name() == "list.json" || (filepath.Dir(path) == dir && strings.HasSuffix(d.Name(), ".json") && d.Name() != "schema.json")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading warninglists: %w", err)
	}
	sort.Strings(files)
	var lists []*List
	for _, f := range files {
		r, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		l, err := Parse(r)
		r.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		lists = append(lists, l)
	}
	return NewSet(lists...)
}

// Lists returns the lists of the set.
func (s *Set) Lists() []*List {
	out := make([]*List, len(s.lists))
	for i, c := range s.lists {
		out[i] = c.list
	}
	return out
}

// Check returns the name of the first list v is on. It implements
// feed.Checker.
func (s *Set) Check(v dragnet.Value) (string, bool) {
	if s == nil {
		return "", false
	}
	for _, c := range s.lists {
		if c.kinds[v.Kind] && c.match(v) {
			return c.list.Name, true
		}
	}
	return "", false
}

// Suppressed reports whether v is on any list.
func (s *Set) Suppressed(v dragnet.Value) bool {
	_, ok := s.Check(v)
	return ok
}

func (c *compiled) match(v dragnet.Value) bool {
	val := strings.ToLower(v.Value)
	switch c.list.Type {
	case "cidr":
		switch v.Kind {
		case dragnet.ValueIPv4, dragnet.ValueIPv6:
			a, err := netip.ParseAddr(v.Value)
			return err == nil && c.nets.Lookup(a.Unmap())
		case dragnet.ValueCIDR:
			p, err := netip.ParsePrefix(v.Value)
			if err != nil {
				return false
			}
			_, ok := c.nets.LookupPrefixLPM(p.Masked())
			return ok
		}
		return false
	case "string":
		_, ok := c.exact[val]
		return ok
	case "hostname":
		d := val
		if v.Kind == dragnet.ValueURL {
			u, err := url.Parse(v.Value)
			if err != nil {
				return false
			}
			d = strings.ToLower(u.Hostname())
		} else if v.Kind == dragnet.ValueEmail {
			d = val[strings.LastIndexByte(val, '@')+1:]
		}
		for {
			if _, ok := c.hosts[d]; ok {
				return true
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				return false
			}
			d = d[i+1:]
		}
	case "substring":
		return c.ac.contains(val)
	case "regex":
		for _, re := range c.res {
			if re.MatchString(v.Value) {
				return true
			}
		}
	}
	return false
}

// Values returns the entries of the set's cidr, string and hostname lists
// as normalised values, for match.NewSuppression (which treats a domain as
// covering its sub-domains and a prefix as covering its addresses).
// Substring and regex lists have no such form; use Suppressed for them.
func (s *Set) Values() []dragnet.Value {
	var out []dragnet.Value
	for _, c := range s.lists {
		switch c.list.Type {
		case "cidr":
			for _, e := range c.list.Entries {
				if v, err := dragnet.NormalizeValue(dragnet.ValueCIDR, e); err == nil {
					out = append(out, v)
				}
			}
		case "string", "hostname":
			for _, e := range c.list.Entries {
				for k := range c.kinds {
					if k == dragnet.ValueCIDR || k == dragnet.ValueURL || (c.list.Type == "hostname" && k != dragnet.ValueDomain) {
						continue
					}
					if v, err := dragnet.NormalizeValue(k, e); err == nil {
						out = append(out, v)
					}
				}
			}
		}
	}
	return out
}
