package scenario

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// botnet is a botnet while it is generated.
type botnet struct {
	name, family string
	op           *operator
	c2           []string // command-server addresses
	domains      []string
	infra        string // the vendor's infrastructure object
	bots         []string
	botCountry   []string
	reported     []string // bots some member reported as linked to a command server
}

type operator struct {
	name, handle, country string
	email, wallet, phone  string
	intrusionSet          string
	actors                []string
}

// Generate emits every object of the scenario, each with the index (into
// s.Orgs) of the organisation that reports it, fills s.Truth and returns
// the number of objects. Each organisation's stream starts with its own
// identity. The first error from emit stops generation and is returned.
func (s *Scenario) Generate(emit func(org int, raw []byte) error) (int, error) {
	e := &emitter{r: s.r, t0: t0, orgs: s.Orgs, emit: emit, sent: make([]map[string]bool, len(s.Orgs))}
	for i, o := range s.Orgs {
		e.sent[i] = map[string]bool{}
		cls := "organization"
		e.put(i, map[string]any{
			"type": "identity", "spec_version": "2.1", "id": o.Identity,
			"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
			"name": o.Name, "identity_class": cls, "sectors": []string{sector(o)},
		})
	}
	nets := s.plan()
	// Shared noise first, so botnets can point into it.
	hosting, cdn := s.sharedHosting(e, nets)
	scanners := make([]string, 3)
	for i := range scanners {
		scanners[i] = s.ip(s.country())
	}
	for _, b := range nets {
		s.infrastructure(e, b, hosting, cdn)
		s.bots(e, b, cdn)
		s.operatorReports(e, b)
	}
	s.falseLeads(e, nets)
	for _, b := range nets {
		s.incidents(e, b, nets, scanners)
	}
	for _, b := range nets {
		s.Truth.Botnets = append(s.Truth.Botnets, TruthBotnet{Name: b.name, Operator: b.op.name, C2: b.c2, Domains: b.domains, Bots: b.bots})
		s.Truth.Operators = append(s.Truth.Operators, TruthOperator{Name: b.op.name, Country: b.op.country, Objects: append([]string{b.op.intrusionSet}, b.op.actors...)})
	}
	return e.n, e.err
}

func sector(o Org) string {
	if o.Kind == "vendor" {
		return "technology"
	}
	return "government-public-services"
}

// plan draws each botnet's operator, command servers, domains and bots.
func (s *Scenario) plan() []*botnet {
	var nets []*botnet
	for i := 0; i < s.cfg.Botnets; i++ {
		b := &botnet{name: fmt.Sprintf("botnet-%d", i+1), family: s.word() + pick(s.r, "bot", "loader", "rat", "stealer", "net")}
		op := &operator{name: fmt.Sprintf("operator-%d", i+1), handle: s.word() + pick(s.r, "_x", "666", "master", "king", "0day", "") + fmt.Sprint(s.r.IntN(100)), country: s.country()}
		op.email = strings.ToLower(op.handle) + "@" + pick(s.r, "protonmail.com", "cock.li", "tutanota.com", "yandex.ru", "gmail.com")
		op.wallet = "bc1q" + s.hex(38)
		op.phone = fmt.Sprintf("+%d%09d", 7+s.r.IntN(90), s.r.IntN(1_000_000_000))
		b.op = op
		for j := 0; j < 2+s.r.IntN(3); j++ {
			b.c2 = append(b.c2, s.ip(s.country()))
		}
		for j := 0; j < 2+s.r.IntN(2); j++ {
			b.domains = append(b.domains, s.word()+pick(s.r, "-update", "-cdn", "-api", "-sync", "-check", "")+pick(s.r, ".com", ".net", ".top", ".xyz", ".ru", ".info"))
		}
		// Bots live in a weighted subset of the countries.
		n := s.cfg.Bots/2 + s.r.IntN(s.cfg.Bots+1)
		var where []string
		for _, c := range s.countries {
			if s.r.IntN(10) < 7 {
				for w := 1 + s.r.IntN(4); w > 0; w-- {
					where = append(where, c)
				}
			}
		}
		if len(where) == 0 {
			where = []string{s.countries[0]}
		}
		for j := 0; j < n; j++ {
			c := where[s.r.IntN(len(where))]
			b.bots = append(b.bots, s.ip(c))
			b.botCountry = append(b.botCountry, c)
		}
		nets = append(nets, b)
	}
	return nets
}

// sharedHosting emits the passive-DNS noise: shared hosting and CDN
// addresses with many unrelated names, and benign look-alikes of the
// botnets' domains. It returns the hosting and CDN addresses.
func (s *Scenario) sharedHosting(e *emitter, nets []*botnet) (hosting, cdn []string) {
	v := s.vendors[0]
	for i := 0; i < 3+len(nets)/2; i++ {
		hosting = append(hosting, s.ip(s.country()))
	}
	for i := 0; i < 2; i++ {
		cdn = append(cdn, fmt.Sprintf("104.%d.%d.%d", 16+s.r.IntN(8), s.r.IntN(256), 1+s.r.IntN(254)))
	}
	for _, h := range hosting {
		for j := 12 + s.r.IntN(30); j > 0; j-- {
			e.domain(v, s.word()+pick(s.r, "-shop", "-blog", "-studio", "-travel", "")+pick(s.r, ".com", ".de", ".net", ".org"), []string{h})
		}
	}
	for _, c := range cdn {
		for j := 15 + s.r.IntN(20); j > 0; j-- {
			e.domain(v, pick(s.r, "www.", "static.", "")+s.word()+pick(s.r, ".com", ".io", ".net"), []string{c})
		}
	}
	for _, b := range nets {
		for _, d := range b.domains {
			// A benign look-alike of the botnet's domain, on shared hosting.
			e.domain(v, lookAlike(d), []string{hosting[s.r.IntN(len(hosting))]})
		}
	}
	return hosting, cdn
}

func lookAlike(d string) string {
	r := strings.NewReplacer("o", "0", "i", "1", "l", "1", "e", "3")
	if l := r.Replace(d); l != d {
		return l
	}
	return "my" + d
}

// infrastructure emits a vendor's report of a botnet's command servers.
func (s *Scenario) infrastructure(e *emitter, b *botnet, hosting, cdn []string) {
	v := s.vendors[s.r.IntN(len(s.vendors))]
	day := float64(s.r.IntN(30))
	b.infra = e.sdo(v, "infrastructure", day, map[string]any{
		"name": b.family + " C2", "infrastructure_types": []string{"command-and-control", "botnet"}, "first_seen": e.ts(day),
	})
	mal := e.sdo(v, "malware", day, map[string]any{"name": b.family, "is_family": true, "malware_types": []string{"bot"}})
	e.rel(v, day, b.infra, "controls", mal, 0)
	cert := e.sco(v, "x509-certificate", map[string]any{
		"hashes": map[string]any{"SHA-256": s.hex(64)}, "serial_number": s.hex(16),
	}, map[string]any{"subject": "CN=" + b.domains[0], "issuer": "CN=" + b.domains[0]})
	for _, ip := range b.c2 {
		id := e.ipv4(v, ip)
		e.rel(v, day, b.infra, "consists-of", id, 0)
		ind := e.indicator(v, day, "C2 "+ip, fmt.Sprintf("[ipv4-addr:value = '%s']", ip), "malicious-activity")
		e.rel(v, day, ind, "indicates", b.infra, 0)
		fo, lo := e.span(day, 5)
		e.sdo(v, "observed-data", day, map[string]any{
			"first_observed": fo, "last_observed": lo, "number_observed": 1 + s.r.IntN(20),
			"object_refs": []string{id, cert},
		})
	}
	for _, d := range b.domains {
		res := []string{b.c2[s.r.IntN(len(b.c2))]}
		if s.r.IntN(2) == 0 {
			res = append(res, hosting[s.r.IntN(len(hosting))])
		}
		if s.r.IntN(2) == 0 {
			res = append(res, cdn[s.r.IntN(len(cdn))])
		}
		id := e.domain(v, d, res)
		e.rel(v, day, b.infra, "consists-of", id, 0)
		ind := e.indicator(v, day, "C2 domain "+d, fmt.Sprintf("[domain-name:value = '%s']", d), "malicious-activity")
		e.rel(v, day, ind, "indicates", b.infra, 0)
	}
	// A CERT in the hosting country sees the command servers too.
	for _, ip := range b.c2 {
		if s.r.IntN(2) == 0 {
			org := s.reporter(s.country())
			ind := e.indicator(org, day+3, "Botnet controller "+ip, fmt.Sprintf("[ipv4-addr:value = '%s']", ip), "malicious-activity")
			fs, ls := e.span(day+3, 6)
			e.sdo(org, "sighting", day+3, map[string]any{
				"sighting_of_ref": ind, "where_sighted_refs": []string{s.Orgs[org].Identity},
				"first_seen": fs, "last_seen": ls, "count": 1 + s.r.IntN(50),
			})
		}
	}
}

// bots emits each bot as its country's members report it: an indicator,
// a sighting and, for most, the observed connection to a command server.
func (s *Scenario) bots(e *emitter, b *botnet, cdn []string) {
	for i, ip := range b.bots {
		org := s.reporter(b.botCountry[i])
		day := float64(20 + s.r.IntN(150))
		bot := e.ipv4(org, ip)
		ind := e.indicator(org, day, "Infected host "+ip, fmt.Sprintf("[ipv4-addr:value = '%s']", ip), "compromised")
		fs, ls := e.span(day, 20)
		sight := map[string]any{
			"sighting_of_ref": ind, "where_sighted_refs": []string{s.Orgs[org].Identity},
			"first_seen": fs, "last_seen": ls, "count": 1 + s.r.IntN(200),
		}
		// Most bots are known because a sinkhole, a sensor or a seized
		// server saw them talk to a command server; a few only as
		// "infected" with no more said.
		if s.r.IntN(100) < 97 {
			var dst string
			var also []string
			switch k := s.r.IntN(20); {
			case k == 0:
				// Fronted through a CDN: the name shows in the TLS handshake.
				dst = e.ipv4(org, cdn[s.r.IntN(len(cdn))])
				also = []string{e.domain(org, b.domains[s.r.IntN(len(b.domains))], nil)}
			case k < 6:
				dst = e.domain(org, b.domains[s.r.IntN(len(b.domains))], nil)
			default:
				dst = e.ipv4(org, b.c2[s.r.IntN(len(b.c2))])
			}
			nt := e.sco(org, "network-traffic", map[string]any{
				"src_ref": bot, "dst_ref": dst, "dst_port": pick(s.r, 443, 8443, 80, 4444), "protocols": []string{"ipv4", "tcp"},
			}, nil)
			fo, lo := e.span(day, 1)
			od := e.sdo(org, "observed-data", day, map[string]any{
				"first_observed": fo, "last_observed": lo, "number_observed": 1 + s.r.IntN(40),
				"object_refs": append([]string{bot, dst, nt}, also...),
			})
			sight["observed_data_refs"] = []string{od}
			b.reported = append(b.reported, ip)
		}
		e.sdo(org, "sighting", day, sight)
	}
}

// operatorReports emits the intrusion set a vendor tracks, the threat
// actor the operator's country's police know, with personas and location,
// and sometimes a second threat actor from another country's case.
func (s *Scenario) operatorReports(e *emitter, b *botnet) {
	op := b.op
	v := s.vendors[s.r.IntN(len(s.vendors))]
	day := float64(30 + s.r.IntN(60))
	op.intrusionSet = e.sdo(v, "intrusion-set", day, map[string]any{"name": strings.ToUpper(s.word()[:1]) + s.word() + " " + pick(s.r, "Spider", "Bear", "Panda", "Kitten", "Tempest", "Typhoon")})
	e.rel(v, day, op.intrusionSet, "uses", b.infra, 85)

	police := s.police[op.country]
	ta := e.sdo(police, "threat-actor", day+10, map[string]any{
		"name": op.handle, "threat_actor_types": []string{"crime-syndicate"}, "aliases": []string{op.handle},
		"sophistication": "advanced", "resource_level": "organization", "primary_motivation": "personal-gain",
	})
	op.actors = append(op.actors, ta)
	loc := e.sdo(police, "location", day+10, map[string]any{"name": op.country, "country": op.country})
	e.rel(police, day+10, ta, "located-at", loc, 90)
	email := e.sco(police, "email-addr", map[string]any{"value": op.email}, nil)
	acct := e.sco(police, "user-account", map[string]any{"account_type": "forum", "account_login": op.handle, "user_id": op.handle}, nil)
	wallet := e.sco(police, "x-crypto-wallet", map[string]any{"address": op.wallet}, map[string]any{"currency": "BTC"})
	phone := e.sco(police, "x-phone-number", map[string]any{"value": op.phone}, nil)
	for _, p := range []string{email, acct, wallet, phone} {
		e.rel(police, day+10, ta, "related-to", p, 80)
	}
	if s.r.IntN(10) < 6 {
		e.rel(v, day+12, op.intrusionSet, "attributed-to", ta, 70)
	} else {
		// The vendor only knows who registered a command domain.
		ve := e.sco(v, "email-addr", map[string]any{"value": op.email}, nil)
		e.rel(v, day+12, e.domain(v, b.domains[0], nil), "related-to", ve, 60)
	}
	if s.r.IntN(2) == 0 {
		other := s.police[s.country()]
		ta2 := e.sdo(other, "threat-actor", day+40, map[string]any{
			"name": s.word() + fmt.Sprint(s.r.IntN(1000)), "threat_actor_types": []string{"criminal"},
		})
		op.actors = append(op.actors, ta2)
		w := e.sco(other, "x-crypto-wallet", map[string]any{"address": op.wallet}, map[string]any{"currency": "BTC"})
		e.rel(other, day+40, ta2, "related-to", w, 70)
		if s.r.IntN(2) == 0 {
			a := e.sco(other, "user-account", map[string]any{"account_type": "forum", "account_login": op.handle, "user_id": op.handle}, nil)
			e.rel(other, day+40, ta2, "related-to", a, 70)
		}
	}
}

// falseLeads emits weak, wrong attributions and suspects who are not
// operators.
func (s *Scenario) falseLeads(e *emitter, nets []*botnet) {
	for i, b := range nets {
		if len(nets) > 1 && s.r.IntN(10) < 4 {
			other := nets[(i+1+s.r.IntN(len(nets)-1))%len(nets)]
			org := s.reporter(s.country())
			e.rel(org, 100, other.op.intrusionSet, "uses", b.infra, 15+s.r.IntN(15))
		}
		if s.r.IntN(2) == 0 {
			org := s.police[s.country()]
			sus := e.sdo(org, "threat-actor", 110, map[string]any{"name": s.word() + fmt.Sprint(s.r.IntN(100)), "threat_actor_types": []string{"hacker"}})
			loc := e.sdo(org, "location", 110, map[string]any{"country": s.Orgs[org].Country})
			e.rel(org, 110, sus, "located-at", loc, 50)
			e.rel(org, 110, sus, "related-to", e.ipv4(org, b.bots[s.r.IntN(len(b.bots))]), 30)
		}
	}
}

// incidents emits the incidents victims report: the attacking addresses
// (mostly the botnet's bots, with scanners and other botnets' hosts mixed
// in) and sometimes the wallet a ransom was demanded to.
func (s *Scenario) incidents(e *emitter, b *botnet, nets []*botnet, scanners []string) {
	for i := 0; i < s.cfg.Incidents; i++ {
		victim := s.country()
		org := s.reporter(victim)
		day := float64(60 + s.r.IntN(120))
		inc := e.sdo(org, "incident", day, map[string]any{
			"name": fmt.Sprintf("%s against %s %s", pick(s.r, "DDoS", "Credential stuffing", "Ransomware", "Spam wave"), victim, pick(s.r, "bank", "hospital", "ministry", "retailer", "ISP")),
		})
		var refs []string
		for k := 5 + s.r.IntN(16); k > 0; k-- {
			refs = append(refs, e.ipv4(org, b.bots[s.r.IntN(len(b.bots))]))
		}
		if s.r.IntN(10) < 4 {
			refs = append(refs, e.ipv4(org, scanners[s.r.IntN(len(scanners))]))
		}
		if len(nets) > 1 && s.r.IntN(4) == 0 {
			o := nets[s.r.IntN(len(nets))]
			refs = append(refs, e.ipv4(org, o.bots[s.r.IntN(len(o.bots))]))
		}
		fo, lo := e.span(day, 2)
		od := e.sdo(org, "observed-data", day, map[string]any{
			"first_observed": fo, "last_observed": lo, "number_observed": len(refs), "object_refs": dedupe(refs),
		})
		e.rel(org, day, inc, "related-to", od, 0)
		if s.r.IntN(10) < 3 {
			w := e.sco(org, "x-crypto-wallet", map[string]any{"address": b.op.wallet}, map[string]any{"currency": "BTC"})
			e.rel(org, day, inc, "related-to", w, 0)
		}
		s.Truth.Incidents = append(s.Truth.Incidents, TruthIncident{ID: inc, Reporter: s.Orgs[org].Name, Botnet: b.name, Operator: b.op.name})
	}
}

func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

var syllables = []string{"ka", "zor", "vel", "mi", "tra", "nox", "ul", "qua", "ser", "dra", "phi", "lo", "ven", "gri", "sta", "bel", "ox", "ri", "tek", "mon"}

func (s *Scenario) word() string {
	var b strings.Builder
	for n := 2 + s.r.IntN(2); n > 0; n-- {
		b.WriteString(syllables[s.r.IntN(len(syllables))])
	}
	return b.String()
}

func (s *Scenario) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[s.r.IntN(16)]
	}
	return string(b)
}

func pick[T any](r *rand.Rand, choices ...T) T { return choices[r.IntN(len(choices))] }
