// Package csv decodes CSV and plain-text blocklists into STIX indicators.
//
// A CSV feed has one entry per data line; a Config names the columns that
// hold the value, its type, the first-seen time, a comment and labels (by
// number, or found by name in a header line, which may be the last comment
// line as abuse.ch writes it). A text feed is free text: every token that
// is an IP address or prefix, domain, URL, e-mail address or hash is one
// entry. Both skip blank lines and comment lines (starting with # or ;
// by default), strip CR, accept defanged values (hxxp, [.], (.), [:]) and
// report a line that yields no value with its number and the reason.
package csv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
)

// Config says how to read one CSV or text feed. The zero value reads a CSV
// with comma delimiters, a header found by name if there is one, and the
// first column that holds a value otherwise.
type Config struct {
	// Text selects free-text mode: every value-like token of a line is an
	// entry; columns are ignored.
	Text bool
	// Delimiter separates CSV fields; 0 means ','. Space means runs of
	// white space.
	Delimiter rune
	// ValueColumns are the 1-based columns holding values. Empty: the
	// header's value column, else the first column that holds a value.
	ValueColumns []int
	// TypeColumn, FirstSeenColumn, LastSeenColumn, CommentColumn and
	// LabelColumns are 1-based; 0 means found by header name, if any.
	TypeColumn      int
	FirstSeenColumn int
	LastSeenColumn  int
	CommentColumn   int
	LabelColumns    []int
	// Kind forces every value to this kind (values that are not of it are
	// rejected). Empty: from the type column, the header name, or the value.
	Kind dragnet.ValueKind
	// Comments lists the prefixes of comment lines; empty means "#" and ";".
	Comments []string
	// Exclude skips lines it matches (MISP's excluderegex).
	Exclude *regexp.Regexp
	// NoHeader says the first data line is data even when it holds no value.
	NoHeader bool
	// Labels are added to every indicator of the feed.
	Labels []string
}

// MaxLine is the longest line read; a longer one is rejected.
const MaxLine = 1 << 20

// Decoder decodes CSV or text with a Config. It implements feed.Decoder.
type Decoder struct {
	Config Config
}

var _ feed.Decoder = (*Decoder)(nil)

// columns is the resolved column mapping (0-based; -1 absent).
type columns struct {
	values     []int
	typ        int
	firstSeen  int
	lastSeen   int
	comment    int
	labels     []int
	headerKind dragnet.ValueKind
	resolved   bool
}

// Decode implements feed.Decoder.
func (d *Decoder) Decode(ctx context.Context, r io.Reader, b *feed.Builder, emit feed.Emit) error {
	cfg := d.Config
	if cfg.Delimiter == 0 {
		cfg.Delimiter = ','
	}
	if len(cfg.Comments) == 0 {
		cfg.Comments = []string{"#", ";"}
	}
	br := bufio.NewReaderSize(r, 64<<10)
	st := &state{cfg: &cfg, b: b, emit: emit}
	st.cols = cfg.fixedColumns()
	for lineNo := 1; ; lineNo++ {
		if lineNo&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		line, err := readLine(br)
		if errors.Is(err, errLong) {
			if e := emit(feed.Reject(where(lineNo), "line is longer than %d bytes", MaxLine)); e != nil {
				return e
			}
			continue
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("reading line %d: %w", lineNo, err)
		}
		if len(line) > 0 || err == nil {
			if e := st.line(lineNo, line); e != nil {
				return e
			}
		}
		if err == io.EOF {
			return nil
		}
	}
}

var errLong = errors.New("line too long")

// readLine returns the next line without its line end (LF or CRLF).
func readLine(br *bufio.Reader) (string, error) {
	var long []byte
	for {
		frag, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if len(long)+len(frag) > MaxLine {
				for err == bufio.ErrBufferFull {
					_, err = br.ReadSlice('\n')
				}
				return "", errLong
			}
			long = append(long, frag...)
			continue
		}
		if long != nil {
			frag = append(long, frag...)
		}
		s := string(frag)
		s = strings.TrimSuffix(s, "\n")
		s = strings.TrimSuffix(s, "\r")
		if err == io.EOF && s == "" {
			return "", io.EOF
		}
		return s, err
	}
}

func where(n int) string { return "line " + strconv.Itoa(n) }

type state struct {
	cfg         *Config
	b           *feed.Builder
	emit        feed.Emit
	cols        columns
	lastComment string
	seenData    bool
}

func (c *Config) fixedColumns() columns {
	cols := columns{typ: c.TypeColumn - 1, firstSeen: c.FirstSeenColumn - 1, lastSeen: c.LastSeenColumn - 1, comment: c.CommentColumn - 1}
	for _, v := range c.ValueColumns {
		if v > 0 {
			cols.values = append(cols.values, v-1)
		}
	}
	for _, v := range c.LabelColumns {
		if v > 0 {
			cols.labels = append(cols.labels, v-1)
		}
	}
	return cols
}

func (st *state) isComment(s string) bool {
	for _, p := range st.cfg.Comments {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func (st *state) line(n int, raw string) error {
	s := strings.TrimSpace(raw)
	if s == "" {
		return nil
	}
	if st.isComment(s) {
		if !st.seenData {
			st.lastComment = s
		}
		return nil
	}
	if st.cfg.Exclude != nil && st.cfg.Exclude.MatchString(s) {
		return nil
	}
	if st.cfg.Text {
		return st.text(n, s)
	}
	fields, err := split(s, st.cfg.Delimiter)
	if err != nil {
		return st.emit(feed.Reject(where(n), "%v", err))
	}
	if !st.seenData {
		st.seenData = true
		if !st.cols.resolved {
			if !st.cfg.NoHeader && st.isHeader(fields) {
				st.resolve(fields)
				return nil
			}
			st.resolveFromComment()
		}
	}
	return st.row(n, fields)
}

// isHeader reports whether the first data line is a header: no field of
// it holds a value.
func (st *state) isHeader(fields []string) bool {
	for _, f := range fields {
		if _, ok := feed.Classify(f); ok {
			return false
		}
	}
	return true
}

// resolveFromComment takes the header from the last comment line before
// the data when it reads like one ("# first_seen_utc,dst_ip,...").
func (st *state) resolveFromComment() {
	st.cols.resolved = true
	c := strings.TrimSpace(strings.TrimLeft(st.lastComment, "#;/ "))
	if c == "" || !strings.ContainsRune(c, st.cfg.Delimiter) {
		return
	}
	fields, err := split(c, st.cfg.Delimiter)
	if err != nil || !st.isHeader(fields) {
		return
	}
	st.resolve(fields)
}

// Header names recognised for each role (lower case, without spaces,
// dashes or underscores).
var (
	valueNames     = []string{"value", "indicator", "ioc", "observable", "dstip", "ip", "ipaddress", "srcip", "url", "domain", "hostname", "host", "fqdn", "sha256", "sha1", "md5", "sha512", "hash", "email", "cidr"}
	typeNames      = []string{"type", "indicatortype", "ioctype", "threattype"}
	firstSeenNames = []string{"firstseen", "firstseenutc", "dateadded", "detecteddate", "listingdate", "date", "timestamp", "added", "created"}
	lastSeenNames  = []string{"lastseen", "lastonline", "lastseenutc"}
	commentNames   = []string{"comment", "description", "listingreason", "reason", "comments"}
	labelNames     = []string{"malware", "threat", "classification", "tags", "family", "malwarefamily"}
)

func canon(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer("_", "", "-", "", " ", "", ".", "").Replace(s)
}

func find(names []string, header []string) int {
	for _, n := range names {
		for i, h := range header {
			if canon(h) == n {
				return i
			}
		}
	}
	return -1
}

func (st *state) resolve(header []string) {
	c := &st.cols
	c.resolved = true
	if len(c.values) == 0 {
		if i := find(valueNames, header); i >= 0 {
			c.values = []int{i}
		}
	}
	if len(c.values) == 1 && c.values[0] < len(header) {
		c.headerKind = feed.ParseKind(header[c.values[0]])
		switch canon(header[c.values[0]]) {
		case "dstip", "srcip", "ipaddress":
			c.headerKind = dragnet.ValueIPv4
		}
	}
	if c.typ < 0 {
		c.typ = find(typeNames, header)
	}
	if c.firstSeen < 0 {
		c.firstSeen = find(firstSeenNames, header)
	}
	if c.lastSeen < 0 {
		c.lastSeen = find(lastSeenNames, header)
	}
	if c.comment < 0 {
		c.comment = find(commentNames, header)
	}
	if len(c.labels) == 0 {
		for _, n := range labelNames {
			if i := find([]string{n}, header); i >= 0 && !containsInt(c.values, i) {
				c.labels = append(c.labels, i)
			}
		}
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func field(fields []string, i int) string {
	if i < 0 || i >= len(fields) {
		return ""
	}
	return strings.TrimSpace(fields[i])
}

func (st *state) row(n int, fields []string) error {
	c := &st.cols
	m := feed.Meta{Labels: st.cfg.Labels}
	if s := field(fields, c.firstSeen); s != "" {
		if t, ok := ParseTime(s); ok {
			m.Created, m.ValidFrom = t, t
		}
	}
	if s := field(fields, c.lastSeen); s != "" {
		if t, ok := ParseTime(s); ok && !m.Created.IsZero() && t.After(m.Created) {
			m.Modified = t
		}
	}
	m.Description = field(fields, c.comment)
	for _, i := range c.labels {
		for _, l := range strings.Split(field(fields, i), ",") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.EqualFold(l, "none") && !strings.EqualFold(l, "n/a") && !contains(m.Labels, l) {
				m.Labels = append(m.Labels, l)
			}
		}
	}
	kind := st.cfg.Kind
	if kind == "" {
		if t := field(fields, c.typ); t != "" {
			kind = feed.ParseKind(t)
		}
	}
	if kind == "" {
		kind = c.headerKind
	}
	w := where(n)
	if len(c.values) == 0 {
		for _, f := range fields {
			if v, ok := feed.Classify(f); ok {
				return st.value(w, v, m)
			}
		}
		return st.emit(feed.Reject(w, "no field holds an IP address, domain, URL, e-mail address or hash"))
	}
	for _, i := range c.values {
		s := field(fields, i)
		if i >= len(fields) {
			if err := st.emit(feed.Reject(w, "value column %d is missing (the line has %d fields)", i+1, len(fields))); err != nil {
				return err
			}
			continue
		}
		if s == "" {
			if err := st.emit(feed.Reject(w, "value column %d is empty", i+1)); err != nil {
				return err
			}
			continue
		}
		var v dragnet.Value
		if kind != "" {
			var err error
			if v, err = feed.Normalize(kind, s); err != nil {
				if e := st.emit(feed.Reject(w, "column %d: %s", i+1, dragnet.ErrorMessage(err))); e != nil {
					return e
				}
				continue
			}
		} else {
			var ok bool
			if v, ok = feed.Classify(s); !ok {
				if e := st.emit(feed.Reject(w, "column %d: %q is not an IP address, domain, URL, e-mail address or hash", i+1, s)); e != nil {
					return e
				}
				continue
			}
		}
		if err := st.value(w, v, m); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) value(w string, v dragnet.Value, m feed.Meta) error {
	for _, it := range st.b.Value(w, v, m) {
		if err := st.emit(it); err != nil {
			return err
		}
	}
	return nil
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// text handles one line of a free-text feed.
func (st *state) text(n int, s string) error {
	w := where(n)
	found := false
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == ';' || r == '|' || r == '"' || r == '\''
	}) {
		v, ok := feed.Classify(tok)
		if !ok {
			continue
		}
		if st.cfg.Kind != "" && v.Kind != st.cfg.Kind {
			continue
		}
		found = true
		if err := st.value(w, v, feed.Meta{Labels: st.cfg.Labels}); err != nil {
			return err
		}
	}
	if !found {
		return st.emit(feed.Reject(w, "no IP address, domain, URL, e-mail address or hash in %q", clip(s)))
	}
	return nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// ParseTime reads the times feeds write: "2006-01-02 15:04:05" (UTC),
// "2006-01-02", RFC 3339, or Unix seconds.
func ParseTime(s string) (time.Time, bool) {
	for _, l := range []string{"2006-01-02 15:04:05", "2006-01-02", time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05 MST", "2006-01-02 15:04"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if u, err := strconv.ParseInt(s, 10, 64); err == nil && u > 0 && u < 1<<33 {
		return time.Unix(u, 0).UTC(), true
	}
	return time.Time{}, false
}

func compileExclude(x string) (*regexp.Regexp, error) { return feed.CompileDelimited(x) }
