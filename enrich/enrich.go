// Package enrich adds the country and autonomous system of IP addresses
// from GeoLite2-format .mmdb files the operator configures (a country
// database, an ASN database, or one file with both). It reads files with
// github.com/oschwald/maxminddb-golang; nothing is fetched from anywhere.
package enrich

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Info is what the databases say about one address.
type Info struct {
	Country string       `json:"country,omitempty"` // ISO 3166-1 alpha-2, upper case
	ASN     uint32       `json:"asn,omitempty"`
	ASOrg   string       `json:"as_org,omitempty"`
	Network netip.Prefix `json:"network,omitzero"` // the most specific network that matched
}

// Enricher looks addresses up. It is safe for concurrent use.
type Enricher struct {
	country *maxminddb.Reader
	asn     *maxminddb.Reader
}

// Open opens the country database and the ASN database (either path may
// be empty, not both; the same file may be given twice). Errors name the
// file.
func Open(countryPath, asnPath string) (*Enricher, error) {
	if countryPath == "" && asnPath == "" {
		return nil, errors.New("enrich: no database given")
	}
	e := &Enricher{}
	var err error
	if countryPath != "" {
		if e.country, err = maxminddb.Open(countryPath); err != nil {
			return nil, fmt.Errorf("opening country database %s: %w", countryPath, err)
		}
	}
	if asnPath != "" {
		if e.asn, err = maxminddb.Open(asnPath); err != nil {
			e.Close()
			return nil, fmt.Errorf("opening ASN database %s: %w", asnPath, err)
		}
	}
	return e, nil
}

// Close closes the databases.
func (e *Enricher) Close() error {
	var errs []error
	for _, r := range []*maxminddb.Reader{e.country, e.asn} {
		if r != nil {
			errs = append(errs, r.Close())
		}
	}
	return errors.Join(errs...)
}

type countryRecord struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

type asnRecord struct {
	Number uint32 `maxminddb:"autonomous_system_number"`
	Org    string `maxminddb:"autonomous_system_organization"`
}

// Lookup returns what the databases say about a, and false when they say
// nothing (private, reserved or unknown addresses). A record that does not
// decode counts as nothing said.
func (e *Enricher) Lookup(a netip.Addr) (Info, bool) {
	var info Info
	found := false
	a = a.Unmap()
	if e.country != nil {
		var rec countryRecord
		if res := e.country.Lookup(a); res.Found() && res.Decode(&rec) == nil {
			info.Country = rec.Country.ISOCode
			if info.Country == "" {
				info.Country = rec.RegisteredCountry.ISOCode
			}
			info.Network = res.Prefix()
			found = found || info.Country != ""
		}
	}
	if e.asn != nil {
		var rec asnRecord
		if res := e.asn.Lookup(a); res.Found() && res.Decode(&rec) == nil && rec.Number != 0 {
			info.ASN, info.ASOrg = rec.Number, rec.Org
			if !info.Network.IsValid() || res.Prefix().Bits() > info.Network.Bits() {
				info.Network = res.Prefix()
			}
			found = true
		}
	}
	return info, found
}
