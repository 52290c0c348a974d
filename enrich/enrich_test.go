package enrich

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeDB builds a small GeoLite2-format database in dir.
func writeDB(t *testing.T, dir, name, typ string, records map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, RecordSize: 24})
	if err != nil {
		t.Fatal(err)
	}
	for cidr, rec := range records {
		_, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func country(cc string) mmdbtype.Map {
	return mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(cc)}}
}

func TestLookup(t *testing.T) {
	dir := t.TempDir()
	cdb := writeDB(t, dir, "country.mmdb", "GeoLite2-Country", map[string]mmdbtype.Map{
		"81.2.69.0/24":   country("GB"),
		"2a00:1450::/32": country("DE"),
		"5.62.60.0/24":   {"registered_country": mmdbtype.Map{"iso_code": mmdbtype.String("AU")}},
		"5.62.61.0/24":   {"country": mmdbtype.String("not a map")},
	})
	adb := writeDB(t, dir, "asn.mmdb", "GeoLite2-ASN", map[string]mmdbtype.Map{
		"81.2.0.0/16": {"autonomous_system_number": mmdbtype.Uint32(20712), "autonomous_system_organization": mmdbtype.String("Andrews & Arnold Ltd")},
	})
	e, err := Open(cdb, adb)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, c := range []struct {
		addr  string
		want  Info
		found bool
	}{
		{"81.2.69.160", Info{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd", Network: netip.MustParsePrefix("81.2.69.0/24")}, true},
		{"::ffff:81.2.69.1", Info{Country: "GB", ASN: 20712, ASOrg: "Andrews & Arnold Ltd", Network: netip.MustParsePrefix("81.2.69.0/24")}, true},
		{"81.2.1.1", Info{ASN: 20712, ASOrg: "Andrews & Arnold Ltd", Network: netip.MustParsePrefix("81.2.0.0/16")}, true},
		{"2a00:1450::1", Info{Country: "DE", Network: netip.MustParsePrefix("2a00:1450::/32")}, true},
		{"5.62.60.7", Info{Country: "AU", Network: netip.MustParsePrefix("5.62.60.0/24")}, true},
		{"5.62.61.1", Info{}, false},
		{"192.0.2.1", Info{}, false},
	} {
		got, found := e.Lookup(netip.MustParseAddr(c.addr))
		if found != c.found || got != c.want {
			t.Errorf("Lookup(%s) = %+v, %v; want %+v, %v", c.addr, got, found, c.want, c.found)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mmdb")
	if err := os.WriteFile(bad, []byte("this is not a MaxMind database"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{{"", ""}, {bad, ""}, {"", bad}, {filepath.Join(dir, "missing.mmdb"), ""}} {
		if e, err := Open(c[0], c[1]); err == nil {
			e.Close()
			t.Errorf("Open(%q, %q) succeeded", c[0], c[1])
		}
	}
}

// FuzzLookup checks that no database content makes a look-up panic.
// FuzzLookup looks up arbitrary addresses, the untrusted input at query
// time, in a real database. The database file itself is the operator's
// configuration, not untrusted input: arbitrary bytes as a database can
// keep the reader busy past any fuzzing deadline, so they are covered by
// table tests of corrupt files instead.
func FuzzLookup(f *testing.F) {
	dir := f.TempDir()
	tree, _ := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	for _, c := range []struct{ cidr, cc string }{{"81.2.69.0/24", "GB"}, {"2001:db8::/32", "NL"}, {"198.51.100.0/25", "DE"}} {
		_, n, _ := net.ParseCIDR(c.cidr)
		_ = tree.Insert(n, country(c.cc))
	}
	path := filepath.Join(dir, "seed.mmdb")
	fh, err := os.Create(path)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := tree.WriteTo(fh); err != nil {
		f.Fatal(err)
	}
	fh.Close()
	e, err := Open(path, path)
	if err != nil {
		f.Fatal(err)
	}
	defer e.Close()
	for _, s := range []string{"81.2.69.1", "::1", "2001:db8::7", "198.51.100.200", "0.0.0.0", "::ffff:81.2.69.9"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, addr string) {
		a, err := netip.ParseAddr(addr)
		if err != nil {
			return
		}
		e.Lookup(a)
	})
}

// TestOpenCorrupt refuses files that are not MaxMind databases, or are cut
// short, with an error rather than a panic.
func TestOpenCorrupt(t *testing.T) {
	dir := t.TempDir()
	tree, _ := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "GeoLite2-Country", RecordSize: 24})
	_, n, _ := net.ParseCIDR("81.2.69.0/24")
	_ = tree.Insert(n, country("GB"))
	var buf bytes.Buffer
	if _, err := tree.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	for name, data := range map[string][]byte{
		"empty":     {},
		"junk":      []byte("junk"),
		"truncated": good[:len(good)/2],
		"no tree":   good[len(good)-200:],
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".mmdb")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if e, err := Open(p, p); err == nil {
			e.Close()
			t.Errorf("%s: Open succeeded on a corrupt file", name)
		}
	}
}
