package csv

import (
	"context"
	"encoding/json"
	sharedtestdata "github.com/dragnet-intel/dragnet/internal/testdata"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/stix"
)

var testdata = sharedtestdata.Join("feeds")

func testBuilder() *feed.Builder {
	return &feed.Builder{Scope: "identity--00000000-0000-4000-8000-000000000001", Source: "test", Now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func decode(t testing.TB, cfg Config, in string) (entries []*feed.Item, all []*feed.Item) {
	t.Helper()
	d := &Decoder{Config: cfg}
	err := d.Decode(context.Background(), strings.NewReader(in), testBuilder(), func(it *feed.Item) error {
		all = append(all, it)
		if it.Object != nil {
			if err := stix.Validate(it.Object); err != nil {
				t.Errorf("%s: %s does not validate: %v", it.Where, it.Object.ID, err)
			}
		}
		if it.Entry {
			entries = append(entries, it)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return entries, all
}

// summary prints entries as "value" or "!where: reason".
func summary(items []*feed.Item) []string {
	var out []string
	for _, it := range items {
		if it.Err != nil {
			out = append(out, "!"+it.Where+": "+it.Err.Error())
			continue
		}
		out = append(out, it.Values[0].String())
	}
	return out
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		in   string
		want []string
	}{
		{"plain ips", Config{}, "1.1.1.1\n1.0.0.1\n", []string{"ipv4:1.1.1.1", "ipv4:1.0.0.1"}},
		{"crlf and comments", Config{}, "# hdr\r\n; other\r\n\r\nexample.com\r\n", []string{"domain:example.com"}},
		{"header by name", Config{}, "type,indicator,classification,detected_date\ndomain,evil[.]example,malware,2023-02-08\n",
			[]string{"domain:evil.example"}},
		{"header in comment", Config{}, "# Listingdate,SHA1,Listingreason\n2023-11-14 06:52:51,2E3519B7CB61A3CD6167F727DF993F68311085EA,DCRat C&C\n",
			[]string{"sha1:2e3519b7cb61a3cd6167f727df993f68311085ea"}},
		{"quoted", Config{}, `"first_seen_utc","dst_ip","dst_port"` + "\n" + `"2023-05-23 17:51:44","192.9.135.73","1194"` + "\n",
			[]string{"ipv4:192.9.135.73"}},
		{"value column", Config{ValueColumns: []int{3}, Delimiter: '|'}, "AS1|name|198.51.100.7|x\n", []string{"ipv4:198.51.100.7"}},
		{"two value columns", Config{ValueColumns: []int{3, 4}, Delimiter: ';'}, "a;b;evil.example;hxxp://evil[.]example/x\n",
			[]string{"domain:evil.example", "url:http://evil.example/x"}},
		{"bad value", Config{ValueColumns: []int{1}, NoHeader: true}, "not a value\n10.0.0.1\n",
			[]string{`!line 1: column 1: "not a value" is not an IP address, domain, URL, e-mail address or hash`, "ipv4:10.0.0.1"}},
		{"missing column", Config{ValueColumns: []int{2}, NoHeader: true}, "x\n", []string{"!line 1: value column 2 is missing (the line has 1 fields)"}},
		{"forced kind", Config{Kind: "ipv4", ValueColumns: []int{1}, NoHeader: true}, "evil.example\n",
			[]string{`!line 1: column 1: "evil.example" is not an IP address`}},
		{"unterminated quote", Config{}, "1.1.1.1\n\"2.2.2.2\n", []string{"ipv4:1.1.1.1", "!line 2: unterminated quoted field starting at byte 1"}},
		{"bare quote", Config{}, "1.1.1.1\n2.2\"2.2,x\n", []string{"ipv4:1.1.1.1", "!line 2: bare quote in unquoted field at byte 4"}},
		{"exclude", Config{Exclude: mustRe(t, `/^http:\/\/www.phishtank.com/i`)}, "HTTP://www.phishtank.com/x\nhttp://evil.example/\n",
			[]string{"url:http://evil.example/"}},
		{"text", Config{Text: true}, "8.8.8.8 8.8.4.4", []string{"ipv4:8.8.8.8", "ipv4:8.8.4.4"}},
		{"text defanged and junk", Config{Text: true}, "seen hxxps://bad[.]example[.]org/a today\nnothing here\n1.10.16.0/20 ; SBL256894\n",
			[]string{"url:https://bad.example.org/a", `!line 2: no IP address, domain, URL, e-mail address or hash in "nothing here"`, "cidr:1.10.16.0/20"}},
		{"ip with port", Config{Text: true}, "192.0.2.1:8080\n[2001:db8::1]:443\n", []string{"ipv4:192.0.2.1", "ipv6:2001:db8::1"}},
		{"email", Config{Text: true}, "Bad@Example.COM\n", []string{"email:bad@example.com"}},
		{"no trailing newline", Config{}, "a.example\nb.example", []string{"domain:a.example", "domain:b.example"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _ := decode(t, tt.cfg, tt.in)
			if g, w := strings.Join(summary(got), "\n"), strings.Join(tt.want, "\n"); g != w {
				t.Errorf("got\n%s\nwant\n%s", g, w)
			}
		})
	}
}

func mustRe(t *testing.T, s string) *regexp.Regexp {
	re, err := feed.CompileDelimited(s)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

func TestIndicatorObject(t *testing.T) {
	in := "# Listingdate,SHA1,Listingreason\n2023-11-14 06:52:51,2e3519b7cb61a3cd6167f727df993f68311085ea,DCRat C&C\n"
	got, _ := decode(t, Config{}, in)
	if len(got) != 1 || got[0].Err != nil {
		t.Fatalf("got %v", summary(got))
	}
	var ind map[string]any
	if err := json.Unmarshal(got[0].Object.Raw, &ind); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"type": "indicator", "spec_version": "2.1", "pattern": "[file:hashes.'SHA-1' = '2e3519b7cb61a3cd6167f727df993f68311085ea']",
		"pattern_type": "stix", "valid_from": "2023-11-14T06:52:51.000Z", "created": "2023-11-14T06:52:51.000Z",
		"description": "DCRat C&C",
	}
	for k, v := range want {
		if ind[k] != v {
			t.Errorf("%s = %v, want %v", k, ind[k], v)
		}
	}
	if got[0].RunTimes {
		t.Error("RunTimes set although the line has a time")
	}
	// Same input, same ids; another source, another id.
	again, _ := decode(t, Config{}, in)
	if again[0].Object.ID != got[0].Object.ID {
		t.Error("ids differ between two decodings of the same input")
	}
	b := testBuilder()
	b.Source = "other"
	var other *feed.Item
	(&Decoder{}).Decode(context.Background(), strings.NewReader(in), b, func(it *feed.Item) error { other = it; return nil })
	if other.Object.ID == got[0].Object.ID {
		t.Error("two sources gave the same id")
	}
}

// TestTestdata loads every real feed sample and checks that every data
// line is accounted for: each line yields an entry or a rejection.
func TestTestdata(t *testing.T) {
	files := map[string]struct {
		cfg      Config
		entries  int
		rejected int
	}{
		"abuse.ch/feodotracker-ipblocklist.csv":   {Config{}, 28, 0},
		"abuse.ch/sslbl-sslblacklist.csv":         {Config{}, 5522, 0},
		"abuse.ch/sslbl-sslipblacklist-2015.csv":  {Config{}, 83, 0},
		"abuse.ch/urlhaus-csv-online-excerpt.csv": {Config{}, 24, 0},
		"misp-test-feeds/csv/feed.csv":            {Config{}, 2, 0},
		"misp-test-feeds/freetext/feed.txt":       {Config{Text: true}, 2, 0},
	}
	infoblox, _ := filepath.Glob(filepath.Join(testdata, "infoblox-csv", "*.csv"))
	for _, f := range infoblox {
		rel, _ := filepath.Rel(testdata, f)
		files[rel] = struct {
			cfg      Config
			entries  int
			rejected int
		}{Config{}, -1, 0}
	}
	for name, tc := range files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(testdata, name))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := decode(t, tc.cfg, string(data))
			rejected := 0
			for _, it := range got {
				if it.Err != nil {
					rejected++
					t.Logf("%s: %v", it.Where, it.Err)
				}
			}
			want := tc.entries
			if want < 0 {
				want = dataLines(string(data)) - 1 // minus the header
			}
			if len(got) != want || rejected != tc.rejected {
				t.Errorf("%d entries, %d rejected; want %d, %d", len(got), rejected, want, tc.rejected)
			}
		})
	}
}

func dataLines(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "#") {
			n++
		}
	}
	return n
}

func TestPresets(t *testing.T) {
	f, err := os.Open(filepath.Join(testdata, "misp-default-feeds", "defaults.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ps, err := LoadPresets(f)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 77 {
		t.Errorf("%d csv/freetext presets, want 77 (42 csv + 35 freetext)", len(ps))
	}
	p, ok := FindPreset(ps, "Feodo IP Blocklist")
	if !ok || len(p.Config.ValueColumns) != 1 || p.Config.ValueColumns[0] != 2 || p.Config.Text {
		t.Errorf("Feodo preset = %+v, %v", p, ok)
	}
	p, ok = FindPreset(ps, "Panels Tracker")
	if !ok || p.Config.Delimiter != ';' || len(p.Config.ValueColumns) != 2 {
		t.Errorf("Panels Tracker preset = %+v", p)
	}
	// The Feodo preset reads the real Feodo file.
	data, _ := os.ReadFile(filepath.Join(testdata, "abuse.ch/feodotracker-ipblocklist.csv"))
	p, _ = FindPreset(ps, "Feodo IP Blocklist")
	got, _ := decode(t, p.Config, string(data))
	if len(got) != 28 || got[0].Values[0].Value != "192.9.135.73" {
		t.Errorf("Feodo with preset: %d entries, first %v", len(got), summary(got[:1]))
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("1.1.1.1\n1.0.0.1\n", false)
	f.Add("# Listingdate,SHA1,Listingreason\r\n2023-11-14 06:52:51,2e3519b7cb61a3cd6167f727df993f68311085ea,DCRat\r\n", false)
	f.Add(`"a","b"`+"\n"+`"x""y",1.2.3.4`+"\n\"unterminated\n", false)
	f.Add("type,indicator\ndomain,a[.]b\nurl,hxxp://c[.]d/\n", false)
	f.Add("8.8.8.8 8.8.4.4 hxxp://x[.]y ;junk", true)
	f.Fuzz(func(t *testing.T, in string, text bool) {
		d := &Decoder{Config: Config{Text: text}}
		err := d.Decode(context.Background(), strings.NewReader(in), testBuilder(), func(it *feed.Item) error {
			if (it.Err == nil) == (it.Object == nil) {
				t.Fatalf("item %s has both or neither of object and error", it.Where)
			}
			if it.Object != nil && !json.Valid(it.Object.Raw) {
				t.Fatalf("invalid JSON %s", it.Object.Raw)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzText fuzzes the free-text decoder (and the refanging and value
// recognition under it): no input may panic, every line that yields no
// value is a rejection naming its line, and every object is valid JSON.
func FuzzText(f *testing.F) {
	f.Add("8.8.8.8 8.8.4.4")
	f.Add("seen hxxps://bad[.]example[.]org/a today\nnothing here\n1.10.16.0/20 ; SBL256894\n")
	f.Add("[2001:db8::1]:443 a@b[.]c d41d8cd98f00b204e9800998ecf8427e\r\n# comment\n")
	f.Add("hXXp[:]//x(.)y[/]z fxp://a.b")
	f.Fuzz(func(t *testing.T, in string) {
		d := &Decoder{Config: Config{Text: true}}
		err := d.Decode(context.Background(), strings.NewReader(in), testBuilder(), func(it *feed.Item) error {
			if it.Err != nil && !strings.HasPrefix(it.Where, "line ") {
				t.Fatalf("rejection without a line: %q", it.Where)
			}
			if it.Object != nil && !json.Valid(it.Object.Raw) {
				t.Fatalf("invalid JSON %s", it.Object.Raw)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
