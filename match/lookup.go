package match

import (
	"hash/maphash"
	"net/netip"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// Hit is one indicator a looked-up value matched, as the caller may see it.
type Hit struct {
	Audience   int64
	TLP        dragnet.TLP
	Confidence int

	ix *Index
	r  *rec
	mk dragnet.ValueKind
	ms string       // the matched value, when it is a string already
	mp netip.Prefix // or the matched address or prefix, formatted on demand
}

// Matched returns the indicator's value that was hit: the value looked up
// for an exact match, the parent domain for a subdomain, the prefix for an
// address inside a CIDR indicator.
func (h *Hit) Matched() dragnet.Value {
	switch {
	case h.ms != "" || !h.mp.IsValid():
		return dragnet.Value{Kind: h.mk, Value: h.ms}
	case h.mk == dragnet.ValueCIDR:
		return dragnet.Value{Kind: h.mk, Value: h.mp.String()}
	}
	return dragnet.Value{Kind: h.mk, Value: h.mp.Addr().String()}
}

// matched is what a hit reports as its matched value.
type matched struct {
	kind dragnet.ValueKind
	s    string
	p    netip.Prefix
}

func strMatch(k dragnet.ValueKind, s string) matched { return matched{kind: k, s: s} }

// IndicatorID returns the id of the indicator hit.
func (h *Hit) IndicatorID() string { return h.ix.id(h.r) }

// Lookup returns the indicators v matches that access may see (nil when
// none). v is parsed as its kind says; a value that is not one matches
// nothing. See AppendLookup for a form that reuses a slice.
func (ix *Index) Lookup(v dragnet.Value, access *dragnet.Access) []Hit {
	return ix.AppendLookup(nil, v, access)
}

// AppendLookup appends to dst the hits of v visible to access and returns
// the extended slice. Addresses match exact address indicators and every
// CIDR indicator containing them; domains match their own indicators and
// those of every parent domain (a subdomain of an indicated domain is
// indicated too); URLs, e-mail addresses and hashes match exactly after
// normalisation. Warninglisted values never hit.
func (ix *Index) AppendLookup(dst []Hit, v dragnet.Value, access *dragnet.Access) []Hit {
	switch v.Kind {
	case dragnet.ValueIPv4, dragnet.ValueIPv6:
		a, err := netip.ParseAddr(v.Value)
		if err != nil {
			return dst
		}
		return ix.AppendAddr(dst, a, access)
	case dragnet.ValueCIDR:
		p, err := netip.ParsePrefix(v.Value)
		if err != nil {
			return dst
		}
		p = p.Masked()
		n := len(dst)
		if p.Addr().Is4() {
			dst = ix.appendCIDR4(dst, ip4Key(p.Addr()), p.Bits(), &policy{acc: access})
		} else if ix.cidr != nil {
			for pfx, start := range ix.cidr.Supernets(p) {
				dst = ix.appendArena(dst, start, &policy{acc: access}, matched{kind: dragnet.ValueCIDR, p: pfx})
			}
		}
		return ix.filterSuppressed(dst, n, v)
	case dragnet.ValueDomain:
		return ix.AppendDomain(dst, v.Value, access)
	case dragnet.ValueURL:
		return ix.AppendURL(dst, v.Value, access)
	case dragnet.ValueEmail:
		return ix.AppendEmail(dst, v.Value, access)
	case dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512:
		return ix.AppendHash(dst, v.Kind, v.Value, access)
	}
	return dst
}

// AppendAddr appends the hits of one IP address: exact IPv4 or IPv6
// indicators and every CIDR indicator that contains it.
func (ix *Index) AppendAddr(dst []Hit, a netip.Addr, access *dragnet.Access) []Hit {
	a = a.Unmap()
	var ref *rec
	inCIDR := false
	if a.Is4() {
		k := ip4Key(a)
		hb, hk := ip4Hashes(k)
		exact, block := ix.ip4Probe(hb, hk)
		if block && ix.cidr24 != nil {
			b := k >> 8
			inCIDR = ix.cidr24[b>>6]&(1<<(b&63)) != 0
		}
		inCIDR = inCIDR || ix.inShort(k)
		if exact {
			ref = ix.ipv4.get(k, hk)
		}
	} else if a.Is6() {
		a = a.WithZone("")
		k := ip6Key(a)
		ref = ix.ipv6.get(k, hash128(k))
		inCIDR = ix.cidr6
	} else {
		return dst
	}
	if ref == nil && !inCIDR {
		return dst
	}
	return ix.appendAddrHits(dst, a, ref, inCIDR, &policy{acc: access})
}

// appendAddrHits appends the hits of address a (unmapped, without zone)
// whose exact slot record is ref (nil: none) and which may lie in a CIDR
// indicator if inCIDR.
func (ix *Index) appendAddrHits(dst []Hit, a netip.Addr, ref *rec, inCIDR bool, pol *policy) []Hit {
	n := len(dst)
	kind := dragnet.ValueIPv4
	if a.Is6() {
		kind = dragnet.ValueIPv6
	}
	host := netip.PrefixFrom(a, a.BitLen())
	if ref != nil {
		dst = ix.appendRecs(dst, ref, pol, matched{kind: kind, p: host})
	}
	if inCIDR && a.Is4() {
		dst = ix.appendCIDR4(dst, ip4Key(a), 32, pol)
	}
	// bart's longest-prefix lookup is much cheaper than enumerating
	// supernets; most addresses let through are in no prefix.
	if inCIDR && a.Is6() && ix.cidr != nil && ix.cidr.Contains(a) {
		for pfx, start := range ix.cidr.Supernets(host) {
			dst = ix.appendArena(dst, start, pol, matched{kind: dragnet.ValueCIDR, p: pfx})
		}
	}
	if len(dst) > n && ix.suppress != nil {
		dst = ix.filterSuppressed(dst, n, dragnet.Value{Kind: kind, Value: a.String()})
	}
	return dst
}

// ip4Probe reads the IPv4 filter line of the address with hashes hb, hk
// (ip4Hashes) and reports whether it may be an exact indicator and
// whether a CIDR indicator may cover or touch its /24. Without a filter
// both may be.
func (ix *Index) ip4Probe(hb, hk uint64) (exact, block bool) {
	if len(ix.ip4f.words) == 0 {
		return len(ix.ipv4.slots) > 0, true
	}
	return ix.ip4f.has2(hb, hk)
}

// AppendDomain appends the hits of a DNS name and of each of its parent
// domains (down to two labels). The name is lower-cased and a trailing dot
// dropped without allocating; a lookup that misses allocates nothing.
func (ix *Index) AppendDomain(dst []Hit, name string, access *dragnet.Access) []Hit {
	if len(ix.domain.slots) == 0 {
		return dst
	}
	name = strings.TrimSuffix(name, ".")
	if len(name) == 0 || len(name) > 253 {
		return dst
	}
	var buf [253]byte
	var b []byte
	for i := 0; i < len(name); i++ {
		if c := name[i]; c >= 'A' && c <= 'Z' {
			b = buf[:len(name)]
			copy(b, name)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			break
		}
	}
	n := len(dst)
	// Walk the suffixes that start a label, longest first, stopping
	// before the last label (a top-level domain is never an indicator).
	start := 0
	for {
		dot := strings.IndexByte(name[start:], '.')
		if dot < 0 {
			break
		}
		var h uint64
		if b != nil {
			h = maphash.Bytes(ix.seed, b[start:])
		} else {
			h = maphash.String(ix.seed, name[start:])
		}
		if ref := ix.domain.get(h, h); ref != nil {
			s := name[start:]
			if b != nil {
				s = string(b[start:])
			}
			dst = ix.appendRecs(dst, ref, &policy{acc: access}, strMatch(dragnet.ValueDomain, s))
		}
		start += dot + 1
	}
	if len(dst) > n && ix.suppress != nil {
		q := name
		if b != nil {
			q = string(b)
		}
		dst = ix.filterSuppressed(dst, n, dragnet.Value{Kind: dragnet.ValueDomain, Value: q})
	}
	return dst
}

// AppendURL appends the hits of a URL, compared after urlCanon.
func (ix *Index) AppendURL(dst []Hit, u string, access *dragnet.Access) []Hit {
	if len(ix.url.slots) == 0 {
		return dst
	}
	var buf [512]byte
	c, ok := urlCanon(buf[:0], u)
	if !ok {
		return dst
	}
	h := maphash.Bytes(ix.seed, c)
	ref := ix.url.get(h, h)
	if ref == nil {
		return dst
	}
	n := len(dst)
	v := dragnet.Value{Kind: dragnet.ValueURL, Value: string(c)}
	dst = ix.appendRecs(dst, ref, &policy{acc: access}, strMatch(v.Kind, v.Value))
	return ix.filterSuppressed(dst, n, v)
}

// AppendEmail appends the hits of an e-mail address (case-insensitive).
func (ix *Index) AppendEmail(dst []Hit, addr string, access *dragnet.Access) []Hit {
	if len(ix.email.slots) == 0 {
		return dst
	}
	addr = strings.TrimSpace(addr)
	var buf [320]byte
	if len(addr) > len(buf) {
		return dst
	}
	b := buf[:len(addr)]
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	h := maphash.Bytes(ix.seed, b)
	ref := ix.email.get(h, h)
	if ref == nil {
		return dst
	}
	n := len(dst)
	v := dragnet.Value{Kind: dragnet.ValueEmail, Value: string(b)}
	dst = ix.appendRecs(dst, ref, &policy{acc: access}, strMatch(v.Kind, v.Value))
	return ix.filterSuppressed(dst, n, v)
}

// AppendHash appends the hits of a file hash of the given kind written in
// hex (either case).
func (ix *Index) AppendHash(dst []Hit, kind dragnet.ValueKind, hexd string, access *dragnet.Access) []Hit {
	var key [64]byte
	n := kind.HashBytes()
	if n == 0 {
		return dst
	}
	ok, lower := decodeHexLower(key[:n], hexd)
	if !ok {
		return dst
	}
	return ix.appendHashKey(dst, kind, &key, hexd, lower, access)
}

// appendHashKey looks up a decoded hash (the first bytes of key, as many
// as kind has); hexd is its text, reported as the matched value (lowered
// unless lower says it is in lower case already).
func (ix *Index) appendHashKey(dst []Hit, kind dragnet.ValueKind, key *[64]byte, hexd string, lower bool, access *dragnet.Access) []Hit {
	var ref *rec
	switch kind {
	case dragnet.ValueMD5:
		ref = ix.md5.get([16]byte(key[:16]), hashDigest(key[:16]))
	case dragnet.ValueSHA1:
		ref = ix.sha1.get([20]byte(key[:20]), hashDigest(key[:20]))
	case dragnet.ValueSHA256:
		ref = ix.sha256.get([32]byte(key[:32]), hashDigest(key[:32]))
	case dragnet.ValueSHA512:
		ref = ix.sha512.get(*key, hashDigest(key[:]))
	}
	if ref == nil {
		return dst
	}
	n := len(dst)
	v := dragnet.Value{Kind: kind, Value: hexd}
	if !lower {
		v.Value = strings.ToLower(hexd) // a hit reports the value in lower case
	}
	dst = ix.appendRecs(dst, ref, &policy{acc: access}, strMatch(v.Kind, v.Value))
	return ix.filterSuppressed(dst, n, v)
}

// appendRecs appends the hits of a value whose slot record is r: r itself,
// or the records it points to.
func (ix *Index) appendRecs(dst []Hit, r *rec, pol *policy, m matched) []Hit {
	if r.flags&recOverflow != 0 {
		return ix.appendArena(dst, r.aud, pol, m)
	}
	return ix.appendRec(dst, r, ix.now.Load(), pol, m)
}

// appendArena appends the hits of the records of one value in the record
// arena, from start to the one marked last.
func (ix *Index) appendArena(dst []Hit, start uint32, pol *policy, m matched) []Hit {
	now := ix.now.Load()
	for i := int(start); i < len(ix.recs); i++ {
		r := &ix.recs[i]
		dst = ix.appendRec(dst, r, now, pol, m)
		if r.flags&recLast != 0 {
			break
		}
	}
	return dst
}

// appendRec appends r if it is valid now and visible to access
// (rec.visible).
func (ix *Index) appendRec(dst []Hit, r *rec, now int64, pol *policy, m matched) []Hit {
	if !r.visible(now, pol) {
		return dst
	}
	return append(dst, Hit{
		Audience:   int64(r.aud),
		TLP:        dragnet.TLP(r.tlp),
		Confidence: int(r.conf),
		ix:         ix,
		r:          r,
		mk:         m.kind,
		ms:         m.s,
		mp:         m.p,
	})
}

// visible reports whether r is valid now and visible to pol: the one
// place hits meet the policy.
func (r *rec) visible(now int64, pol *policy) bool {
	return pol.canSee(r.aud) && (r.from == 0 || int64(r.from) <= now) && (r.until == 0 || int64(r.until) > now)
}

// filterSuppressed drops dst[n:] when the looked-up value or the value an
// indicator matched on is warninglisted.
func (ix *Index) filterSuppressed(dst []Hit, n int, q dragnet.Value) []Hit {
	if ix.suppress == nil || len(dst) == n {
		return dst
	}
	if ix.suppress.Suppressed(q) {
		return dst[:n]
	}
	out := dst[:n]
	for _, h := range dst[n:] {
		if !ix.suppress.Suppressed(h.Matched()) {
			out = append(out, h)
		}
	}
	return out
}

// domainKey lower-cases d and drops a trailing dot; ok is false for
// something that cannot be a domain name.
func domainKey(d string) (string, bool) {
	d = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(d)), ".")
	if len(d) == 0 || len(d) > 253 || strings.IndexByte(d, '.') <= 0 || strings.ContainsAny(d, " /:@") {
		return "", false
	}
	return d, true
}

// urlCanon appends to dst the form URLs are compared in: scheme and host
// lower-cased, the default port of http and https dropped, an empty path
// written "/", the fragment dropped; the rest kept byte for byte. Index
// and lookups both apply it, so a value normalised by
// dragnet.NormalizeValue and the same URL seen raw in telemetry meet.
func urlCanon(dst []byte, s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	i := strings.Index(s, "://")
	if i <= 0 || i > 16 {
		return dst, false
	}
	for j := 0; j < i; j++ {
		c := s[j]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return dst, false
		}
	}
	if f := strings.IndexByte(s, '#'); f >= 0 {
		s = strings.TrimSpace(s[:f])
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?")
	if end < 0 {
		end = len(rest)
	}
	auth, tail := rest[:end], rest[end:]
	if auth == "" {
		return dst, false
	}
	scheme := len(dst)
	dst = appendLower(dst, s[:i])
	dst = append(dst, "://"...)
	if at := strings.LastIndexByte(auth, '@'); at >= 0 {
		dst = append(dst, auth[:at+1]...)
		auth = auth[at+1:]
	}
	host, port := auth, ""
	if c := strings.LastIndexByte(auth, ':'); c >= 0 && !strings.Contains(auth[c:], "]") {
		host, port = auth[:c], auth[c+1:]
	}
	// A colon left in the host is no host: IPv6 literals come in brackets,
	// whole.
	bracketed := host != "" && host[0] == '['
	if host == "" || (!bracketed && strings.IndexByte(host, ':') >= 0) ||
		(bracketed && (len(host) < 3 || host[len(host)-1] != ']' || strings.IndexByte(host[1:], '[') >= 0)) {
		return dst[:scheme], false
	}
	if port != "" {
		sc := dst[scheme : scheme+i]
		if (string(sc) == "http" && port == "80") || (string(sc) == "https" && port == "443") {
			port = ""
		}
	}
	dst = appendLower(dst, host)
	if port != "" {
		dst = append(dst, ':')
		dst = append(dst, port...)
	}
	if tail == "" || tail[0] == '?' {
		dst = append(dst, '/')
	}
	return append(dst, tail...), true
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
