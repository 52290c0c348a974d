package misp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
)

// obs is what one attribute contributes to a pattern and an observation.
type obs struct {
	cmps   []string         // comparison expressions ("ipv4-addr:value = '1.2.3.4'")
	scos   []map[string]any // SCOs that are more than one value
	vsco   []dragnet.Value  // values whose SCO is feed.SCO(v), made only when needed
	values []dragnet.Value  // for the value index
}

// allSCOs returns the SCOs of the observation (built now: indicators
// never need them).
func (o *obs) allSCOs() []map[string]any {
	out := make([]map[string]any, 0, len(o.scos)+len(o.vsco))
	out = append(out, o.scos...)
	for _, v := range o.vsco {
		out = append(out, feed.SCO(v))
	}
	return out
}

// errContext marks attribute types that are not observables (text,
// comment, link, ...).
var errContext = errors.New("not an observable")

// hashTypes maps MISP hash attribute types to STIX hash algorithm names
// and, where the value index knows them, value kinds.
var hashTypes = map[string]struct {
	name string
	kind dragnet.ValueKind
}{
	"md5": {"MD5", dragnet.ValueMD5}, "sha1": {"SHA-1", dragnet.ValueSHA1}, "sha224": {"SHA-224", ""},
	"sha256": {"SHA-256", dragnet.ValueSHA256}, "sha384": {"SHA-384", ""}, "sha512": {"SHA-512", dragnet.ValueSHA512},
	"sha3-256": {"SHA3-256", ""}, "sha3-512": {"SHA3-512", ""}, "ssdeep": {"SSDEEP", ""}, "tlsh": {"TLSH", ""},
}

// observe maps one MISP attribute (type and value) to comparisons, SCOs and
// values. It returns errContext for types that are not observables and
// another error for a value that is not of its type.
func observe(typ, value string) (obs, error) {
	var o obs
	value = strings.TrimSpace(value)
	if value == "" {
		return o, errors.New("empty value")
	}
	switch typ {
	case "ip-src", "ip-dst":
		return o, o.ip(value)
	case "ip-src|port", "ip-dst|port":
		ip, _, ok := cut2(value)
		if !ok {
			return o, fmt.Errorf("%q is not ip|port", value)
		}
		return o, o.ip(ip)
	case "domain", "hostname":
		return o, o.simple(dragnet.ValueDomain, value)
	case "domain|ip", "hostname|port":
		d, rest, ok := cut2(value)
		if !ok {
			return o, fmt.Errorf("%q is not %s", value, strings.ReplaceAll(typ, "|", " | "))
		}
		if err := o.simple(dragnet.ValueDomain, d); err != nil {
			return o, err
		}
		if typ == "domain|ip" {
			return o, o.ip(rest)
		}
		return o, nil
	case "url", "uri":
		if !strings.Contains(value, "://") {
			if typ == "uri" {
				return o, errContext
			}
			// MISP accepts URLs without a scheme ("host/path"); read them
			// as http, as browsers and MISP's own correlation do.
			value = "http://" + value
		}
		return o, o.simple(dragnet.ValueURL, value)
	case "email", "email-src", "email-dst", "target-email", "whois-registrant-email", "email-reply-to", "dns-soa-email":
		return o, o.simple(dragnet.ValueEmail, value)
	case "filename":
		o.add("file:name = "+feed.Quote(value), map[string]any{"type": "file", "name": value}, nil)
		return o, nil
	case "mutex":
		o.add("mutex:name = "+feed.Quote(value), map[string]any{"type": "mutex", "name": value}, nil)
		return o, nil
	case "regkey":
		value = fullHive(value)
		o.add("windows-registry-key:key = "+feed.Quote(value), map[string]any{"type": "windows-registry-key", "key": value}, nil)
		return o, nil
	case "regkey|value":
		k, v, ok := cut2(value)
		if !ok {
			return o, fmt.Errorf("%q is not regkey|value", value)
		}
		k = fullHive(k)
		o.cmps = append(o.cmps, "windows-registry-key:key = "+feed.Quote(k), "windows-registry-key:values[*].data = "+feed.Quote(v))
		o.scos = append(o.scos, map[string]any{"type": "windows-registry-key", "key": k, "values": []map[string]any{{"data": v}}})
		return o, nil
	case "mac-address":
		o.add("mac-addr:value = "+feed.Quote(strings.ToLower(value)), map[string]any{"type": "mac-addr", "value": strings.ToLower(value)}, nil)
		return o, nil
	case "AS":
		n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(value), "AS"), 10, 32)
		if err != nil {
			return o, fmt.Errorf("%q is not an AS number", value)
		}
		o.add("autonomous-system:number = "+strconv.FormatUint(n, 10), map[string]any{"type": "autonomous-system", "number": n}, nil)
		return o, nil
	case "user-agent":
		o.cmps = append(o.cmps, "network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = "+feed.Quote(value))
		return o, nil
	case "x509-fingerprint-sha1", "x509-fingerprint-sha256", "x509-fingerprint-md5":
		alg := map[string]string{"x509-fingerprint-sha1": "SHA-1", "x509-fingerprint-sha256": "SHA-256", "x509-fingerprint-md5": "MD5"}[typ]
		h := strings.ToLower(value)
		o.add("x509-certificate:hashes."+quoteKey(alg)+" = "+feed.Quote(h), map[string]any{"type": "x509-certificate", "hashes": map[string]any{alg: h}}, nil)
		return o, nil
	}
	if h, ok := hashTypes[typ]; ok {
		return o, o.hash(h.name, h.kind, value)
	}
	if strings.HasPrefix(typ, "filename|") {
		h, ok := hashTypes[strings.TrimPrefix(typ, "filename|")]
		name, hv, ok2 := cut2(value)
		if !ok || !ok2 {
			return o, fmt.Errorf("%q is not filename|hash", value)
		}
		if err := o.hash(h.name, h.kind, hv); err != nil {
			return o, err
		}
		o.cmps = append([]string{"file:name = " + feed.Quote(name)}, o.cmps...)
		sco := map[string]any{"type": "file", "name": name}
		if len(o.vsco) > 0 {
			sco["hashes"] = map[string]any{o.vsco[0].Kind.HashAlgorithm(): o.vsco[0].Value}
			o.vsco = nil
		} else if len(o.scos) > 0 {
			sco["hashes"] = o.scos[0]["hashes"]
		}
		o.scos = []map[string]any{sco}
		return o, nil
	}
	return o, errContext
}

func cut2(s string) (string, string, bool) {
	a, b, ok := strings.Cut(s, "|")
	return strings.TrimSpace(a), strings.TrimSpace(b), ok && a != "" && b != ""
}

func quoteKey(k string) string {
	if strings.ContainsAny(k, "-.") {
		return "'" + k + "'"
	}
	return k
}

func (o *obs) add(cmp string, sco map[string]any, v *dragnet.Value) {
	o.cmps = append(o.cmps, cmp)
	if sco != nil {
		o.scos = append(o.scos, sco)
	}
	if v != nil {
		o.values = append(o.values, *v)
	}
}

func (o *obs) ip(s string) error {
	v, err := feed.Normalize(dragnet.ValueIPv4, s)
	if err != nil {
		return errors.New(dragnet.ErrorMessage(err))
	}
	o.addValue(v)
	return nil
}

// addValue adds a single-value comparison, its lazily built SCO and the
// value.
func (o *obs) addValue(v dragnet.Value) {
	o.cmps = append(o.cmps, feed.Comparison(v))
	o.vsco = append(o.vsco, v)
	o.values = append(o.values, v)
}

func (o *obs) simple(k dragnet.ValueKind, s string) error {
	v, err := feed.Normalize(k, s)
	if err != nil {
		return errors.New(dragnet.ErrorMessage(err))
	}
	o.addValue(v)
	return nil
}

func (o *obs) hash(alg string, k dragnet.ValueKind, s string) error {
	if k != "" {
		v, err := dragnet.NormalizeValue(k, s)
		if err != nil {
			return errors.New(dragnet.ErrorMessage(err))
		}
		o.addValue(v)
		return nil
	}
	o.add("file:hashes."+quoteKey(alg)+" = "+feed.Quote(s), map[string]any{"type": "file", "hashes": map[string]any{alg: s}}, nil)
	return nil
}

// pattern joins comparisons into a STIX pattern: comparisons on the same
// object type share one observation expression ([a AND b]); observation
// expressions on different types are joined with AND.
func pattern(cmps []string) string {
	var order []string
	groups := map[string][]string{}
	for _, c := range cmps {
		root := c[:strings.IndexByte(c, ':')]
		if _, ok := groups[root]; !ok {
			order = append(order, root)
		}
		groups[root] = append(groups[root], c)
	}
	var b strings.Builder
	for i, root := range order {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString("[" + strings.Join(groups[root], " AND ") + "]")
	}
	return b.String()
}

// finishSCO gives an SCO built here its spec_version and deterministic id.
func finishSCO(sco map[string]any) map[string]any {
	if _, ok := sco["id"]; ok {
		return sco
	}
	sco["spec_version"] = "2.1"
	sco["id"] = feed.SCOID(sco["type"].(string), sco)
	return sco
}

// hives maps the abbreviated registry hive names MISP values use to the
// full names STIX 2.1 requires (section 6.17: key MUST NOT abbreviate).
var hives = map[string]string{
	"hklm": "HKEY_LOCAL_MACHINE", "hkcu": "HKEY_CURRENT_USER", "hkcr": "HKEY_CLASSES_ROOT",
	"hku": "HKEY_USERS", "hkcc": "HKEY_CURRENT_CONFIG",
}

func fullHive(key string) string {
	h, rest, _ := strings.Cut(key, `\`)
	if full, ok := hives[strings.ToLower(h)]; ok {
		if rest == "" {
			return full
		}
		return full + `\` + rest
	}
	return key
}
