package stix

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaFS holds the official STIX 2.1 JSON schemas (OASIS
// cti-stix2-json-schemas, BSD-3-Clause, see schemas/LICENSE), unmodified.
//
//go:embed schemas
var schemaFS embed.FS

// schemaBase is the prefix of every schema's $id; the rest of the $id is the
// file's path under schemas/, so the schemas resolve each other offline.
const schemaBase = "http://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/stix2.1/"

// SchemaMode says which objects a Validator also checks against the
// official JSON schemas.
type SchemaMode int

const (
	// SchemaCold checks every type against its schema except the hot
	// ingest types (HotTypes), for which the hand-written rules, which
	// cover everything their schemas check, are authoritative.
	SchemaCold SchemaMode = iota
	// SchemaAll checks every object against its schema.
	SchemaAll
	// SchemaOff applies the hand-written rules only.
	SchemaOff
)

// HotTypes are the types most objects on the ingest path have; in
// SchemaCold mode their hand-written rules are authoritative.
var HotTypes = []string{"indicator", "relationship", "sighting", "observed-data",
	"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file"}

// Validator validates objects. It is safe for concurrent use; build one with
// NewValidator and keep it (compiling the schemas takes milliseconds).
type Validator struct {
	mode    SchemaMode
	schemas map[string]*jsonschema.Schema // by type
	sdoCore *jsonschema.Schema            // custom objects with created
	scoCore *jsonschema.Schema            // custom objects without
	hot     map[string]bool
}

// NewValidator compiles the embedded schemas (unless mode is SchemaOff).
func NewValidator(mode SchemaMode) (*Validator, error) {
	v := &Validator{mode: mode, schemas: map[string]*jsonschema.Schema{}, hot: map[string]bool{}}
	for _, t := range HotTypes {
		v.hot[t] = true
	}
	if mode == SchemaOff {
		return v, nil
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	var files []string
	err := fs.WalkDir(schemaFS, "schemas", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		data, err := schemaFS.ReadFile(p)
		if err != nil {
			return err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("schema %s: %w", p, err)
		}
		if err := c.AddResource(schemaBase+p, doc); err != nil {
			return fmt.Errorf("schema %s: %w", p, err)
		}
		files = append(files, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading STIX schemas: %w", err)
	}
	for _, p := range files {
		dir, file := path.Split(p)
		name := strings.TrimSuffix(file, ".json")
		switch {
		case strings.HasSuffix(dir, "common/"):
			switch name {
			case "marking-definition", "language-content", "extension-definition", "bundle":
			case "core", "cyber-observable-core":
			default:
				continue
			}
		}
		sch, err := c.Compile(schemaBase + p)
		if err != nil {
			return nil, fmt.Errorf("compiling STIX schema %s: %w", p, err)
		}
		switch name {
		case "core":
			v.sdoCore = sch
		case "cyber-observable-core":
			v.scoCore = sch
		default:
			v.schemas[name] = sch
		}
	}
	return v, nil
}

// emailFormat checks the JSON-schema "email" format (RFC 5321/5322
// addr-spec, the domain a host name or an address literal): the check the
// official schemas apply to email-addr values, for the hand-written rules.
var emailFormat = sync.OnceValue(func() *jsonschema.Schema { return formatSchema("email") })

// uriFormat checks the JSON-schema "uri" format (an absolute RFC 3986
// URI), which the official schemas apply to external reference URLs.
var uriFormat = sync.OnceValue(func() *jsonschema.Schema { return formatSchema("uri") })

func formatSchema(format string) *jsonschema.Schema {
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(format+".json", map[string]any{"type": "string", "format": format}); err != nil {
		panic(err) // a constant schema: a build defect, found by the tests
	}
	return c.MustCompile(format + ".json")
}

// schemaPrinter renders schema error messages.
var schemaPrinter = message.NewPrinter(language.English)

var defaultValidator = sync.OnceValue(func() *Validator {
	v, err := NewValidator(SchemaCold)
	if err != nil {
		// The schemas are embedded: this is a build defect, found by
		// the package's tests.
		panic(err)
	}
	return v
})

// SchemaChecked reports whether v checks objects of type typ against a
// JSON schema.
//
// A bundle is never checked against bundle.json: that schema refuses
// bundles holding custom objects (a known defect of it), and a bundle's
// objects are validated one by one (DecodeBundle, Validate).
func (v *Validator) SchemaChecked(typ string) bool {
	if typ == "bundle" {
		return false
	}
	switch v.mode {
	case SchemaOff:
		return false
	case SchemaCold:
		return !v.hot[typ]
	}
	return true
}

// Validate checks one object's JSON; see the package function Validate for
// what it checks.
func (v *Validator) Validate(raw []byte) error {
	// The parsed copy shares raw's memory (no string copies): it is
	// dropped before Validate returns, and add clones what errors keep.
	doc, err := parseJSONAlias(raw)
	if err != nil {
		return ValidationErrors{{Rule: RuleJSON, Message: err.Error()}}
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return ValidationErrors{{Rule: RuleJSON, Message: "a STIX object must be a JSON object, not " + jsonTypeName(doc)}}
	}
	return v.validateMap(obj)
}

func (v *Validator) validateMap(obj map[string]any) error {
	c := checker{obj: obj}
	c.id, _ = obj["id"].(string)
	c.checkRules()
	if c.typ != "" && v.SchemaChecked(c.typ) && !c.full() {
		v.checkSchema(&c)
	}
	if len(c.errs) == 0 {
		return nil
	}
	return c.errs
}

func (v *Validator) checkSchema(c *checker) {
	sch := v.schemas[c.typ]
	if sch == nil {
		if KindOf(c.typ) != KindUnknown {
			return
		}
		if _, ok := c.obj["created"]; ok {
			sch = v.sdoCore
		} else {
			sch = v.scoCore
		}
	}
	if sch == nil {
		return
	}
	err := sch.Validate(c.obj)
	if err == nil {
		return
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		c.add("", RuleSchema, "%v", err)
		return
	}
	reported := map[string]bool{}
	for _, e := range c.errs {
		reported[e.Path] = true
	}
	for _, leaf := range schemaLeaves(ve, nil) {
		p := instancePath(leaf.InstanceLocation)
		msg := leaf.ErrorKind.LocalizedString(schemaPrinter)
		if reported[p] || schemaOverStrict(c.typ, p, msg) {
			continue
		}
		reported[p] = true
		c.add(p, RuleSchema, "%s (official STIX 2.1 schema)", msg)
	}
}

// schemaOverStrict reports whether a schema problem is one where the
// official schemas are stricter than the specification's text, which
// Validate follows: an http-request-ext request_header field given as one
// string (as 6.12.2's own example does), an artifact mime_type outside the
// IANA top-level types (6.1 says SHOULD), and a granular marking with lang
// instead of marking_ref (7.2.3 allows either).
func schemaOverStrict(typ, path, msg string) bool {
	switch {
	case typ == "network-traffic" && strings.HasPrefix(path, "extensions.http-request-ext.request_header"):
	case typ == "artifact" && path == "mime_type":
	case strings.HasPrefix(path, "granular_markings[") && strings.Contains(msg, "marking_ref"):
	default:
		return false
	}
	return true
}

// schemaLeaves flattens a schema error to its innermost causes.
func schemaLeaves(e *jsonschema.ValidationError, out []*jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(e.Causes) == 0 {
		return append(out, e)
	}
	for _, c := range e.Causes {
		out = schemaLeaves(c, out)
	}
	return out
}

// instancePath turns a JSON-pointer token list into this package's path
// syntax: name.name[index].
func instancePath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if t != "" && allDigits(t) && b.Len() > 0 {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}
