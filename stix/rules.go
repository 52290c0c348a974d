package stix

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// typeRules are the co-occurrence and value rules of single object types
// that a property table cannot say.
var typeRules = map[string]func(*checker){
	"campaign":       seenOrder,
	"infrastructure": seenOrder,
	"intrusion-set":  seenOrder,
	"threat-actor":   seenOrder,
	"indicator": func(c *checker) {
		// 4.7: valid_until MUST be greater than valid_from.
		c.checkOrder("", c.obj, "valid_from", "valid_until", true)
	},
	"location": func(c *checker) {
		// 4.10: at least one of region, country, or latitude and longitude;
		// latitude and longitude together; precision only with both.
		_, lat := c.obj["latitude"]
		_, lon := c.obj["longitude"]
		_, region := c.obj["region"]
		_, country := c.obj["country"]
		if lat != lon {
			c.add("", RuleConstraint, "latitude and longitude must be given together")
		}
		if _, ok := c.obj["precision"]; ok && !(lat && lon) {
			c.add("precision", RuleConstraint, "precision requires latitude and longitude")
		}
		if !region && !country && !(lat && lon) {
			c.add("", RuleConstraint, "a location needs region, country, or latitude and longitude")
		}
	},
	"malware": func(c *checker) {
		seenOrder(c)
		// 4.11: a malware family MUST have a name.
		if fam, _ := c.obj["is_family"].(bool); fam {
			if _, ok := c.obj["name"]; !ok {
				c.add("name", RuleRequired, "required property missing (is_family is true)")
			}
		}
	},
	"malware-analysis": func(c *checker) {
		// 4.12: one of result or analysis_sco_refs MUST be present.
		_, r := c.obj["result"]
		_, refs := c.obj["analysis_sco_refs"]
		if !r && !refs {
			c.add("", RuleConstraint, "one of result or analysis_sco_refs must be present")
		}
	},
	"relationship": func(c *checker) {
		// 5.1: relationship_type in a–z, 0–9 and hyphen; stop_time after start_time.
		if s, ok := c.obj["relationship_type"].(string); ok && !lowerHyphen(s) {
			c.add("relationship_type", RuleValue, "%q must contain only a–z, 0–9 and hyphens", s)
		}
		c.checkOrder("", c.obj, "start_time", "stop_time", true)
	},
	"sighting": func(c *checker) {
		seenOrder(c)
	},
	"artifact": func(c *checker) {
		// 6.1: payload_bin or url, not both; hashes with url;
		// decryption_key only with encryption_algorithm.
		_, bin := c.obj["payload_bin"]
		_, u := c.obj["url"]
		_, h := c.obj["hashes"]
		switch {
		case bin && u:
			c.add("url", RuleConstraint, "url must not be present together with payload_bin")
		case !bin && !u:
			c.add("", RuleConstraint, "one of payload_bin or url must be present")
		case u && !h:
			c.add("hashes", RuleRequired, "required property missing (url is present)")
		}
		_, key := c.obj["decryption_key"]
		_, alg := c.obj["encryption_algorithm"]
		if key && !alg {
			c.add("decryption_key", RuleConstraint, "decryption_key requires encryption_algorithm")
		}
	},
	"email-message": func(c *checker) {
		// 6.6: body only when not multipart, body_multipart only when multipart.
		mp, ok := c.obj["is_multipart"].(bool)
		if !ok {
			return
		}
		if _, ok := c.obj["body"]; ok && mp {
			c.add("body", RuleConstraint, "body must not be present when is_multipart is true")
		}
		if _, ok := c.obj["body_multipart"]; ok && !mp {
			c.add("body_multipart", RuleConstraint, "body_multipart must not be present when is_multipart is false")
		}
	},
	"file": func(c *checker) {
		// 6.7: one of hashes or name MUST be present; name_enc a
		// character set name.
		_, h := c.obj["hashes"]
		_, n := c.obj["name"]
		if !h && !n {
			c.add("", RuleConstraint, "one of hashes or name must be present")
		}
		c.checkCharset("name_enc")
	},
	"directory": func(c *checker) {
		// 6.3: path_enc a character set name.
		c.checkCharset("path_enc")
	},
	"domain-name": func(c *checker) {
		// 6.4: a domain name (RFC 1034, RFC 5890).
		if s, ok := c.obj["value"].(string); ok && !validDomainName(s) {
			c.add("value", RuleValue, "%q is not a domain name", s)
		}
	},
	"email-addr": func(c *checker) {
		// 6.5: value is one RFC 5322 addr-spec, without a display name.
		if s, ok := c.obj["value"].(string); ok && emailFormat().Validate(s) != nil {
			c.add("value", RuleValue, "%q is not an e-mail address (an RFC 5322 addr-spec)", s)
		}
	},
	"ipv4-addr": func(c *checker) { c.checkAddress(false) },
	"ipv6-addr": func(c *checker) { c.checkAddress(true) },
	"mac-addr": func(c *checker) {
		// 6.10: colon-delimited, lower-case MAC-48.
		if s, ok := c.obj["value"].(string); ok && !validMAC(s) {
			c.add("value", RuleValue, "%q is not a lower-case, colon-delimited MAC-48 address", s)
		}
	},
	"network-traffic": func(c *checker) {
		// 6.12: src_ref or dst_ref; no end while active; end ≥ start.
		_, src := c.obj["src_ref"]
		_, dst := c.obj["dst_ref"]
		if !src && !dst {
			c.add("", RuleConstraint, "one of src_ref or dst_ref must be present")
		}
		if active, _ := c.obj["is_active"].(bool); active {
			if _, ok := c.obj["end"]; ok {
				c.add("end", RuleConstraint, "end must not be present when is_active is true")
			}
		}
		c.checkOrder("", c.obj, "start", "end", false)
		// ipfix values are strings or integers.
		if m, ok := c.obj["ipfix"].(map[string]any); ok {
			for k, v := range m {
				switch v := v.(type) {
				case string:
					continue
				case json.Number:
					if _, err := strconv.ParseInt(string(v), 10, 64); err == nil {
						continue
					}
				}
				c.add(joinPath("ipfix", k), RuleValueType, "an IPFIX value must be a string or an integer, not %s", describe(v))
			}
		}
	},
	"process":              atLeastOneProperty,
	"user-account":         atLeastOneProperty,
	"windows-registry-key": atLeastOneProperty,
	"x509-certificate":     atLeastOneProperty,
	"url": func(c *checker) {
		// 6.15: a URL as RFC 3986 defines it; at least a scheme.
		if s, ok := c.obj["value"].(string); ok && !absoluteURL(s) {
			c.add("value", RuleValue, "%q is not an absolute URL (RFC 3986)", s)
		}
	},
	"marking-definition": checkMarkingDefinition,
	"software": func(c *checker) {
		// 6.14: cpe is a CPE 2.3 formatted string.
		if s, ok := c.obj["cpe"].(string); ok && !validCPE23(s) {
			c.add("cpe", RuleValue, "%q is not a CPE 2.3 formatted string (cpe:2.3:part:vendor:product:...)", s)
		}
		// languages are ISO 639-2 codes (or RFC 5646 tags).
		if l, ok := c.obj["languages"].([]any); ok {
			for i, v := range l {
				s, _ := v.(string)
				first, _, _ := strings.Cut(s, "-")
				if s != "" && (!validLanguageTag(s) || len(first) < 2 || len(first) > 3) {
					c.add(indexPath("languages", i), RuleValue, "%q is not a language code", s)
				}
			}
		}
	},
	"extension-definition": func(c *checker) {
		// 7.3: extension_properties only for a toplevel-property-extension.
		if _, ok := c.obj["extension_properties"]; !ok {
			return
		}
		if l, ok := c.obj["extension_types"].([]any); ok && slices.Contains(l, any("toplevel-property-extension")) {
			return
		}
		c.add("extension_properties", RuleConstraint, "extension_properties requires extension_types to include toplevel-property-extension")
	},
	"language-content": func(c *checker) {
		// 7.1: contents maps RFC 5646 language codes to dictionaries of
		// translated properties.
		m, ok := c.obj["contents"].(map[string]any)
		if !ok {
			return
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p := joinPath("contents", k)
			if !validLanguageTag(k) {
				c.add(p, RuleValue, "%q is not an RFC 5646 language code", k)
			}
			if _, ok := m[k].(map[string]any); !ok {
				c.add(p, RuleValueType, "must be a dictionary of translated properties, not %s", jsonTypeName(m[k]))
			}
		}
	},
}

// validCPE23 reports whether s has the form of a CPE 2.3 formatted string:
// "cpe:2.3:", a part (a, o, h, * or -), and ten more colon-separated
// components, colons inside components escaped with a backslash.
func validCPE23(s string) bool {
	rest, ok := strings.CutPrefix(s, "cpe:2.3:")
	if !ok || len(rest) < 2 || !strings.ContainsRune("aoh*-", rune(rest[0])) || rest[1] != ':' {
		return false
	}
	fields, empty := 1, false
	for i := 2; i < len(rest); i++ {
		switch rest[i] {
		case '\\':
			i++
		case ':':
			if empty {
				return false
			}
			fields++
			empty = true
			continue
		case ' ':
			return false
		}
		empty = false
	}
	return fields == 10 && !empty
}

// validLanguageTag reports whether s is a well-formed RFC 5646 language
// tag: subtags of 1–8 letters or digits separated by hyphens, the first
// letters only.
func validLanguageTag(s string) bool {
	if s == "" {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			ch := sub[j]
			letter := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
			if !letter && (i == 0 || ch < '0' || ch > '9') {
				return false
			}
		}
	}
	return true
}

// observed-data checks its embedded objects as whole objects, which makes
// its rule refer back to the rule table: it joins the table at init.
func init() { typeRules["observed-data"] = checkObservedData }

func checkObservedData(c *checker) {
	// 4.14: objects (deprecated) or object_refs, exactly one of them;
	// last_observed ≥ first_observed.
	_, objs := c.obj["objects"]
	_, refs := c.obj["object_refs"]
	switch {
	case objs && refs:
		c.add("objects", RuleConstraint, "objects must not be present together with object_refs")
	case !objs && !refs:
		c.add("object_refs", RuleRequired, "required property missing (one of object_refs or objects)")
	}
	c.checkOrder("", c.obj, "first_observed", "last_observed", false)
	if dict, ok := c.obj["objects"].(map[string]any); ok {
		c.checkObservables(dict)
	}
}

// blockRules apply to embedded objects and extensions, given their path.
var blockRules = map[string]func(c *checker, path string, m map[string]any){
	"external-reference": func(c *checker, path string, m map[string]any) {
		// 2.5: besides source_name, at least one of description, url or
		// external_id; capec and cve ids of their fixed forms.
		_, d := m["description"]
		_, u := m["url"]
		_, e := m["external_id"]
		if !d && !u && !e {
			c.add(path, RuleExternalRef, "one of description, url or external_id must be present")
		}
		if s, ok := m["url"].(string); ok && uriFormat().Validate(s) != nil {
			c.add(joinPath(path, "url"), RuleValue, "%q is not an absolute URL (RFC 3986)", s)
		}
		src, _ := m["source_name"].(string)
		id, _ := m["external_id"].(string)
		switch src {
		case "capec":
			if !validCAPEC(id) {
				c.add(joinPath(path, "external_id"), RuleExternalRef, "a capec reference needs an external_id of the form CAPEC-N, not %q", id)
			}
		case "cve":
			if !validCVE(id) {
				c.add(joinPath(path, "external_id"), RuleExternalRef, "a cve reference needs an external_id of the form CVE-YYYY-NNNN, not %q", id)
			}
		}
	},
	"granular-marking": func(c *checker, path string, m map[string]any) {
		// 7.2.3: exactly one of marking_ref and lang.
		_, ref := m["marking_ref"]
		_, lang := m["lang"]
		if ref == lang {
			c.add(path, RuleGranularMarking, "a granular marking needs exactly one of marking_ref or lang")
		}
		if l, ok := m["lang"].(string); ok && !validLanguageTag(l) {
			c.add(joinPath(path, "lang"), RuleValue, "%q is not an RFC 5646 language code", l)
		}
	},
	"registry-value": func(c *checker, path string, m map[string]any) {
		// 6.17.2: a registry value has at least one of name, data,
		// data_type.
		for k := range m {
			if model.blocks["registry-value"].props[k] != nil {
				return
			}
		}
		c.add(path, RuleConstraint, "a registry value needs at least one of name, data or data_type")
	},
	"x509-v3": func(c *checker, path string, m map[string]any) {
		// 6.18.2: at least one of the extension's properties.
		for k := range m {
			if model.blocks["x509-v3"].props[k] != nil {
				return
			}
		}
		c.add(path, RuleConstraint, "x509_v3_extensions needs at least one of its properties")
	},
	"mime-part": func(c *checker, path string, m map[string]any) {
		// 6.6.2: one of body or body_raw_ref.
		_, b := m["body"]
		_, r := m["body_raw_ref"]
		if b == r {
			c.add(path, RuleConstraint, "a MIME part needs exactly one of body or body_raw_ref")
		}
	},
}

// checkCharset: an IANA character set name (6.3, 6.7), of the form the
// official schemas accept.
func (c *checker) checkCharset(name string) {
	s, ok := c.obj[name].(string)
	if !ok {
		return
	}
	valid := len(s) >= 2 && len(s) <= 250
	for i := 0; valid && i < len(s); i++ {
		ch := s[i]
		valid = ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte("/.+_:-", ch) >= 0
	}
	if !valid {
		c.add(name, RuleValue, "%q is not a character set name", s)
	}
}

// checkObservables checks the deprecated observed-data objects dictionary
// (4.14): not empty, and each entry a cyber-observable object (a custom type
// or an SCO), checked as one.
func (c *checker) checkObservables(dict map[string]any) {
	if len(dict) == 0 {
		c.add("objects", RuleConstraint, "objects must not be empty")
		return
	}
	keys := make([]string, 0, len(dict))
	for k := range dict {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := joinPath("objects", k)
		m, ok := dict[k].(map[string]any)
		if !ok {
			c.add(p, RuleValueType, "must be a cyber-observable object, not %s", jsonTypeName(dict[k]))
			continue
		}
		if t, _ := m["type"].(string); KindOf(t) != KindSCO && KindOf(t) != KindUnknown {
			c.add(joinPath(p, "type"), RuleConstraint, "objects may hold only cyber-observable objects, not a %s", t)
			continue
		}
		sub := checker{obj: m, id: c.id}
		sub.checkRules()
		for _, e := range sub.errs {
			if e.Path == "" {
				e.Path = p
			} else {
				e.Path = p + "." + e.Path
			}
			if len(c.errs) < MaxErrors {
				c.errs = append(c.errs, e)
			}
		}
	}
}

// validDomainName reports whether s has the form of a domain name: at most
// 253 bytes of dot-separated labels of 1–63 bytes, without white space,
// control characters or URL and address punctuation. Labels may hold
// underscores (service names), "*" (wildcards, as feeds write them) and
// non-ASCII letters (IDN U-labels).
func validDomainName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(s, ".") {
		if len(label) == 0 || len(label) > 63 {
			return false
		}
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || strings.ContainsRune("/\\:@?#[]<>\"'|,;()%!&=+$^{}`~", r) {
			return false
		}
	}
	return true
}

// absoluteURL reports whether s parses as a URL with a scheme.
func absoluteURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Scheme != ""
}

func seenOrder(c *checker) {
	c.checkOrder("", c.obj, "first_seen", "last_seen", false)
}

// atLeastOneProperty: an object of this type MUST contain at least one
// property (or extension) other than the common ones (6.13, 6.16–6.18).
func atLeastOneProperty(c *checker) {
	common := model.blocks["common-sco"].props
	for k := range c.obj {
		if _, ok := common[k]; !ok || k == "extensions" {
			return
		}
	}
	c.add("", RuleConstraint, "a %s must have at least one property besides the common ones", c.typ)
}

func lowerHyphen(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
			return false
		}
	}
	return true
}

func validMAC(s string) bool {
	if len(s) != 17 {
		return false
	}
	for i := 0; i < 17; i++ {
		ch := s[i]
		if i%3 == 2 {
			if ch != ':' {
				return false
			}
		} else if !(ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f') {
			return false
		}
	}
	return true
}

func validCAPEC(s string) bool {
	n, ok := strings.CutPrefix(s, "CAPEC-")
	return ok && n != "" && allDigits(n)
}

func validCVE(s string) bool {
	rest, ok := strings.CutPrefix(s, "CVE-")
	if !ok || len(rest) < 9 || rest[4] != '-' || !allDigits(rest[:4]) {
		return false
	}
	n := rest[5:]
	return allDigits(n) && len(n) >= 4 && (len(n) == 4 || n[0] != '0')
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// checkAddress: an ipv4-addr or ipv6-addr value is one address or one CIDR
// block of its family (6.8, 6.9).
func (c *checker) checkAddress(v6 bool) {
	s, ok := c.obj["value"].(string)
	if !ok {
		return
	}
	fam := "IPv4"
	if v6 {
		fam = "IPv6"
	}
	var addr netip.Addr
	var err error
	if strings.Contains(s, "/") {
		var p netip.Prefix
		p, err = netip.ParsePrefix(s)
		addr = p.Addr()
	} else {
		addr, err = netip.ParseAddr(s)
	}
	if err != nil || addr.Is4() == v6 || addr.Zone() != "" {
		c.add("value", RuleValue, "%q is not an %s address or CIDR block", s, fam)
	}
}

// checkMarkingDefinition: definition_type and definition go together; a
// marking definition of type tlp, or with the id of a fixed TLP marking
// definition, must be that fixed definition (7.2.1.4); no marking
// definition marks itself.
func checkMarkingDefinition(c *checker) {
	dt, hasType := c.obj["definition_type"]
	def, hasDef := c.obj["definition"]
	if hasType != hasDef {
		c.add("", RuleConstraint, "definition_type and definition must be given together")
	}
	id, _ := c.obj["id"].(string)
	if refs, ok := c.obj["object_marking_refs"].([]any); ok {
		for i, r := range refs {
			if r == id {
				c.add(indexPath("object_marking_refs", i), RuleConstraint, "a marking definition must not mark itself")
			}
		}
	}
	fixed, isFixed := tlpLevels[id]
	if isFixed {
		// The fixed definitions carry their fixed names (7.2.1.4).
		want := "TLP:" + strings.ToUpper(fixed[5:])
		if name, _ := c.obj["name"].(string); name != want {
			c.add("name", RuleTLP, "the fixed marking definition %s is named %q", id, want)
		}
	}
	if dt == "tlp" {
		dm, _ := def.(map[string]any)
		level, _ := dm["tlp"].(string)
		if !isFixed || fixed != "tlp1:"+level {
			c.add("definition", RuleTLP, "a TLP marking definition must be one of the fixed TLP 1.0 definitions (7.2.1.4), with their ids")
		}
		return
	}
	if dt == "statement" {
		if m, ok := def.(map[string]any); ok {
			if _, ok := m["statement"].(string); !ok {
				c.add("definition.statement", RuleRequired, "required property missing (a string)")
			}
		}
	}
	if !isFixed {
		return
	}
	// The id of a fixed TLP marking: the content must be that marking.
	level := ""
	if strings.HasPrefix(fixed, "tlp2:") {
		if ext, ok := c.obj["extensions"].(map[string]any); ok {
			if e, ok := ext[tlp2Extension].(map[string]any); ok {
				level, _ = e["tlp_2_0"].(string)
			}
		}
		level = "tlp2:" + level
	}
	if level != fixed {
		c.add("", RuleTLP, "%s is the id of the fixed %s marking definition, but the object is not that definition", id, strings.ToUpper(fixed[5:]))
	}
}

// tlp2Extension is the id of the TLP 2.0 marking extension definition.
const tlp2Extension = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

// tlpLevels maps the fixed TLP marking-definition ids to "tlp1:LEVEL" or
// "tlp2:LEVEL".
var tlpLevels = map[string]string{
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "tlp1:white",
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "tlp1:green",
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "tlp1:amber",
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "tlp1:red",
	"marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "tlp2:clear",
	"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "tlp2:green",
	"marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "tlp2:amber",
	"marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "tlp2:amber+strict",
	"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "tlp2:red",
}

// checkSelectors: every selector of a granular marking names a property
// (or list index) present in the object (7.2.3.1).
func (c *checker) checkSelectors() {
	gms, ok := c.obj["granular_markings"].([]any)
	if !ok {
		return
	}
	for i, g := range gms {
		m, ok := g.(map[string]any)
		if !ok {
			continue
		}
		sels, ok := m["selectors"].([]any)
		if !ok {
			continue
		}
		for j, s := range sels {
			sel, ok := s.(string)
			if !ok {
				continue
			}
			if !selectorResolves(c.obj, sel) {
				c.add(indexPath(indexPath("granular_markings", i)+".selectors", j), RuleGranularMarking, "selector %q does not name a property of the object", sel)
			}
		}
	}
}

func selectorResolves(obj map[string]any, sel string) bool {
	var cur any = obj
	for _, seg := range strings.Split(sel, ".") {
		if strings.HasPrefix(seg, "[") && strings.HasSuffix(seg, "]") {
			l, ok := cur.([]any)
			if !ok {
				return false
			}
			n, err := strconv.Atoi(seg[1 : len(seg)-1])
			if err != nil || n < 0 || n >= len(l) {
				return false
			}
			cur = l[n]
			continue
		}
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[seg]; !ok {
			return false
		}
	}
	return true
}
