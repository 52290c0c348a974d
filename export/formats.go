package export

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"hash/fnv"
	"io"
	"net/url"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
)

// writeBundle writes a STIX 2.1 bundle of the objects, each exactly as
// stored.
func writeBundle(w io.Writer, objs []*object, st *Stats) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, `{"type":"bundle","id":"bundle--%s","objects":[`, feed.UUID5(feed.Namespace, fmt.Sprintf("export %d", len(objs))+firstID(objs)))
	for i, o := range objs {
		if i > 0 {
			bw.WriteByte(',')
		}
		bw.WriteString("\n")
		bw.Write(o.Raw)
		st.Objects++
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

func firstID(objs []*object) string {
	if len(objs) == 0 {
		return ""
	}
	return objs[0].ID + objs[len(objs)-1].ID
}

// writeCSV writes value,type,tlp,first_seen,name,labels,indicator_id with
// a header line (RFC 4180 quoting).
func writeCSV(w io.Writer, vals []*value, st *Stats) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"value", "type", "tlp", "first_seen", "name", "labels", "indicator_id"})
	for _, v := range vals {
		cw.Write([]string{v.Value.Value, string(v.Kind), v.TLP.Label(), v.ValidFrom, v.Name, strings.Join(v.Labels, ","), v.Indicator})
		st.Objects++
	}
	cw.Flush()
	return cw.Error()
}

// writePlain writes one value per line.
func writePlain(w io.Writer, vals []*value, st *Stats) error {
	bw := bufio.NewWriter(w)
	for _, v := range vals {
		bw.WriteString(v.Value.Value)
		bw.WriteByte('\n')
		st.Objects++
	}
	return bw.Flush()
}

// zeekType maps value kinds to Intel framework types (Zeek
// base/frameworks/intel/main.zeek, Intel::Type).
func zeekType(k dragnet.ValueKind) string {
	switch k {
	case dragnet.ValueIPv4, dragnet.ValueIPv6:
		return "Intel::ADDR"
	case dragnet.ValueCIDR:
		return "Intel::SUBNET"
	case dragnet.ValueDomain:
		return "Intel::DOMAIN"
	case dragnet.ValueURL:
		return "Intel::URL"
	case dragnet.ValueEmail:
		return "Intel::EMAIL"
	case dragnet.ValueMD5, dragnet.ValueSHA1, dragnet.ValueSHA256, dragnet.ValueSHA512:
		return "Intel::FILE_HASH"
	}
	return ""
}

// zeekField makes a value safe for a tab-separated Intel file: no tabs or
// line breaks, and "-" for empty (Zeek's unset field).
func zeekField(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}

// writeZeek writes a Zeek Intel framework file: a #fields header, then one
// tab-separated line per value (indicator, indicator_type, meta.source,
// meta.desc, meta.url). URLs are written without their scheme, as Zeek's
// HTTP "seen" script reports them.
func writeZeek(w io.Writer, vals []*value, source string, st *Stats) error {
	bw := bufio.NewWriter(w)
	bw.WriteString("#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n")
	for _, v := range vals {
		ind := v.Value.Value
		if v.Kind == dragnet.ValueURL {
			ind = strings.TrimPrefix(strings.TrimPrefix(ind, "http://"), "https://")
			if strings.Contains(ind, "://") {
				st.Skipped++ // Zeek sees only HTTP URLs
				continue
			}
		}
		desc := v.Name
		if desc == v.Value.Value {
			desc = ""
		}
		if len(v.Labels) > 0 {
			desc = strings.TrimSpace(desc + " [" + strings.Join(v.Labels, ", ") + "]")
		}
		desc = strings.TrimSpace(desc + " " + v.TLP.Label() + " " + v.Indicator)
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\n", zeekField(ind), zeekType(v.Kind), zeekField(source), zeekField(desc), "-")
		st.Objects++
	}
	return bw.Flush()
}

// ruleContent escapes a string for a Suricata content match: the bytes
// the rule syntax reserves (" ; \ |) and anything not printable ASCII are
// written in |hex| form.
func ruleContent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' || c == ';' || c == '\\' || c == '|' || c < 0x20 || c > 0x7e {
			fmt.Fprintf(&b, "|%02X|", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ruleText makes a string safe inside msg:"..." (no quote, semicolon,
// backslash or control characters).
func ruleText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == ';' || r == '\\' || r < 0x20 || r == 0x7f {
			return '_'
		}
		return r
	}, s)
}

// sidBase and sidSpan place Dragnet's rule ids in a range of their own; a
// value's sid is a hash of it (so it stays the same between exports),
// moved on to the next free sid when two values collide in one file.
const (
	sidBase = 3_000_000_000
	sidSpan = 1_000_000_000
)

type sids map[uint32]bool

func (s sids) next(key string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(key))
	n := h.Sum32() % sidSpan
	for s[n] {
		n = (n + 1) % sidSpan
	}
	s[n] = true
	return sidBase + n
}

// writeSuricata writes Suricata rules: IP addresses and prefixes as ip
// rules in both directions; domains as dns.query, tls.sni and http.host
// matches of the domain and its sub-domains (dotprefix; endswith); URLs as
// http.host plus http.uri exact matches. Hashes and e-mail addresses have
// no rule form of their own (Suricata matches file hashes from list files:
// export them with --format plain --type md5 for filemd5); they are counted
// as skipped and named in the header.
func writeSuricata(w io.Writer, vals []*value, source string, st *Stats) error {
	bw := bufio.NewWriter(w)
	skipped := 0
	for _, v := range vals {
		switch v.Kind {
		case dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR, dragnet.ValueDomain, dragnet.ValueURL:
		default:
			skipped++
		}
	}
	fmt.Fprintf(bw, "# Dragnet indicators for Suricata (%s). %d values without a rule form (hashes, e-mail addresses) left out.\n", ruleText(source), skipped)
	used := sids{}
	meta := func(v *value) string {
		return fmt.Sprintf("classtype:trojan-activity; sid:%%d; rev:1; metadata:dragnet_indicator %s, tlp %s;", v.Indicator, strings.ToLower(strings.ReplaceAll(v.TLP.String(), "+", "_")))
	}
	for _, v := range vals {
		src := ruleText(source)
		switch v.Kind {
		case dragnet.ValueIPv4, dragnet.ValueIPv6, dragnet.ValueCIDR:
			fmt.Fprintf(bw, "alert ip $HOME_NET any <> %s any (msg:\"%s IP %s\"; "+meta(v)+")\n", v.Value.Value, src, v.Value.Value, used.next("ip "+v.Value.Value))
		case dragnet.ValueDomain:
			d := ruleContent("." + v.Value.Value)
			fmt.Fprintf(bw, "alert dns $HOME_NET any -> any any (msg:\"%s DNS query for %s\"; dns.query; dotprefix; content:\"%s\"; nocase; endswith; "+meta(v)+")\n",
				src, ruleText(v.Value.Value), d, used.next("dns "+v.Value.Value))
			fmt.Fprintf(bw, "alert tls $HOME_NET any -> any any (msg:\"%s TLS SNI %s\"; tls.sni; dotprefix; content:\"%s\"; nocase; endswith; "+meta(v)+")\n",
				src, ruleText(v.Value.Value), d, used.next("tls "+v.Value.Value))
			fmt.Fprintf(bw, "alert http $HOME_NET any -> any any (msg:\"%s HTTP host %s\"; http.host; dotprefix; content:\"%s\"; endswith; "+meta(v)+")\n",
				src, ruleText(v.Value.Value), d, used.next("http "+v.Value.Value))
		case dragnet.ValueURL:
			u, err := url.Parse(v.Value.Value)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				st.Skipped++
				continue
			}
			if u.Scheme == "https" {
				// The path of an HTTPS URL is encrypted; the host is in the SNI.
				fmt.Fprintf(bw, "alert tls $HOME_NET any -> any any (msg:\"%s TLS SNI of URL %s\"; tls.sni; content:\"%s\"; nocase; bsize:%d; "+meta(v)+")\n",
					src, ruleText(v.Value.Value), ruleContent(u.Hostname()), len(u.Hostname()), used.next("url "+v.Value.Value))
				st.Objects++
				continue
			}
			uri := u.RequestURI()
			fmt.Fprintf(bw, "alert http $HOME_NET any -> any any (msg:\"%s URL %s\"; flow:established,to_server; http.host; content:\"%s\"; bsize:%d; http.uri; content:\"%s\"; bsize:%d; "+meta(v)+")\n",
				src, ruleText(v.Value.Value), ruleContent(u.Hostname()), len(u.Hostname()), ruleContent(uri), len(uri), used.next("url "+v.Value.Value))
		default:
			st.Skipped++
			continue
		}
		st.Objects++
	}
	return bw.Flush()
}
