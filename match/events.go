package match

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"net/netip"
	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
)

// Format is the shape of telemetry Scan reads.
type Format string

const (
	FormatPlain Format = "plain" // one value per line, kind detected
	FormatJSONL Format = "jsonl" // one JSON object per line; Fields name the members to match
	FormatZeek  Format = "zeek"  // Zeek JSON logs: conn, dns, http, ssl, files
	FormatCSV   Format = "csv"   // CSV with a header line; Fields name the columns (all when empty)
)

// ParseFormat checks a format name.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatPlain, FormatJSONL, FormatZeek, FormatCSV:
		return f, nil
	}
	return "", dragnet.Errorf(dragnet.EINVALID, "format %q is not one of plain, jsonl, zeek, csv", s)
}

// maxLine bounds one input line (a longer one is an error naming its line).
const maxLine = 1 << 20

// Scan reads telemetry from r and calls fn with each observable value it
// finds and the 1-based line it is on. Lines that hold no value are
// skipped; a line that is not valid for the format stops the scan with an
// EINVALID error naming the line. An error from fn stops the scan too.
func Scan(r io.Reader, f Format, fields []string, fn func(line int, v dragnet.Value) error) error {
	return scan(r, f, fields, "", fn, nil)
}

// lineSink sees each line (CSV: record) that held values, after fn has
// seen them: its number, its text (for CSV: the text of its time column,
// if any) and its values.
type lineSink func(line int, text string, vals []dragnet.Value) error

// scan is Scan that also tells sink, if not nil, of each line's values
// together, so that a line can be matched as one event. timeField names
// the CSV column whose text sink gets ("" for the usual names: see
// isTimeKey).
func scan(r io.Reader, f Format, fields []string, timeField string, fn func(line int, v dragnet.Value) error, sink lineSink) error {
	var vals []dragnet.Value
	if sink != nil {
		inner := fn
		fn = func(line int, v dragnet.Value) error {
			vals = append(vals, v)
			return inner(line, v)
		}
	}
	if f == FormatCSV {
		return scanCSV(r, fields, timeField, fn, func(line int, timeText string) error {
			if sink == nil || len(vals) == 0 {
				return nil
			}
			err := sink(line, timeText, vals)
			vals = vals[:0]
			return err
		})
	}
	var want map[string]bool
	if f == FormatJSONL {
		if len(fields) == 0 {
			return dragnet.Errorf(dragnet.EINVALID, "format jsonl needs --fields naming the members to match")
		}
		want = map[string]bool{}
		for _, k := range fields {
			want[k] = true
		}
	}
	var z zeekEvent
	line := 0
	each := func(s string) error {
		line++
		s = strings.TrimSpace(s)
		if s == "" || s[0] == '#' {
			return nil
		}
		var err error
		switch f {
		case FormatPlain:
			if v, ok := DetectValue(s); ok {
				err = fn(line, v)
			}
		case FormatJSONL:
			err = jsonscan.Object(s, func(key string, jv jsonscan.Value) error {
				if !want[key] {
					return nil
				}
				var e error
				jv.Strings(func(x string) {
					if v, ok := DetectValue(x); ok && e == nil {
						e = fn(line, v)
					}
				})
				return e
			})
		case FormatZeek:
			err = z.scan(s, func(v dragnet.Value) error { return fn(line, v) })
		default:
			return dragnet.Errorf(dragnet.EINVALID, "unknown format %q", f)
		}
		if err != nil {
			var de *dragnet.Error
			if errors.As(err, &de) {
				return err
			}
			return dragnet.Errorf(dragnet.EINVALID, "line %d: %v", line, err)
		}
		if sink != nil && len(vals) > 0 {
			err = sink(line, s, vals)
			vals = vals[:0]
		}
		return err
	}
	return eachLine(r, func(s string) error {
		if len(s) > maxLine {
			return dragnet.Errorf(dragnet.EINVALID, "line %d: longer than %d bytes", line+1, maxLine)
		}
		return each(s)
	})
}

// eachLine calls fn with each line of r (without its newline). Lines are
// read in blocks, each converted to a string once, so a line costs no
// allocation of its own; the strings fn sees are substrings of the block.
func eachLine(r io.Reader, fn func(string) error) error {
	buf := make([]byte, 0, 1<<20)
	for {
		n, rerr := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		last := bytes.LastIndexByte(buf, '\n')
		if rerr != nil && rerr != io.EOF {
			return rerr
		}
		if rerr == io.EOF {
			last = len(buf) - 1
		}
		if last >= 0 {
			block := string(buf[:last+1])
			for len(block) > 0 {
				i := strings.IndexByte(block, '\n')
				if i < 0 {
					i = len(block)
				}
				if err := fn(block[:i]); err != nil {
					return err
				}
				block = block[min(i+1, len(block)):]
			}
			buf = buf[:copy(buf, buf[last+1:])]
		}
		if rerr == io.EOF {
			return nil
		}
		if len(buf) == cap(buf) {
			// One line fills the buffer: grow it up to maxLine, then
			// let fn refuse the line.
			if cap(buf) > maxLine {
				return fn(string(buf))
			}
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

func scanCSV(r io.Reader, fields []string, timeField string, fn func(int, dragnet.Value) error, endRecord func(line int, timeText string) error) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.Comment = '#'
	head, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return dragnet.Errorf(dragnet.EINVALID, "CSV header: %v", err)
	}
	timeCol := -1
	for i, h := range head {
		if h = strings.TrimSpace(h); timeField == "" && isTimeKey(h) || timeField != "" && strings.EqualFold(h, timeField) {
			timeCol = i
			break
		}
	}
	var cols []int
	if len(fields) == 0 {
		for i := range head {
			cols = append(cols, i)
		}
	} else {
		for _, f := range fields {
			i := -1
			for j, h := range head {
				if strings.EqualFold(strings.TrimSpace(h), f) {
					i = j
					break
				}
			}
			if i < 0 {
				return dragnet.Errorf(dragnet.EINVALID, "CSV header has no column %q (it has %s)", f, strings.Join(head, ", "))
			}
			cols = append(cols, i)
		}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return dragnet.Errorf(dragnet.EINVALID, "CSV: %v", err)
		}
		for _, c := range cols {
			if c < len(rec) {
				if v, ok := DetectValue(rec[c]); ok {
					if err := fn(line, v); err != nil {
						return err
					}
				}
			}
		}
		timeText := ""
		if timeCol >= 0 && timeCol < len(rec) {
			timeText = rec[timeCol]
		}
		if err := endRecord(line, timeText); err != nil {
			return err
		}
	}
}

// DetectValue classifies one written value: an IP address or prefix, a
// URL (it has "://"), an e-mail address, an MD5, SHA-1, SHA-256 or SHA-512
// hash (hex of that length), or a domain name. It does not allocate; ok is
// false for text that is none of these.
func DetectValue(s string) (dragnet.Value, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 3 {
		return dragnet.Value{}, false
	}
	c := s[0]
	if c >= '0' && c <= '9' || c == ':' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' {
		switch len(s) {
		case 32, 40, 64, 128:
			if isHex(s) {
				return dragnet.Value{Kind: hashKind(len(s)), Value: s}, true
			}
		}
		if strings.IndexByte(s, '/') > 0 && !strings.Contains(s, "://") {
			if _, err := netip.ParsePrefix(s); err == nil {
				return dragnet.Value{Kind: dragnet.ValueCIDR, Value: s}, true
			}
		}
		if a, err := netip.ParseAddr(s); err == nil {
			if a.Unmap().Is4() {
				return dragnet.Value{Kind: dragnet.ValueIPv4, Value: s}, true
			}
			return dragnet.Value{Kind: dragnet.ValueIPv6, Value: s}, true
		}
	}
	if strings.Contains(s, "://") {
		return dragnet.Value{Kind: dragnet.ValueURL, Value: s}, true
	}
	if at := strings.IndexByte(s, '@'); at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t<>") {
		return dragnet.Value{Kind: dragnet.ValueEmail, Value: s}, true
	}
	if looksLikeDomain(s) {
		return dragnet.Value{Kind: dragnet.ValueDomain, Value: s}, true
	}
	return dragnet.Value{}, false
}

func hashKind(hexLen int) dragnet.ValueKind {
	switch hexLen {
	case 32:
		return dragnet.ValueMD5
	case 40:
		return dragnet.ValueSHA1
	case 64:
		return dragnet.ValueSHA256
	}
	return dragnet.ValueSHA512
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if hexTable[s[i]] > 15 {
			return false
		}
	}
	return true
}

// looksLikeDomain accepts LDH labels (and '_'), at least two, the last
// not all digits.
func looksLikeDomain(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if len(s) > 253 || strings.IndexByte(s, '.') <= 0 {
		return false
	}
	labelLen, digitsOnly := 0, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if labelLen == 0 || labelLen > 63 {
				return false
			}
			labelLen, digitsOnly = 0, true
			continue
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-', c == '_', c >= 0x80:
			digitsOnly = false
		default:
			return false
		}
		labelLen++
	}
	return labelLen > 0 && labelLen <= 63 && !digitsOnly
}

// zeekEvent extracts the observables of one Zeek JSON log line. The log
// is recognised by its fields, so one stream may mix logs:
//
//	conn, and any log with them: id.orig_h, id.resp_h (addresses)
//	dns:   query (domain), answers (addresses or names)
//	http:  host (domain or address), host + uri (URL)
//	ssl:   server_name (domain)
//	files: md5, sha1, sha256; tx_hosts, rx_hosts (addresses)
//
// The field names are those of Zeek's log reference (zeek.org, "Log Files").
type zeekEvent struct {
	host, uri string
	url       []byte
}

func (z *zeekEvent) scan(s string, emit func(dragnet.Value) error) error {
	z.host, z.uri = "", ""
	var e error
	put := func(k dragnet.ValueKind, v string) {
		if e == nil && v != "" && v != "-" {
			e = emit(dragnet.Value{Kind: k, Value: v})
		}
	}
	addrOrName := func(v string) {
		if dv, ok := DetectValue(v); ok && (dv.Kind == dragnet.ValueIPv4 || dv.Kind == dragnet.ValueIPv6 || dv.Kind == dragnet.ValueDomain) {
			put(dv.Kind, v)
		}
	}
	err := jsonscan.Object(s, func(key string, v jsonscan.Value) error {
		switch key {
		case "id.orig_h", "id.resp_h":
			if x, ok := v.String(); ok {
				put(addrKind(x), x)
			}
		case "tx_hosts", "rx_hosts":
			v.Strings(func(x string) { put(addrKind(x), x) })
		case "query", "server_name":
			if x, ok := v.String(); ok {
				put(dragnet.ValueDomain, x)
			}
		case "answers":
			v.Strings(addrOrName)
		case "host":
			if x, ok := v.String(); ok {
				z.host = x
				addrOrName(x)
			}
		case "uri":
			z.uri, _ = v.String()
		case "md5":
			if x, ok := v.String(); ok {
				put(dragnet.ValueMD5, x)
			}
		case "sha1":
			if x, ok := v.String(); ok {
				put(dragnet.ValueSHA1, x)
			}
		case "sha256":
			if x, ok := v.String(); ok {
				put(dragnet.ValueSHA256, x)
			}
		}
		return e
	})
	if err != nil {
		return err
	}
	if z.host != "" && z.host != "-" && strings.HasPrefix(z.uri, "/") {
		z.url = append(append(append(z.url[:0], "http://"...), z.host...), z.uri...)
		put(dragnet.ValueURL, string(z.url))
	}
	return e
}

func addrKind(s string) dragnet.ValueKind {
	if strings.IndexByte(s, ':') >= 0 {
		return dragnet.ValueIPv6
	}
	return dragnet.ValueIPv4
}
