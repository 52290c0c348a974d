package dragnet

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
	"unicode"
)

// OrgKind says what sort of member an organisation is.
type OrgKind string

const (
	KindLawEnforcement OrgKind = "law-enforcement"
	KindCERT           OrgKind = "cert"
	KindVendor         OrgKind = "vendor"
	KindNode           OrgKind = "node"
	KindOther          OrgKind = "other"
)

// Valid reports whether k is one of the defined kinds.
func (k OrgKind) Valid() bool {
	switch k {
	case KindLawEnforcement, KindCERT, KindVendor, KindNode, KindOther:
		return true
	}
	return false
}

// Org is a member organisation of the exchange.
type Org struct {
	ID       int64
	Name     string
	Country  string // ISO 3166-1 alpha-2, upper case
	Kind     OrgKind
	Identity string // the STIX identity id that stands for this organisation
	Operator bool   // the hub's operator organisation, created on first start
	Created  time.Time
	// IDKey is a secret of the hub, random per organisation and never
	// shown: it keys the deterministic ids the hub derives for this
	// organisation's objects (feed entries, sightings), so that no one
	// else can compute them and probe, by submitting one, whether the
	// organisation holds it. See IDScope.
	IDKey string `json:"-"`
}

// IDScope is what the deterministic ids of the organisation's objects are
// derived from: its identity and its IDKey.
func (o *Org) IDScope() string { return o.Identity + "\x1f" + o.IDKey }

// Validate checks the organisation's name, country and kind and normalises
// the country to upper case. Errors are EINVALID and name the field.
func (o *Org) Validate() error {
	if err := ValidateName("name", o.Name); err != nil {
		return err
	}
	o.Country = strings.ToUpper(strings.TrimSpace(o.Country))
	if !ValidCountry(o.Country) {
		return Errorf(EINVALID, "country %q is not an ISO 3166-1 alpha-2 code", o.Country)
	}
	if o.Kind == "" {
		o.Kind = KindOther
	}
	if !o.Kind.Valid() {
		return Errorf(EINVALID, "kind %q is not one of law-enforcement, cert, vendor, node, other", o.Kind)
	}
	return nil
}

// ValidateName checks the name of an organisation or group: 1 to 100
// characters, printable, no leading or trailing space, no comma or colon
// (commas separate lists on the command line; a colon would break HTTP Basic
// user names).
func ValidateName(field, name string) error {
	if name == "" {
		return Errorf(EINVALID, "%s is required", field)
	}
	if len(name) > 100 {
		return Errorf(EINVALID, "%s is longer than 100 bytes", field)
	}
	if strings.TrimSpace(name) != name {
		return Errorf(EINVALID, "%s %q has leading or trailing space", field, name)
	}
	for i, r := range name {
		if r == ',' || r == ':' || !unicode.IsPrint(r) {
			return Errorf(EINVALID, "%s %q has a forbidden character %q at byte %d", field, name, r, i)
		}
	}
	return nil
}

// CountryInternational is the country of organisations that belong to no
// one country (an international hub operator, say): ISO 3166-1 leaves "ZZ"
// to users, and it is the customary code for "unknown or international".
const CountryInternational = "ZZ"

// ValidCountry reports whether cc is an officially assigned ISO 3166-1
// alpha-2 code (upper case) or CountryInternational.
func ValidCountry(cc string) bool {
	if len(cc) != 2 {
		return false
	}
	if cc == CountryInternational {
		return true
	}
	return strings.Contains(iso3166, " "+cc+" ")
}

// iso3166 lists the 249 officially assigned ISO 3166-1 alpha-2 codes.
const iso3166 = " AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ" +
	" CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR" +
	" GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP" +
	" KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU" +
	" MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW" +
	" SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ" +
	" UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW "

// NewIDKey returns a new random IDKey.
func NewIDKey() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("dragnet: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// ForViewer returns o as p may see it: without the IDKey unless p is the
// system or o itself. Stores return organisations through it.
func (o *Org) ForViewer(p Principal) *Org {
	if p.System || (p.Org != nil && p.Org.ID == o.ID) {
		return o
	}
	c := *o
	c.IDKey = ""
	return &c
}
