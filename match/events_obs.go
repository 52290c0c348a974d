package match

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// An event's observation is built only when a complex pattern is to be
// evaluated against it, from the line again: reading telemetry for the
// value index alone never pays for it.

// eventObservation builds the observation one line of telemetry in format
// f makes, as STIX observed-data would hold it, from the line's text and
// its normalised values nvs. Its time is the line's own when it has one:
// the member or CSV column timeField names, or else one with a usual name
// (isTimeKey; Zeek's ts), plus Zeek's duration for last_observed;
// otherwise readTime is called. For CSV, text is the time column's text.
func eventObservation(f Format, text, timeField string, nvs []dragnet.Value, readTime func() time.Time) pattern.Observation {
	var z zeekFields
	if f == FormatZeek {
		z.read(text, timeField, true)
	} else {
		z.ts = lineTime(f, text, timeField)
	}
	obs := pattern.Observation{NumberObserved: 1, Objects: z.objects(nvs)}
	if z.ts.IsZero() {
		z.ts = readTime()
	}
	obs.FirstObserved, obs.LastObserved = z.ts, z.ts
	if z.duration > 0 && z.duration < 1e9 {
		obs.LastObserved = z.ts.Add(time.Duration(z.duration * float64(time.Second)))
	}
	return obs
}

// lineTime returns the time of one line of telemetry in format f, read as
// eventObservation reads it; zero when the line has none.
func lineTime(f Format, text, timeField string) time.Time {
	var z zeekFields
	switch f {
	case FormatZeek, FormatJSONL:
		z.read(text, timeField, false)
	case FormatCSV:
		z.ts, _ = parseTime(strings.TrimSpace(text))
	}
	return z.ts
}

// zeekFields are the fields of a Zeek log line (zeek.org, "Log Files")
// that make its observed objects besides the values: the connection
// (conn.log and every log with id.*), the DNS answers, the HTTP request,
// the file's name and type.
type zeekFields struct {
	ts                 time.Time
	duration           float64
	origH, respH       string
	origP, respP       int64
	hasOrigP, hasRespP bool
	proto, service     string
	method, uri, host  string
	userAgent          string
	query              string
	tls                bool // an ssl.log line
	answers            []string
	filename, mimeType string
	txHosts, rxHosts   []string
}

// read takes the fields of one JSON line; zeek says whether it is a Zeek
// log (otherwise only a timestamp is read). A line that does not parse
// leaves what was read so far.
func (z *zeekFields) read(s, timeField string, zeek bool) {
	_ = jsonscan.Object(s, func(key string, v jsonscan.Value) error {
		if timeField == "" && isTimeKey(key) || key == timeField {
			if t, ok := jsonTime(v); ok && (z.ts.IsZero() || key == "ts") {
				z.ts = t
			}
		}
		if !zeek {
			return nil
		}
		str := func() string { x, _ := v.String(); return x }
		switch key {
		case "duration":
			z.duration, _ = strconv.ParseFloat(v.Text(), 64)
		case "id.orig_h":
			z.origH = str()
		case "id.resp_h":
			z.respH = str()
		case "id.orig_p":
			z.origP, z.hasOrigP = port(v.Text())
		case "id.resp_p":
			z.respP, z.hasRespP = port(v.Text())
		case "proto":
			z.proto = str()
		case "service":
			z.service = str()
		case "method":
			z.method = str()
		case "uri":
			z.uri = str()
		case "host":
			z.host = str()
		case "user_agent":
			z.userAgent = str()
		case "query":
			z.query = str()
		case "server_name", "cipher", "ssl_history":
			z.tls = true
		case "answers":
			v.Strings(func(x string) { z.answers = append(z.answers, x) })
		case "filename":
			z.filename = str()
		case "mime_type":
			z.mimeType = str()
		case "tx_hosts":
			v.Strings(func(x string) { z.txHosts = append(z.txHosts, x) })
		case "rx_hosts":
			v.Strings(func(x string) { z.rxHosts = append(z.rxHosts, x) })
		}
		return nil
	})
}

// port reads a port number (0..65535).
func port(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	return n, err == nil && n >= 0 && n <= 65535
}

// isTimeKey reports whether a JSON member or CSV column of this name is
// taken for the event's time when none is named: ts (Zeek), @timestamp,
// timestamp, time.
func isTimeKey(k string) bool {
	switch k {
	case "ts", "@timestamp", "timestamp", "time":
		return true
	}
	return false
}

// jsonTime reads a timestamp given as a JSON string or number (see
// parseTime).
func jsonTime(v jsonscan.Value) (time.Time, bool) {
	if x, ok := v.String(); ok {
		return parseTime(x)
	}
	return parseTime(v.Text())
}

// parseTime reads a timestamp: RFC 3339, or seconds since the epoch
// (Zeek's default; milliseconds when the number is too large to be
// seconds).
func parseTime(s string) (time.Time, bool) {
	if len(s) >= 20 && s[4] == '-' { // YYYY-MM-DDTHH:MM:SSZ at least
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.UTC(), true
		}
		return time.Time{}, false
	}
	if sec, frac, ok := strings.Cut(s, "."); ok && len(sec) <= 10 && len(frac) <= 9 && !strings.ContainsAny(s, "eE+-") {
		// Seconds with a fraction, read exactly.
		n, err1 := strconv.ParseInt(sec, 10, 64)
		ns, err2 := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		if err1 == nil && err2 == nil && frac != "" {
			return time.Unix(n, ns).UTC(), true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f <= 0 {
		return time.Time{}, false
	}
	if f > 1e11 {
		f /= 1000 // milliseconds
	}
	if f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3).UTC(), true
}

// objects builds the observed objects: one per address, domain name, URL
// and e-mail address among nvs (which every object value is taken from,
// so that values compare as the value index compares them), one file
// with the hashes, its name and type; and, for a connection, a
// network-traffic object whose src_ref and dst_ref point at the
// addresses, with ports, protocols and the HTTP request. A DNS query's
// domain-name resolves_to_refs its answers. Strings are copied: the line's
// text is not kept alive by the observations a session remembers.
func (z *zeekFields) objects(nvs []dragnet.Value) map[string]map[string]any {
	objs := make(map[string]map[string]any, len(nvs)+1)
	ids := make(map[dragnet.Value]string, len(nvs))
	var file map[string]any
	for _, v := range nvs {
		typ := v.SCOType()
		switch {
		case typ == "" || v.Kind == dragnet.ValueCIDR:
			continue
		case typ == "file":
			if file == nil {
				file = map[string]any{"type": "file", "hashes": map[string]any{}}
				objs[strconv.Itoa(len(objs))] = file
			}
			file["hashes"].(map[string]any)[v.Kind.HashAlgorithm()] = strings.Clone(v.Value)
			continue
		}
		if _, dup := ids[v]; dup {
			continue
		}
		id := strconv.Itoa(len(objs))
		ids[v] = id
		objs[id] = map[string]any{"type": typ, "value": strings.Clone(v.Value)}
	}
	if file != nil {
		if z.filename != "" && z.filename != "-" {
			file["name"] = strings.Clone(z.filename)
		}
		if z.mimeType != "" && z.mimeType != "-" {
			file["mime_type"] = strings.Clone(z.mimeType)
		}
	}
	ref := func(s string) (string, bool) {
		d, ok := DetectValue(s)
		if !ok {
			return "", false
		}
		nv, err := dragnet.NormalizeValue(d.Kind, d.Value)
		if err != nil {
			return "", false
		}
		id, ok := ids[nv]
		return id, ok
	}
	if z.query != "" {
		if id, ok := ref(z.query); ok {
			var rs []any
			for _, a := range z.answers {
				if aid, ok := ref(a); ok && aid != id {
					rs = append(rs, aid)
				}
			}
			if len(rs) > 0 {
				objs[id]["resolves_to_refs"] = rs
			}
		}
	}
	if z.origH == "" && z.respH == "" && len(z.txHosts) > 0 && len(z.rxHosts) > 0 {
		// files.log without the connection's id: the file went from
		// its first sender to its first receiver.
		z.origH, z.respH = z.txHosts[0], z.rxHosts[0]
	}
	src, okSrc := ref(z.origH)
	dst, okDst := ref(z.respH)
	if !okSrc && !okDst {
		return objs
	}
	nt := map[string]any{"type": "network-traffic"}
	if okSrc {
		nt["src_ref"] = src
	}
	if okDst {
		nt["dst_ref"] = dst
	}
	if z.hasOrigP {
		nt["src_port"] = z.origP
	}
	if z.hasRespP {
		nt["dst_port"] = z.respP
	}
	var protos []any
	for _, p := range append(strings.Split(z.proto, ","), strings.Split(z.service, ",")...) {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" && p != "-" {
			protos = append(protos, p)
		}
	}
	// The application protocol of logs that do not name it (conn.log's
	// service does).
	switch {
	case z.query != "" && !slices.Contains(protos, any("dns")):
		protos = append(protos, "dns")
	case z.tls && !slices.Contains(protos, any("ssl")):
		protos = append(protos, "ssl")
	}
	if z.method != "" || z.uri != "" {
		if !slices.Contains(protos, any("http")) {
			protos = append(protos, "http")
		}
		req := map[string]any{}
		if z.method != "" && z.method != "-" {
			req["request_method"] = strings.ToLower(z.method)
		}
		if z.uri != "" && z.uri != "-" {
			req["request_value"] = strings.Clone(z.uri)
		}
		hdr := map[string]any{}
		if z.host != "" && z.host != "-" {
			hdr["Host"] = strings.Clone(z.host)
		}
		if z.userAgent != "" && z.userAgent != "-" {
			hdr["User-Agent"] = strings.Clone(z.userAgent)
		}
		if len(hdr) > 0 {
			req["request_header"] = hdr
		}
		nt["extensions"] = map[string]any{"http-request-ext": req}
	}
	if len(protos) > 0 {
		nt["protocols"] = protos
	}
	objs[strconv.Itoa(len(objs))] = nt
	return objs
}
