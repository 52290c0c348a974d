package match

import (
	"net/netip"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/gaissmai/bart"
)

// Suppression is a set of warninglisted values (known-good addresses,
// popular domains, hashes of common files): values that never produce a
// hit, whatever indicator carries them. An address is suppressed when a
// warninglisted prefix contains it; a domain when it or a parent domain is
// warninglisted. It is built once and read concurrently.
type Suppression struct {
	exact   map[dragnet.Value]struct{}
	domains map[string]struct{}
	nets    *bart.Lite
}

// NewSuppression builds a suppression set from normalised values.
func NewSuppression(vs []dragnet.Value) *Suppression {
	s := &Suppression{exact: map[dragnet.Value]struct{}{}, domains: map[string]struct{}{}, nets: new(bart.Lite)}
	for _, v := range vs {
		switch v.Kind {
		case dragnet.ValueCIDR, dragnet.ValueIPv4, dragnet.ValueIPv6:
			if p, err := netip.ParsePrefix(v.Value); err == nil {
				s.nets.Insert(p.Masked())
			} else if a, err := netip.ParseAddr(v.Value); err == nil {
				a = a.Unmap()
				s.nets.Insert(netip.PrefixFrom(a, a.BitLen()))
			}
		case dragnet.ValueDomain:
			if d, ok := domainKey(v.Value); ok {
				s.domains[d] = struct{}{}
			}
		case dragnet.ValueURL:
			if u, ok := urlCanon(nil, v.Value); ok {
				s.exact[dragnet.Value{Kind: v.Kind, Value: string(u)}] = struct{}{}
			}
		default:
			s.exact[dragnet.Value{Kind: v.Kind, Value: strings.ToLower(v.Value)}] = struct{}{}
		}
	}
	return s
}

// Len returns the number of values in the set.
func (s *Suppression) Len() int {
	if s == nil {
		return 0
	}
	return len(s.exact) + len(s.domains) + s.nets.Size()
}

// Suppressed reports whether v is warninglisted. A nil set suppresses
// nothing.
func (s *Suppression) Suppressed(v dragnet.Value) bool {
	if s == nil {
		return false
	}
	switch v.Kind {
	case dragnet.ValueIPv4, dragnet.ValueIPv6:
		a, err := netip.ParseAddr(v.Value)
		return err == nil && s.nets.Lookup(a.Unmap())
	case dragnet.ValueCIDR:
		p, err := netip.ParsePrefix(v.Value)
		if err != nil {
			return false
		}
		_, ok := s.nets.LookupPrefixLPM(p.Masked())
		return ok
	case dragnet.ValueDomain:
		d, ok := domainKey(v.Value)
		for ok {
			if _, hit := s.domains[d]; hit {
				return true
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				return false
			}
			d = d[i+1:]
		}
		return false
	case dragnet.ValueURL:
		u, ok := urlCanon(nil, v.Value)
		if !ok {
			return false
		}
		_, hit := s.exact[dragnet.Value{Kind: v.Kind, Value: string(u)}]
		return hit
	}
	_, hit := s.exact[dragnet.Value{Kind: v.Kind, Value: strings.ToLower(v.Value)}]
	return hit
}
