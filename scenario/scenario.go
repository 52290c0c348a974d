// Package scenario generates realistic multi-country botnet campaigns as
// STIX 2.1 intelligence, one stream of objects per reporting organisation,
// together with the truth: which bot belongs to which botnet, who operates
// which command server, and who is behind each incident. Analysts train on
// the scenarios; tests and benchmarks score correlation, clustering and
// tracing against the truth.
//
// A scenario is deterministic by seed. What it contains is what real
// reporting looks like: members report the infected hosts in their own
// country (indicators, sightings, observed connections to command
// servers); vendors report command-and-control infrastructure, domains,
// certificates and the intrusion sets using them; police units report
// threat actors with their personas (e-mail addresses, user accounts,
// crypto wallets, phone numbers) and locations; victims report incidents
// with the attacking addresses. Noise is mixed in: shared hosting and CDN
// addresses that many unrelated names resolve to, benign look-alike
// domains, research scanners in incidents, hosts of other botnets, weak
// attributions to the wrong actors, and suspects who are not operators.
package scenario

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// Config says how large a scenario is. Zero fields take the defaults.
type Config struct {
	Seed      uint64
	Countries int // reporting countries, 2..40; default 12
	Botnets   int // default 4
	Bots      int // mean bots per botnet; default 150
	Incidents int // incidents per botnet; default 6
}

func (c *Config) defaults() error {
	if c.Countries == 0 {
		c.Countries = 12
	}
	if c.Botnets == 0 {
		c.Botnets = 4
	}
	if c.Bots == 0 {
		c.Bots = 150
	}
	if c.Incidents == 0 {
		c.Incidents = 6
	}
	switch {
	case c.Countries < 2 || c.Countries > len(countryPool):
		return dragnet.Errorf(dragnet.EINVALID, "countries: %d is not between 2 and %d", c.Countries, len(countryPool))
	case c.Botnets < 1 || c.Botnets > 1000:
		return dragnet.Errorf(dragnet.EINVALID, "botnets: %d is not between 1 and 1000", c.Botnets)
	case c.Bots < 10 || c.Bots > 2_000_000:
		return dragnet.Errorf(dragnet.EINVALID, "bots: %d is not between 10 and 2000000", c.Bots)
	case c.Incidents < 1 || c.Incidents > 10_000:
		return dragnet.Errorf(dragnet.EINVALID, "incidents: %d is not between 1 and 10000", c.Incidents)
	}
	return nil
}

// Org is a reporting organisation of the scenario. Identity is the STIX
// identity id its objects name as created_by_ref.
type Org struct {
	Name     string          `json:"name"`
	Country  string          `json:"country"`
	Kind     dragnet.OrgKind `json:"kind"`
	Identity string          `json:"identity"`
}

// Truth is what really happened.
type Truth struct {
	Seed      uint64          `json:"seed"`
	Orgs      []Org           `json:"orgs"`
	Botnets   []TruthBotnet   `json:"botnets"`
	Operators []TruthOperator `json:"operators"`
	Incidents []TruthIncident `json:"incidents"`
}

// TruthBotnet lists a botnet's command servers, domains and bots.
type TruthBotnet struct {
	Name     string   `json:"name"`
	Operator string   `json:"operator"`
	C2       []string `json:"c2"`
	Domains  []string `json:"domains"`
	Bots     []string `json:"bots"`
}

// TruthOperator is one operator and every STIX object (threat actors,
// intrusion sets) standing for them in members' reports.
type TruthOperator struct {
	Name    string   `json:"name"`
	Country string   `json:"country"`
	Objects []string `json:"objects"`
}

// TruthIncident is one reported incident and who is really behind it.
type TruthIncident struct {
	ID       string `json:"id"`
	Reporter string `json:"reporter"`
	Botnet   string `json:"botnet"`
	Operator string `json:"operator"`
}

// Scenario is a planned campaign: its organisations are known before any
// object is generated, so callers can create them first.
type Scenario struct {
	cfg   Config
	Orgs  []Org
	Truth Truth

	r         *rand.Rand
	countries []string
	blocks    map[string][]int // country -> first octets of its address space
	police    map[string]int   // country -> org index
	certs     map[string]int
	vendors   []int
	usedIPs   map[uint32]bool
}

// countryPool is where scenarios draw their countries from.
var countryPool = []string{
	"DE", "FR", "NL", "PL", "RO", "UA", "BR", "US", "GB", "IN", "VN", "TR", "ES", "IT", "ID", "NG",
	"KR", "JP", "MX", "AR", "ZA", "EG", "CA", "AU", "SE", "CZ", "HU", "BG", "MD", "KZ", "TH", "PH",
	"MY", "PK", "CO", "CL", "PT", "AT", "BE", "LT",
}

// New plans a scenario. EINVALID for an out-of-range configuration.
func New(cfg Config) (*Scenario, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	s := &Scenario{
		cfg:     cfg,
		r:       rand.New(rand.NewPCG(cfg.Seed, 0x6472616e6574)),
		blocks:  map[string][]int{},
		police:  map[string]int{},
		certs:   map[string]int{},
		usedIPs: map[uint32]bool{},
	}
	pool := append([]string(nil), countryPool...)
	s.r.Shuffle(len(pool), func(i, j int) { pool[i], pool[j] = pool[j], pool[i] })
	s.countries = pool[:cfg.Countries]

	var octets []int
	for o := 1; o < 224; o++ {
		switch o {
		case 10, 100, 104, 127, 169, 172, 192, 198, 203:
			continue
		}
		octets = append(octets, o)
	}
	s.r.Shuffle(len(octets), func(i, j int) { octets[i], octets[j] = octets[j], octets[i] })
	for i, c := range s.countries {
		s.blocks[c] = []int{octets[2*i], octets[2*i+1]}
	}
	add := func(name, cc string, kind dragnet.OrgKind) int {
		s.Orgs = append(s.Orgs, Org{Name: name, Country: cc, Kind: kind, Identity: "identity--" + randomUUID(s.r)})
		return len(s.Orgs) - 1
	}
	for i, c := range s.countries {
		s.police[c] = add(c+" Cyber Crime Unit", c, dragnet.KindLawEnforcement)
		if i%2 == 0 {
			s.certs[c] = add("CERT-"+c, c, dragnet.KindCERT)
		}
	}
	for i := 0; i < 2+cfg.Countries/6; i++ {
		s.vendors = append(s.vendors, add(fmt.Sprintf("%s Threat Labs", vendorNames[i%len(vendorNames)]), s.countries[s.r.IntN(len(s.countries))], dragnet.KindVendor))
	}
	s.Truth.Seed = cfg.Seed
	s.Truth.Orgs = s.Orgs
	return s, nil
}

var vendorNames = []string{"Northwind", "Bluefin", "Kestrel", "Ironbark", "Lumen", "Quartz", "Halcyon", "Tamarack"}

// reporter returns an organisation of country c that reports local hosts:
// its police unit or its CERT.
func (s *Scenario) reporter(c string) int {
	if cert, ok := s.certs[c]; ok && s.r.IntN(2) == 0 {
		return cert
	}
	return s.police[c]
}

// ip returns a fresh address in country c's space.
func (s *Scenario) ip(c string) string {
	b := s.blocks[c]
	for {
		a := uint32(b[s.r.IntN(len(b))])<<24 | uint32(s.r.IntN(256))<<16 | uint32(s.r.IntN(256))<<8 | uint32(1+s.r.IntN(254))
		if !s.usedIPs[a] {
			s.usedIPs[a] = true
			return fmt.Sprintf("%d.%d.%d.%d", a>>24, a>>16&255, a>>8&255, a&255)
		}
	}
}

func (s *Scenario) country() string { return s.countries[s.r.IntN(len(s.countries))] }

// t0 is when every scenario's timeline starts.
var t0 = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
