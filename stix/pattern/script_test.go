package pattern

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestScripts runs the cases in testdata/*.txt. A script is a sequence of
// commands, one per line (blank lines and lines starting with # are
// ignored):
//
//	observations NAME         a set of observations, one per indented line:
//	  FIRST LAST COUNT [SCO, ...]   first_observed, last_observed,
//	                          number_observed and a JSON array of the SCOs
//	                          (an SCO without "id" gets "TYPE--N")
//	bundle NAME               a STIX bundle as indented JSON lines, read
//	                          with DecodeBundle and Observations
//	match NAME PATTERN        PATTERN parses and matches NAME
//	nomatch NAME PATTERN      PATTERN parses and does not match NAME
//	matcherror NAME PATTERN => ERROR
//	                          PATTERN parses; Match fails with ERROR
//	invalid PATTERN => ERROR  PATTERN fails to parse with exactly ERROR
//	print PATTERN => TEXT     PATTERN parses and prints as TEXT
//	simple PATTERN => LIST    Simple gives LIST (TYPE:PATH OP VALUE; ...)
//	                          or "no"
//	required PATTERN => LIST  Required gives LIST or "no"
func TestScripts(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test scripts: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) { runScript(t, f) })
	}
}

type scriptLine struct {
	n    int
	text string
}

func runScript(t *testing.T, file string) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var lines []scriptLine
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		lines = append(lines, scriptLine{n, sc.Text()})
	}
	sets := map[string][]Observation{}
	cases := 0
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		text := strings.TrimSpace(l.text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		where := fmt.Sprintf("%s:%d", file, l.n)
		cmd, rest, _ := strings.Cut(text, " ")
		// The indented block after observations/bundle.
		var block []scriptLine
		if cmd == "observations" || cmd == "bundle" {
			for i+1 < len(lines) && (strings.HasPrefix(lines[i+1].text, " ") || strings.HasPrefix(lines[i+1].text, "\t")) {
				i++
				block = append(block, lines[i])
			}
		}
		switch cmd {
		case "observations":
			obs, err := scriptObservations(block)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sets[rest] = obs
		case "bundle":
			var b strings.Builder
			for _, bl := range block {
				b.WriteString(bl.text)
				b.WriteByte('\n')
			}
			objs, err := DecodeBundle([]byte(b.String()))
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			obs, err := Observations(objs)
			if err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			sets[rest] = obs
		case "match", "nomatch":
			cases++
			name, pat, _ := strings.Cut(rest, " ")
			obs, ok := sets[name]
			if !ok {
				t.Fatalf("%s: no observations named %q", where, name)
			}
			p, err := Parse(pat)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", where, pat, err)
				continue
			}
			checkRoundTrip(t, pat, p)
			got, err := Match(p, obs)
			if err != nil {
				t.Errorf("%s: Match(%q): %v", where, pat, err)
			} else if got != (cmd == "match") {
				t.Errorf("%s: Match(%s, %s) = %v, want %v", where, pat, name, got, !got)
			}
		case "matcherror":
			cases++
			spec, want, ok := strings.Cut(rest, " => ")
			name, pat, _ := strings.Cut(spec, " ")
			obs, found := sets[name]
			if !ok || !found {
				t.Fatalf("%s: want matcherror NAME PATTERN => ERROR, with NAME defined", where)
			}
			p, err := Parse(pat)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", where, pat, err)
				continue
			}
			checkRoundTrip(t, pat, p)
			if _, err := Match(p, obs); err == nil || err.Error() != want {
				t.Errorf("%s: Match(%s)\n got error %v\nwant %s", where, pat, err, want)
			}
		case "invalid", "print", "simple", "required":
			cases++
			pat, want, ok := strings.Cut(rest, " => ")
			if !ok {
				t.Fatalf("%s: want %s PATTERN => RESULT", where, cmd)
			}
			pat = unescapeScript(pat)
			p, err := Parse(pat)
			if cmd == "invalid" {
				if err == nil {
					t.Errorf("%s: Parse(%q) succeeded, want error %q", where, pat, want)
				} else if err.Error() != want {
					t.Errorf("%s: Parse(%q)\n got %s\nwant %s", where, pat, err, want)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", where, pat, err)
				continue
			}
			checkRoundTrip(t, pat, p)
			var got string
			switch cmd {
			case "print":
				got = p.String()
			case "simple":
				got = comparisonsText(p.Simple())
			case "required":
				got = comparisonsText(p.Required())
			}
			if got != want {
				t.Errorf("%s: %s %s\n got %s\nwant %s", where, cmd, pat, got, want)
			}
		default:
			t.Fatalf("%s: unknown command %q", where, cmd)
		}
	}
	if cases == 0 {
		t.Fatalf("%s: no cases", file)
	}
}

// unescapeScript lets a script write a newline in a pattern as \n.
func unescapeScript(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }

func comparisonsText(cs []Comparison, ok bool) string {
	if !ok {
		return "no"
	}
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = c.Type + ":" + c.Path + " " + c.Op + " " + c.Value
	}
	return strings.Join(parts, "; ")
}

func scriptObservations(block []scriptLine) ([]Observation, error) {
	var out []Observation
	for _, bl := range block {
		f := strings.SplitN(strings.TrimSpace(bl.text), " ", 4)
		if len(f) != 4 {
			return nil, fmt.Errorf("line %d: want FIRST LAST COUNT [objects]", bl.n)
		}
		first, err1 := time.Parse(time.RFC3339Nano, f[0])
		last, err2 := time.Parse(time.RFC3339Nano, f[1])
		n, err3 := strconv.Atoi(f[2])
		if err1 != nil || err2 != nil || err3 != nil {
			return nil, fmt.Errorf("line %d: bad FIRST LAST COUNT", bl.n)
		}
		dec := json.NewDecoder(strings.NewReader(f[3]))
		dec.UseNumber()
		var objs []map[string]any
		if err := dec.Decode(&objs); err != nil {
			return nil, fmt.Errorf("line %d: %v", bl.n, err)
		}
		o := Observation{FirstObserved: first, LastObserved: last, NumberObserved: n, Objects: map[string]map[string]any{}}
		for i, obj := range objs {
			id, _ := obj["id"].(string)
			if id == "" {
				id = fmt.Sprintf("%v--%d", obj["type"], i)
			}
			o.Objects[id] = obj
		}
		out = append(out, o)
	}
	return out, nil
}
