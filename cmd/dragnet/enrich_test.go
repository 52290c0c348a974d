package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// TestServeEnrichment: with GeoIP databases, an address a member publishes
// over TAXII gets its country and autonomous system stored beside it, in
// the same collection and under the same TLP, authored by the operator.
func TestServeEnrichment(t *testing.T) {
	dir := t.TempDir()
	write := func(name, typ, cidr string, rec mmdbtype.Map) string {
		tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, RecordSize: 24})
		if err != nil {
			t.Fatal(err)
		}
		_, n, _ := net.ParseCIDR(cidr)
		if err := tree.Insert(n, rec); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tree.WriteTo(f); err != nil {
			t.Fatal(err)
		}
		f.Close()
		return path
	}
	cdb := write("country.mmdb", "GeoLite2-Country", "81.2.69.0/24", mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String("GB")}})
	adb := write("asn.mmdb", "GeoLite2-ASN", "81.2.0.0/16", mmdbtype.Map{"autonomous_system_number": mmdbtype.Uint32(20712)})
	data := filepath.Join(dir, "data")
	base, _ := serve(t, "--data", data, "--geoip-country", cdb, "--geoip-asn", adb)
	run(t, "org", "add", "--data", data, "--name", "bka", "--country", "DE")
	bka := &client{t, base, "bka", strings.TrimSpace(run(t, "token", "add", "--data", data, "--org", "bka", "--role", "write"))}
	community := bka.collection("community")
	ip := map[string]any{"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--e42a4b3c-b3a1-5a5e-8b8a-2b3f0a5c7c43", "value": "81.2.69.160"}
	if code, st := bka.post(community, ip); code != 202 || st["success_count"] != float64(1) {
		t.Fatalf("publishing the address: %d %v", code, st)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, page := bka.do("GET", community+"objects/?match[type]=relationship,location,autonomous-system", nil)
		if code != 200 {
			t.Fatalf("reading: %d %v", code, page)
		}
		var located, belongs, gb bool
		for _, o := range objects(page) {
			m := o.(map[string]any)
			switch {
			case m["type"] == "relationship" && m["source_ref"] == ip["id"] && m["relationship_type"] == "located-at":
				located = true
			case m["type"] == "relationship" && m["source_ref"] == ip["id"] && m["relationship_type"] == "belongs-to":
				belongs = true
			case m["type"] == "location" && m["country"] == "GB":
				gb = true
			}
		}
		if located && belongs && gb {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no enrichment stored: %v", objects(page))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
