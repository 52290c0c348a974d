package stix

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
)

// Kind is the category of a STIX object type (STIX 2.1 section 1.4.4 ff.).
type Kind int

const (
	KindUnknown Kind = iota // a custom object type, or not STIX
	KindSDO                 // STIX Domain Object (section 4)
	KindSRO                 // STIX Relationship Object (section 5)
	KindSCO                 // STIX Cyber-observable Object (section 6)
	KindMeta                // STIX Meta Object: language-content, marking-definition, extension-definition (section 7)
	KindBundle              // the bundle (section 8)
)

func (k Kind) String() string {
	switch k {
	case KindSDO:
		return "SDO"
	case KindSRO:
		return "SRO"
	case KindSCO:
		return "SCO"
	case KindMeta:
		return "meta object"
	case KindBundle:
		return "bundle"
	}
	return "custom object"
}

// KindOf returns the kind of a type the specification defines, and
// KindUnknown for any other (custom) type.
func KindOf(typ string) Kind {
	if b := model.types[typ]; b != nil {
		return b.kind
	}
	return KindUnknown
}

// Types returns the names of every object type STIX 2.1 defines, bundle
// included, in the order of the specification.
func Types() []string {
	return append([]string(nil), model.order...)
}

// valueKind is the JSON shape a property's value must have.
type valueKind int

const (
	vAny valueKind = iota
	vString
	vTimestamp
	vBool
	vInt
	vFloat
	vDict
	vHeaders // a dictionary of header fields: each a string or a list of strings
	vHashes
	vRef
	vExtensions
	vBlock // an embedded object described by a sub block
)

// propSpec is one property of a block.
type propSpec struct {
	name     string
	kind     valueKind
	list     bool
	required bool
	block    string   // for vBlock: the sub block's name
	targets  []string // for vRef: allowed types; "sdo", "sco", "sro" and "*" stand for kinds
	enum     []string // closed vocabulary
	hasMin   bool
	hasMax   bool
	min, max float64
}

// block is an object type, an extension or an embedded type.
type block struct {
	name      string
	kind      Kind   // for object types
	blockKind string // sdo, sro, sco, meta, ext, sub, bundle
	section   string // in the STIX 2.1 specification
	host      string // for predefined extensions: the SCO type they extend
	props     map[string]*propSpec
	order     []string // property names in table order
}

//go:embed spec.txt
var specTable string

// model is the parsed table: constant after package initialisation.
var model = mustParseModel(specTable)

type stixModel struct {
	types  map[string]*block // object types
	blocks map[string]*block // every block, by name
	order  []string          // object types in table order
}

func mustParseModel(text string) *stixModel {
	m, err := parseModel(text)
	if err != nil {
		panic("stix: bad built-in object table: " + err.Error())
	}
	return m
}

func parseModel(text string) (*stixModel, error) {
	m := &stixModel{types: map[string]*block{}, blocks: map[string]*block{}}
	var cur *block
	lastSCO := ""
	for n, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("line %d: %s", n+1, fmt.Sprintf(format, args...))
		}
		switch f[0] {
		case "object":
			if len(f) != 4 {
				return nil, fail("want: object NAME KIND SECTION")
			}
			cur = &block{name: f[1], blockKind: f[2], section: f[3], props: map[string]*propSpec{}}
			switch f[2] {
			case "sdo":
				cur.kind = KindSDO
			case "sro":
				cur.kind = KindSRO
			case "sco":
				cur.kind = KindSCO
				lastSCO = f[1]
			case "meta":
				cur.kind = KindMeta
			case "bundle":
				cur.kind = KindBundle
			case "ext":
				cur.host = lastSCO
			case "sub":
			default:
				return nil, fail("unknown kind %q", f[2])
			}
			if m.blocks[cur.name] != nil {
				return nil, fail("block %s defined twice", cur.name)
			}
			m.blocks[cur.name] = cur
			if cur.kind != KindUnknown {
				m.types[cur.name] = cur
				m.order = append(m.order, cur.name)
			}
			continue
		}
		if cur == nil {
			return nil, fail("property before the first object line")
		}
		if f[0] == "use" {
			src := m.blocks[f[1]]
			if src == nil || len(f) != 2 {
				return nil, fail("use of unknown block %q", f[1])
			}
			for _, name := range src.order {
				p := *src.props[name]
				cur.props[name] = &p
				cur.order = append(cur.order, name)
			}
			continue
		}
		if len(f) < 2 {
			return nil, fail("property %s has no value type", f[0])
		}
		p := &propSpec{name: f[0]}
		v := f[1]
		if strings.HasPrefix(v, "[") && strings.HasSuffix(v, "]") {
			p.list = true
			v = v[1 : len(v)-1]
		}
		switch v {
		case "s":
			p.kind = vString
		case "t":
			p.kind = vTimestamp
		case "b":
			p.kind = vBool
		case "i":
			p.kind = vInt
		case "f":
			p.kind = vFloat
		case "d":
			p.kind = vDict
		case "hdr":
			p.kind = vHeaders
		case "h":
			p.kind = vHashes
		case "any":
			p.kind = vAny
		case "r":
			p.kind = vRef
		case "ext":
			p.kind = vExtensions
		case "er":
			p.kind, p.block = vBlock, "external-reference"
		case "kcp":
			p.kind, p.block = vBlock, "kill-chain-phase"
		case "gm":
			p.kind, p.block = vBlock, "granular-marking"
		default:
			p.kind, p.block = vBlock, v
		}
		for _, flag := range f[2:] {
			switch {
			case flag == "!":
				p.required = true
			case strings.HasPrefix(flag, "r:"):
				p.targets = strings.Split(flag[2:], ",")
			case strings.HasPrefix(flag, "="):
				p.enum = strings.Split(flag[1:], "|")
			case strings.Contains(flag, ".."):
				lo, hi, _ := strings.Cut(flag, "..")
				var err error
				if lo != "" {
					p.hasMin = true
					if p.min, err = strconv.ParseFloat(lo, 64); err != nil {
						return nil, fail("bad range %q", flag)
					}
				}
				if hi != "" {
					p.hasMax = true
					if p.max, err = strconv.ParseFloat(hi, 64); err != nil {
						return nil, fail("bad range %q", flag)
					}
				}
			default:
				return nil, fail("unknown flag %q", flag)
			}
		}
		if p.kind == vRef && len(p.targets) == 0 {
			return nil, fail("reference %s without targets", p.name)
		}
		if _, dup := cur.props[p.name]; dup {
			return nil, fail("property %s twice in %s", p.name, cur.name)
		}
		cur.props[p.name] = p
		cur.order = append(cur.order, p.name)
	}
	for _, b := range m.blocks {
		for _, p := range b.props {
			if p.kind == vBlock && m.blocks[p.block] == nil {
				return nil, fmt.Errorf("block %s: property %s: unknown block %s", b.name, p.name, p.block)
			}
		}
	}
	return m, nil
}

// extensionBlock returns the predefined extension named name if it extends
// objects of type host (STIX 2.1 sections 6.7.2–6.16.2).
func extensionBlock(host, name string) *block {
	b := model.blocks[name]
	if b == nil || b.blockKind != "ext" || b.host != host {
		return nil
	}
	return b
}

// refAllowed reports whether an identifier of type typ may be the target of
// a reference whose allowed targets are targets.
func refAllowed(targets []string, typ string) bool {
	k := KindOf(typ)
	for _, t := range targets {
		switch t {
		case "*":
			return true
		case "sdo":
			// Custom object types (section 11.2) stand in for SDOs and
			// SCOs alike: their kind cannot be known from the id.
			if k == KindSDO || k == KindUnknown {
				return true
			}
		case "sco":
			if k == KindSCO || k == KindUnknown {
				return true
			}
		case "sro":
			if k == KindSRO {
				return true
			}
		default:
			if t == typ {
				return true
			}
		}
	}
	return false
}
