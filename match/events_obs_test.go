package match

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/internal/jsonscan"
)

// patternIndex is a Looker with complex patterns: an Index for the
// values and a fixed set of patterns.
type patternIndex struct {
	*Index
	v *patternView
}

func (p patternIndex) patternSet() (*patternView, func() time.Time) {
	return p.v, func() time.Time { return t0 }
}

// zeekLine is one Zeek log line; ts is seconds after 1700000000.
func zeekLine(ts float64, fields string) string {
	return fmt.Sprintf(`{"ts":%.6f,%s}`, 1700000000+ts, fields)
}

func conn(origH string, origP int, respH string, respP int) string {
	return fmt.Sprintf(`"uid":"C1","id.orig_h":"%s","id.orig_p":%d,"id.resp_h":"%s","id.resp_p":%d,"proto":"tcp","duration":2.5`, origH, origP, respH, respP)
}

// streamPatterns streams in (format f; jsonl and csv: values in src and
// dst) through a looker holding the given patterns, visible to audience
// 1, and returns "line id" per pattern hit.
func streamPatterns(t *testing.T, f Format, in string, patterns ...string) []string {
	return streamPatternsWith(t, StreamOptions{Format: f, Fields: []string{"src", "dst"}}, in, patterns...)
}

func streamPatternsWith(t *testing.T, opt StreamOptions, in string, patterns ...string) []string {
	t.Helper()
	var es []PatternEntry
	for i, p := range patterns {
		es = append(es, PatternEntry{IndicatorID: uuidN(i + 1), Pattern: p, Audience: 1})
	}
	ps, err := CompilePatterns(es, t0, nil)
	if err != nil {
		t.Fatal(err)
	}
	lk := patternIndex{Index: mustCompile(t, nil, nil), v: &patternView{base: ps, delta: emptyPatterns}}
	var got []string
	_, err = StreamWith(lk, &dragnet.Access{Audiences: []int64{1}}, strings.NewReader(in), opt, io.Discard, func(r Result) error {
		if r.Kind == "stix-pattern" {
			got = append(got, fmt.Sprintf("%d %s", r.Line, r.Indicators[0].ID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestZeekObservations matches Zeek lines as observed-data: the
// connection as network-traffic with references to its addresses, and
// the time of each event its ts, not the time it was read (all lines of a
// test are read within the same instant).
func TestZeekObservations(t *testing.T) {
	hit := func(lines ...int) []string {
		var out []string
		for _, l := range lines {
			out = append(out, fmt.Sprintf("%d %s", l, uuidN(1)))
		}
		return out
	}
	https := `[network-traffic:dst_port = 443 AND network-traffic:dst_ref.value = '198.51.100.7']`
	c2 := `([domain-name:value = 'c2.evil.example'] FOLLOWEDBY [network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]) WITHIN 60 SECONDS`
	dns := zeekLine(0, `"uid":"C0","id.orig_h":"10.0.0.5","id.orig_p":5353,"id.resp_h":"10.0.0.1","id.resp_p":53,"proto":"udp","query":"c2.evil.example","answers":["198.51.100.7","cdn.example"]`)
	tests := []struct {
		name    string
		pattern string
		lines   []string
		want    []string
	}{
		{"port and address", https, []string{
			zeekLine(0, conn("10.0.0.5", 50000, "198.51.100.7", 80)),
			zeekLine(1, conn("198.51.100.7", 443, "10.0.0.5", 50001)), // the address is the source
			zeekLine(2, conn("10.0.0.5", 50002, "198.51.100.7", 443)),
		}, hit(3)},
		{"FOLLOWEDBY WITHIN, 30 s apart", c2, []string{dns, zeekLine(30, conn("10.0.0.5", 50000, "198.51.100.7", 443))}, hit(2)},
		{"FOLLOWEDBY WITHIN, 300 s apart", c2, []string{dns, zeekLine(300, conn("10.0.0.5", 50000, "198.51.100.7", 443))}, nil},
		// The DNS line is read last but logged first: log time decides.
		{"FOLLOWEDBY, log order not line order", c2, []string{zeekLine(30, conn("10.0.0.5", 50000, "198.51.100.7", 443)), dns}, hit(2)},
		{"FOLLOWEDBY, wrong log order", c2, []string{zeekLine(-30, conn("10.0.0.5", 50000, "198.51.100.7", 443)), dns}, nil},
		{"START STOP on log time", `[network-traffic:dst_ref.value = '198.51.100.7'] START t'2023-11-14T22:13:30Z' STOP t'2023-11-14T22:14:00Z'`, []string{
			zeekLine(0, conn("10.0.0.5", 1, "198.51.100.7", 443)),  // 22:13:20
			zeekLine(20, conn("10.0.0.5", 1, "198.51.100.7", 443)), // 22:13:40, ends 22:13:42.5
			zeekLine(39, conn("10.0.0.5", 1, "198.51.100.7", 443)), // ends after STOP
		}, hit(2)},
		{"REPEATS WITHIN", `[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:dst_port = 22] REPEATS 3 TIMES WITHIN 10 SECONDS`, []string{
			zeekLine(0, conn("10.0.0.5", 1, "198.51.100.7", 22)),
			zeekLine(20, conn("10.0.0.5", 2, "198.51.100.7", 22)),
			zeekLine(21, conn("10.0.0.5", 3, "198.51.100.7", 22)),
			zeekLine(22, conn("10.0.0.5", 4, "198.51.100.7", 22)),
		}, hit(4)},
		// Patterns naming no value keep the events that satisfy one of
		// their observation expressions.
		{"no value named: REPEATS WITHIN", `[network-traffic:dst_port = 4444] REPEATS 3 TIMES WITHIN 60 SECONDS`, []string{
			zeekLine(0, conn("10.0.0.5", 1, "192.0.2.1", 4444)),
			zeekLine(1, conn("10.0.0.5", 2, "192.0.2.2", 443)),
			zeekLine(10, conn("10.0.0.5", 3, "192.0.2.3", 4444)),
			zeekLine(20, conn("10.0.0.5", 4, "192.0.2.4", 4444)),
			zeekLine(21, conn("10.0.0.5", 5, "192.0.2.4", 4444)),
		}, hit(4)},
		{"no value named: REPEATS, too slow", `[network-traffic:dst_port = 4444] REPEATS 3 TIMES WITHIN 60 SECONDS`, []string{
			zeekLine(0, conn("10.0.0.5", 1, "192.0.2.1", 4444)),
			zeekLine(100, conn("10.0.0.5", 3, "192.0.2.3", 4444)),
			zeekLine(200, conn("10.0.0.5", 4, "192.0.2.4", 4444)),
		}, nil},
		{"no value named: FOLLOWEDBY", `[file:name = 'invoice.exe'] FOLLOWEDBY [network-traffic:dst_port = 4444 AND network-traffic:protocols[*] = 'tcp']`, []string{
			zeekLine(0, conn("10.0.0.5", 1, "192.0.2.1", 4444)),
			zeekLine(1, `"fuid":"F1","tx_hosts":["192.0.2.99"],"rx_hosts":["10.0.0.5"],"filename":"invoice.exe","md5":"d41d8cd98f00b204e9800998ecf8427e"`),
			zeekLine(2, conn("10.0.0.5", 2, "192.0.2.2", 443)),
			zeekLine(3, conn("10.0.0.5", 3, "192.0.2.3", 4444)),
		}, hit(4)},
		{"DNS answers", `[domain-name:value = 'c2.evil.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.7']`, []string{dns}, hit(1)},
		{"protocols", `[network-traffic:dst_ref.value = '10.0.0.1' AND network-traffic:protocols[*] = 'udp']`, []string{dns}, hit(1)},
		{"protocols of a DNS log", `[network-traffic:dst_ref.value = '10.0.0.1' AND network-traffic:protocols[*] = 'dns']`, []string{dns}, hit(1)},
		{"protocols of an SSL log", `[network-traffic:dst_ref.value = '198.51.100.7' AND network-traffic:protocols[*] = 'ssl' AND network-traffic:dst_port = 443]`, []string{
			zeekLine(0, `"uid":"C4","id.orig_h":"10.0.0.5","id.orig_p":50003,"id.resp_h":"198.51.100.7","id.resp_p":443,"version":"TLSv13","server_name":"c2.evil.example","established":true`),
		}, hit(1)},
		{"HTTP request", `[network-traffic:extensions.'http-request-ext'.request_method = 'get' AND network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' LIKE 'curl/%' AND network-traffic:dst_ref.value = '192.0.2.99']`, []string{
			zeekLine(0, `"uid":"C3","id.orig_h":"10.0.0.5","id.orig_p":50002,"id.resp_h":"192.0.2.99","id.resp_p":80,"method":"POST","host":"bad.example","uri":"/x","user_agent":"curl/8.0"`),
			zeekLine(1, `"uid":"C3","id.orig_h":"10.0.0.5","id.orig_p":50002,"id.resp_h":"192.0.2.99","id.resp_p":80,"method":"GET","host":"bad.example","uri":"/x","user_agent":"curl/8.0"`),
		}, hit(2)},
		{"file", `[file:hashes.MD5 = 'd41d8cd98f00b204e9800998ecf8427e' AND file:mime_type = 'application/x-dosexec'] AND [network-traffic:src_ref.value = '192.0.2.99']`, []string{
			zeekLine(0, `"fuid":"F1","tx_hosts":["192.0.2.99"],"rx_hosts":["10.0.0.5"],"mime_type":"application/x-dosexec","filename":"a.exe","md5":"D41D8CD98F00B204E9800998ECF8427E"`),
			zeekLine(1, conn("192.0.2.99", 80, "10.0.0.5", 50002)),
		}, hit(2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := streamPatterns(t, FormatZeek, strings.Join(tc.lines, "\n")+"\n", tc.pattern)
			if !slices.Equal(got, tc.want) {
				t.Errorf("hits %q, want %q", got, tc.want)
			}
		})
	}
}

// TestJSONLinesTime checks that a JSON line's own timestamp times its
// event, and that lines without one are timed when read.
func TestJSONLinesTime(t *testing.T) {
	p := `([ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [ipv4-addr:value = '203.0.113.9']) WITHIN 60 SECONDS`
	for _, tc := range []struct {
		name string
		in   string
		want int
		opt  StreamOptions
	}{
		{"named field, 300 s", `{"seen":"2026-11-01T12:00:00Z","ts":1,"src":"198.51.100.7"}` + "\n" + `{"seen":"2026-11-01T12:05:00Z","ts":2,"dst":"203.0.113.9"}`, 0, StreamOptions{TimeField: "seen"}},
		{"named field, 30 s", `{"seen":"2026-11-01T12:00:00Z","ts":1,"src":"198.51.100.7"}` + "\n" + `{"seen":"2026-11-01T12:00:30Z","ts":1000,"dst":"203.0.113.9"}`, 1, StreamOptions{TimeField: "seen"}},
		{"CSV, 300 s", "src,dst,timestamp\n198.51.100.7,,2026-11-01T12:00:00Z\n,203.0.113.9,2026-11-01T12:05:00Z\n", 0, StreamOptions{Format: FormatCSV}},
		{"CSV, 30 s", "src,dst,timestamp\n198.51.100.7,,2026-11-01T12:00:00Z\n,203.0.113.9,2026-11-01T12:00:30Z\n", 1, StreamOptions{Format: FormatCSV}},
		{"CSV named column, 300 s", "src,dst,when\n198.51.100.7,,1700000000\n,203.0.113.9,1700000300\n", 0, StreamOptions{Format: FormatCSV, TimeField: "When"}},
		{"CSV, no time column", "src,dst\n198.51.100.7,\n,203.0.113.9\n", 1, StreamOptions{Format: FormatCSV}},
		{"RFC 3339, 30 s", `{"@timestamp":"2026-11-01T12:00:00Z","src":"198.51.100.7"}` + "\n" + `{"@timestamp":"2026-11-01T12:00:30.5Z","dst":"203.0.113.9"}`, 1, StreamOptions{}},
		{"RFC 3339, 300 s", `{"@timestamp":"2026-11-01T12:00:00Z","src":"198.51.100.7"}` + "\n" + `{"@timestamp":"2026-11-01T12:05:00Z","dst":"203.0.113.9"}`, 0, StreamOptions{}},
		{"epoch, 300 s", `{"ts":1700000000,"src":"198.51.100.7"}` + "\n" + `{"ts":"1700000300.25","dst":"203.0.113.9"}`, 0, StreamOptions{}},
		{"epoch ms, 30 s", `{"time":1700000000000,"src":"198.51.100.7"}` + "\n" + `{"time":1700000030000,"dst":"203.0.113.9"}`, 1, StreamOptions{}},
		{"no time: when read", `{"src":"198.51.100.7"}` + "\n" + `{"dst":"203.0.113.9"}`, 1, StreamOptions{}},
		{"bad time: when read", `{"ts":"yesterday","src":"198.51.100.7"}` + "\n" + `{"ts":-5,"dst":"203.0.113.9"}`, 1, StreamOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.opt.Format == "" {
				tc.opt.Format = FormatJSONL
			}
			tc.opt.Fields = []string{"src", "dst"}
			if got := streamPatternsWith(t, tc.opt, tc.in, p); len(got) != tc.want {
				t.Errorf("hits %q, want %d", got, tc.want)
			}
		})
	}
}

func TestJSONTime(t *testing.T) {
	good := []struct {
		in   string
		want time.Time
	}{
		{`1700000000.1`, time.Unix(1700000000, 1e8)},
		{`1700000000.123456`, time.Unix(1700000000, 123456000)},
		{`1700000000`, time.Unix(1700000000, 0)},
		{`"1700000000.5"`, time.Unix(1700000000, 5e8)},
		{`1700000000123`, time.Unix(1700000000, 123e6)},
		{`1.7e9`, time.Unix(1700000000, 0)},
		{`"2026-11-01T12:00:00.25Z"`, time.Date(2026, 11, 1, 12, 0, 0, 25e7, time.UTC)},
		{`"2026-11-01T13:00:00+01:00"`, time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)},
	}
	for _, tc := range good {
		if got, ok := jsonTime(jsonscan.Raw(tc.in)); !ok || !got.Equal(tc.want) {
			t.Errorf("jsonTime(%s) = %v, %v; want %v", tc.in, got, ok, tc.want)
		}
	}
	for _, in := range []string{``, `"x"`, `-1`, `0`, `null`, `true`, `1e300`, `"NaN"`, `[1]`, `"2026-13-01T00:00:00Z"`, `"1.2.3"`, `"12:00"`} {
		if got, ok := jsonTime(jsonscan.Raw(in)); ok {
			t.Errorf("jsonTime(%s) = %v, accepted", in, got)
		}
	}
}

// TestZeekObjects checks the objects of a conn line as observed-data
// would hold them.
func TestZeekObjects(t *testing.T) {
	line := zeekLine(0, conn("10.0.0.5", 50000, "2001:DB8::7", 443)+`,"service":"ssl,http"`)
	var vals []dragnet.Value
	var z zeekEvent
	if err := z.scan(line, func(v dragnet.Value) error { vals = append(vals, v); return nil }); err != nil {
		t.Fatal(err)
	}
	var nvs []dragnet.Value
	for _, v := range vals {
		nv, err := dragnet.NormalizeValue(v.Kind, v.Value)
		if err != nil {
			t.Fatal(err)
		}
		nvs = append(nvs, nv)
	}
	obs := eventObservation(FormatZeek, line, "", nvs, func() time.Time { t.Fatal("read time asked for"); return time.Time{} })
	if want := time.Unix(1700000000, 0).UTC(); !obs.FirstObserved.Equal(want) || !obs.LastObserved.Equal(want.Add(2500*time.Millisecond)) || obs.NumberObserved != 1 {
		t.Errorf("times %v %v %d", obs.FirstObserved, obs.LastObserved, obs.NumberObserved)
	}
	var nt map[string]any
	for _, o := range obs.Objects {
		if o["type"] == "network-traffic" {
			nt = o
		}
	}
	if nt == nil {
		t.Fatalf("no network-traffic in %v", obs.Objects)
	}
	src, dst := obs.Objects[nt["src_ref"].(string)], obs.Objects[nt["dst_ref"].(string)]
	if src["type"] != "ipv4-addr" || src["value"] != "10.0.0.5" || dst["type"] != "ipv6-addr" || dst["value"] != "2001:db8::7" {
		t.Errorf("refs: %v %v", src, dst)
	}
	if nt["src_port"] != int64(50000) || nt["dst_port"] != int64(443) || fmt.Sprint(nt["protocols"]) != "[tcp ssl http]" {
		t.Errorf("network-traffic %v", nt)
	}
}

// FuzzEventObservation builds observations of arbitrary lines: no panic,
// and every reference points at an object of the observation.
func FuzzEventObservation(f *testing.F) {
	b, _ := os.ReadFile("testdata/zeek.log")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	f.Add(`{"ts":"1e400","id.orig_h":"1.2.3.4","id.resp_h":"::1","id.orig_p":-1,"id.resp_p":70000,"duration":1e308}`)
	f.Add(`{"query":"a.example","answers":["a.example","1.2.3.4",7],"tx_hosts":["x"],"rx_hosts":[]}`)
	ps, err := CompilePatterns([]PatternEntry{
		{IndicatorID: uuidN(1), Pattern: `[network-traffic:dst_port = 443] REPEATS 2 TIMES WITHIN 60 SECONDS`, Audience: 1},
		{IndicatorID: uuidN(2), Pattern: `[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [domain-name:value = 'a.example']`, Audience: 1},
	}, t0, nil)
	if err != nil {
		f.Fatal(err)
	}
	lk := patternIndex{Index: mustCompile(f, nil, nil), v: &patternView{base: ps, delta: emptyPatterns}}
	f.Fuzz(func(t *testing.T, s string) {
		// The whole path, every format: no panic.
		for _, fm := range []Format{FormatPlain, FormatJSONL, FormatZeek, FormatCSV} {
			StreamWith(lk, &dragnet.Access{Audiences: []int64{1}}, strings.NewReader(s+"\n"+s), StreamOptions{Format: fm, Fields: []string{"src", "ts"}}, io.Discard, nil)
		}
		for _, fm := range []Format{FormatZeek, FormatJSONL} {
			Scan(strings.NewReader(s), fm, []string{"src"}, func(line int, v dragnet.Value) error {
				nv, err := dragnet.NormalizeValue(v.Kind, v.Value)
				if err != nil {
					return nil
				}
				obs := eventObservation(fm, s, "", []dragnet.Value{nv}, func() time.Time { return t0 })
				if obs.FirstObserved.IsZero() || obs.LastObserved.Before(obs.FirstObserved) {
					t.Fatalf("times %v %v", obs.FirstObserved, obs.LastObserved)
				}
				for _, o := range obs.Objects {
					for k, r := range o {
						if id, ok := r.(string); ok && strings.HasSuffix(k, "_ref") && obs.Objects[id] == nil {
							t.Fatalf("%s %q points at nothing", k, id)
						}
					}
				}
				return nil
			})
		}
	})
}

// BenchmarkZeekPatterns streams the Zeek logs of BenchmarkZeek through the
// same index with complex patterns loaded: "named" has 1,000 patterns
// that name indicator values (an event is evaluated only when it carries
// one), "unnamed" adds one pattern that names no value, so that every
// event is built as an observation and evaluated.
func BenchmarkZeekPatterns(b *testing.B) {
	g, ix := benchIndex(b)
	logs := g.ZeekLogs(100000, 1)
	acc := benchAccess(benchAudiences)
	nIP, _, nDom, _ := g.Counts()
	var named []PatternEntry
	for i := 0; i < 1000; i++ {
		p := fmt.Sprintf(`([ipv4-addr:value = '%s'] FOLLOWEDBY [domain-name:value = 'www.%s']) WITHIN 300 SECONDS`,
			addr4(g.IPv4(i*7%nIP)), g.Domain(i*13%nDom))
		named = append(named, PatternEntry{IndicatorID: uuidN(i + 1), Pattern: p, Audience: acc.Audiences[0]})
	}
	unnamed := append(slices.Clip(named), PatternEntry{IndicatorID: uuidN(0), Pattern: `[network-traffic:dst_port = 4444 AND network-traffic:protocols[*] = 'tcp']`, Audience: acc.Audiences[0]})
	for _, tc := range []struct {
		name string
		es   []PatternEntry
	}{{"named", named}, {"unnamed", unnamed}} {
		b.Run(tc.name, func(b *testing.B) {
			ps, err := CompilePatterns(tc.es, t0, nil)
			if err != nil {
				b.Fatal(err)
			}
			lk := patternIndex{Index: ix, v: &patternView{base: ps, delta: emptyPatterns}}
			b.SetBytes(int64(len(logs)))
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			events := 0
			cpu := threadCPU()
			for b.Loop() {
				st, err := Stream(lk, acc, bytes.NewReader(logs), FormatZeek, nil, io.Discard, nil)
				if err != nil {
					b.Fatal(err)
				}
				events += st.Lines
			}
			if el := threadCPU() - cpu; el > 0 {
				b.ReportMetric(float64(events)/el.Seconds(), "events/cpu-s")
			}
		})
	}
}
