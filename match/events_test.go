package match

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/dragnet-intel/dragnet"
)

func TestDetectValue(t *testing.T) {
	tests := []struct {
		in   string
		kind dragnet.ValueKind
	}{
		{"198.51.100.7", dragnet.ValueIPv4},
		{" 198.51.100.7 ", dragnet.ValueIPv4},
		{"2001:db8::1", dragnet.ValueIPv6},
		{"::ffff:1.2.3.4", dragnet.ValueIPv4},
		{"10.0.0.0/8", dragnet.ValueCIDR},
		{"evil.example", dragnet.ValueDomain},
		{"Evil.Example.", dragnet.ValueDomain},
		{"deadbeef.example", dragnet.ValueDomain},
		{"http://x.example/a", dragnet.ValueURL},
		{"a@b.example", dragnet.ValueEmail},
		{"d41d8cd98f00b204e9800998ecf8427e", dragnet.ValueMD5},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", dragnet.ValueSHA1},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", dragnet.ValueSHA256},
		{strings.Repeat("ab", 64), dragnet.ValueSHA512},
		{"", ""},
		{"ab", ""},
		{"hello", ""},
		{"1.2.3", ""},
		{"999.1.1.1", ""},
		{"a b.example", ""},
		{"-", ""},
		{"d41d8cd98f00b204e9800998ecf8427z", ""},
	}
	for _, tc := range tests {
		v, ok := DetectValue(tc.in)
		if ok != (tc.kind != "") || v.Kind != tc.kind {
			t.Errorf("DetectValue(%q) = %v, %v; want kind %q", tc.in, v, ok, tc.kind)
		}
	}
}

type seen struct {
	line int
	v    dragnet.Value
}

func scanAll(t *testing.T, in string, f Format, fields []string) ([]seen, error) {
	t.Helper()
	var out []seen
	err := Scan(strings.NewReader(in), f, fields, func(line int, v dragnet.Value) error {
		out = append(out, seen{line, v})
		return nil
	})
	return out, err
}

func TestScanFormats(t *testing.T) {
	got, err := scanAll(t, "198.51.100.7\n\n# comment\nevil.example\nnot a value\nhttp://x.example/", FormatPlain, nil)
	want := []seen{{1, val(dragnet.ValueIPv4, "198.51.100.7")}, {4, val(dragnet.ValueDomain, "evil.example")}, {6, val(dragnet.ValueURL, "http://x.example/")}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("plain: %v %v", got, err)
	}
	got, err = scanAll(t, `{"src":"1.2.3.4","dst":"evil.example","n":1}`+"\n"+`{"src":["5.6.7.8"]}`, FormatJSONL, []string{"dst", "src"})
	want = []seen{{1, val(dragnet.ValueIPv4, "1.2.3.4")}, {1, val(dragnet.ValueDomain, "evil.example")}, {2, val(dragnet.ValueIPv4, "5.6.7.8")}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("jsonl: %v %v", got, err)
	}
	if _, err := scanAll(t, `{"a":1}`, FormatJSONL, nil); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Errorf("jsonl without fields: %v", err)
	}
	if _, err := scanAll(t, "{\"src\":\"1.2.3.4\"}\n{\"src\":", FormatJSONL, []string{"src"}); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("jsonl bad line: %v", err)
	}
	got, err = scanAll(t, "ip,host,note\n1.2.3.4,evil.example,x\n\"5.6.7.8\",,\n", FormatCSV, []string{"IP"})
	want = []seen{{2, val(dragnet.ValueIPv4, "1.2.3.4")}, {3, val(dragnet.ValueIPv4, "5.6.7.8")}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("csv: %v %v", got, err)
	}
	if _, err := scanAll(t, "ip\n1.2.3.4\n", FormatCSV, []string{"nope"}); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Errorf("csv missing column: %v", err)
	}
	if _, err := ParseFormat("xml"); dragnet.ErrorCode(err) != dragnet.EINVALID {
		t.Errorf("ParseFormat(xml): %v", err)
	}
}

func TestScanZeek(t *testing.T) {
	b, err := os.ReadFile("testdata/zeek.log")
	if err != nil {
		t.Fatal(err)
	}
	got, err := scanAll(t, string(b), FormatZeek, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []seen{
		{1, val(dragnet.ValueIPv4, "192.168.1.10")}, {1, val(dragnet.ValueIPv4, "198.51.100.7")},
		{2, val(dragnet.ValueIPv4, "192.168.1.10")}, {2, val(dragnet.ValueIPv4, "192.168.1.1")}, {2, val(dragnet.ValueDomain, "x.c2.evil.example")}, {2, val(dragnet.ValueIPv4, "203.0.113.9")}, {2, val(dragnet.ValueDomain, "cdn.example")},
		{3, val(dragnet.ValueIPv4, "192.168.1.10")}, {3, val(dragnet.ValueIPv4, "192.0.2.99")}, {3, val(dragnet.ValueDomain, "bad.example")}, {3, val(dragnet.ValueURL, "http://bad.example/x?y=1")},
		{4, val(dragnet.ValueIPv6, "2001:db8::10")}, {4, val(dragnet.ValueIPv6, "2001:db8::1")}, {4, val(dragnet.ValueDomain, "google.com")},
		{5, val(dragnet.ValueIPv4, "192.0.2.99")}, {5, val(dragnet.ValueIPv4, "192.168.1.10")}, {5, val(dragnet.ValueMD5, "d41d8cd98f00b204e9800998ecf8427e")}, {5, val(dragnet.ValueSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709")}, {5, val(dragnet.ValueSHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("zeek:\n got %v\nwant %v", got, want)
	}
}

func TestStream(t *testing.T) {
	b, err := os.ReadFile("testdata/zeek.log")
	if err != nil {
		t.Fatal(err)
	}
	ix := mustCompile(t, world(), NewSuppression([]dragnet.Value{val(dragnet.ValueDomain, "google.com")}))
	var out bytes.Buffer
	var results []Result
	st, err := Stream(ix, &dragnet.Access{Audiences: []int64{1}}, bytes.NewReader(b), FormatZeek, nil, &out, func(r Result) error {
		results = append(results, r)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/zeek.golden")
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(golden) {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), golden)
	}
	if st.Lines != 5 || st.Values != 19 || st.Hits != len(results) || st.Hits == 0 {
		t.Errorf("stats = %+v, results %d", st, len(results))
	}
}

// FuzzScan feeds arbitrary lines to every format: no panic, and every
// value found is one DetectValue or the Zeek field rules produce.
func FuzzScan(f *testing.F) {
	b, _ := os.ReadFile("testdata/zeek.log")
	for _, l := range strings.Split(string(b), "\n") {
		f.Add(l)
	}
	for _, s := range []string{`{"a":"\ud800"}`, `{"src":["1.2.3.4",{"x":[]}]}`, "ip,host\n1.2.3.4,\"x", "{\"host\":\"a.example\",\"uri\":\"/\\u0000\"}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fm := range []Format{FormatPlain, FormatJSONL, FormatZeek, FormatCSV} {
			Scan(strings.NewReader(s), fm, []string{"src", "host"}, func(line int, v dragnet.Value) error {
				if line < 1 || v.Kind == "" {
					t.Fatalf("%s: line %d value %v", fm, line, v)
				}
				return nil
			})
		}
	})
}

func BenchmarkZeek(b *testing.B) {
	g, ix := benchIndex(b)
	logs := g.ZeekLogs(100000, 1)
	acc := benchAccess(benchAudiences)
	b.SetBytes(int64(len(logs)))
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	events := 0
	cpu := threadCPU()
	for b.Loop() {
		st, err := Stream(ix, acc, bytes.NewReader(logs), FormatZeek, nil, io.Discard, nil)
		if err != nil {
			b.Fatal(err)
		}
		events += st.Lines
	}
	// Events per second of this goroutine's thread CPU time: the machine
	// is shared, and wall time counts others' use of the core.
	if el := threadCPU() - cpu; el > 0 {
		b.ReportMetric(float64(events)/el.Seconds(), "events/cpu-s")
	}
}

// TestStreamBadLine checks that the values read before a bad line are
// still matched and written (lookups are batched) and that the error
// names the bad line.
func TestStreamBadLine(t *testing.T) {
	ix := mustCompile(t, world(), nil)
	in := `{"id.orig_h":"198.51.100.7","id.resp_h":"10.0.0.1"}` + "\n" + `{"query":"c2.evil.example"}` + "\n" + `{"id.orig_h":` + "\n"
	var out bytes.Buffer
	st, err := Stream(ix, &dragnet.Access{Audiences: []int64{1, 2}}, strings.NewReader(in), FormatZeek, nil, &out, nil)
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("error = %v, want one naming line 3", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `{"line":1,"value":"198.51.100.7"`) || !strings.HasPrefix(lines[1], `{"line":2,"value":"c2.evil.example"`) || st.Hits != 2 {
		t.Errorf("stats %+v, output:\n%s", st, out.String())
	}
}
