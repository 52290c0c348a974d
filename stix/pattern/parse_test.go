package pattern

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// goodPatterns are valid patterns and their canonical printed form ("" when
// the pattern prints as written).
var goodPatterns = []struct{ in, out string }{
	{"[ipv4-addr:value = '198.51.100.1/32']", ""},
	{"[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']", ""},
	{"[file:hashes.MD5 = '79054025255fb1a26e4bc422aef54eb4']", ""},
	{"[domain-name:value = 'x.example' OR url:value = 'http://y.example/']", ""},
	{"[ipv4-addr:value ISSUBSET '198.51.100.0/24']", ""},
	{"[ipv4-addr:value ISSUPERSET '198.51.100.7']", ""},
	{"[ipv4-addr:value IN ('1.2.3.4', '5.6.7.8')]", ""},
	{"[x:y IN ()]", ""},
	{"[url:value LIKE 'http://%.example/_']", ""},
	{"[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$']", ""},
	{"[email-message:body_multipart[*].body_raw_ref.name MATCHES '^Final Report.+\\\\.exe$']", ""},
	{"[email-message:to_refs[0].value = 'a@example.com']", ""},
	{"[file:size >= 100 AND file:size < 2.5e0x]", "-"}, // error; see badPatterns
	{"[file:size > -5 AND file:size <= +10]", ""},
	{"[file:size != .5]", ""},
	{"[file:size <> 5]", "[file:size != 5]"},
	{"[file:size == 5]", "[file:size = 5]"},
	{"[file:name NOT = 'a']", ""},
	{"[file:name NOT IN ('a', 'b')]", ""},
	{"[file:name NOT LIKE 'a%']", ""},
	{"[EXISTS windows-registry-key:values]", ""},
	{"[file:name = 'x' AND EXISTS file:parent_directory_ref]", ""},
	{"[a:b[-1] = 'x']", ""},
	{"[a:'AND'.'true'.'or' = 'x']", "[a:'AND'.'true'.or = 'x']"},
	{"[artifact:payload_bin = b'aGVsbG8=']", ""},
	{"[file:magic_number_hex = h'ffd8']", ""},
	{"[file:created = t'2016-01-01T00:00:00Z']", ""},
	{"[file:created > t'2016-01-01T00:00:00.123Z']", ""},
	{"[x:flag = true] AND [x:flag = false]", ""},
	{"[network-traffic:start > t'2016-01-01T00:00:00Z']", ""},
	{"[network-traffic:'dst port' = 80]", ""},
	{"[a:b = 'it\\'s \\\\ ok']", ""},
	{"[a:b = 'x'] AND [c:d = 'y'] OR [e:f = 'z'] FOLLOWEDBY [g:h = 'w']", ""},
	{"[a:b = 'x'] AND ([c:d = 'y'] OR [e:f = 'z'])", ""},
	{"([a:b = 'x'] AND [c:d = 'y'])", "[a:b = 'x'] AND [c:d = 'y']"},
	{"[a:b = 'x'] AND ([c:d = 'y'] AND [e:f = 'z'])", ""},
	{"[a:b = 'x' AND (a:c = 'y' OR a:d = 'z')]", ""},
	{"[(a:b = 'x')]", "[a:b = 'x']"},
	{"[a:b = 'x' OR a:c = 'y' AND a:d = 'z']", ""},
	{"[a:b = 'x'] WITHIN 300 SECONDS", ""},
	{"[a:b = 'x'] WITHIN 1.5 SECONDS", ""},
	{"[a:b = 'x'] REPEATS 5 TIMES WITHIN 10 SECONDS", ""},
	{"([a:b = 'x'] FOLLOWEDBY [c:d = 'y']) WITHIN 10 SECONDS", ""},
	{"[a:b = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'", ""},
	{"[a:b = 'x'] START '2016-06-01T00:00:00Z' STOP '2016-07-01T00:00:00Z'", "[a:b = 'x'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00Z'"},
	{"  [a:b = 'x'] /* comment */ // line comment\n", "[a:b = 'x']"},
	{"[x509-certificate:issuer = 'CN=WEBMAIL' AND x509-certificate:serial_number = '4c:0b']", ""},
}

func TestParseGood(t *testing.T) {
	for _, tc := range goodPatterns {
		if tc.out == "-" {
			continue
		}
		p, err := Parse(tc.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.in, err)
			continue
		}
		want := tc.out
		if want == "" {
			want = tc.in
		}
		if got := p.String(); got != want {
			t.Errorf("Parse(%q).String()\n got %s\nwant %s", tc.in, got, want)
		}
		checkRoundTrip(t, tc.in, p)
	}
}

// checkRoundTrip checks that printing p and parsing the result gives the
// same tree (positions aside) and the same text.
func checkRoundTrip(t *testing.T, in string, p *Pattern) {
	t.Helper()
	s := p.String()
	q, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) printed %q, which does not parse: %v", in, s, err)
	}
	if q.String() != s {
		t.Fatalf("Parse(%q): printed %q, reprinted %q", in, s, q.String())
	}
	if !reflect.DeepEqual(stripPos(p), stripPos(q)) {
		t.Fatalf("Parse(%q): tree of %q differs after printing", in, s)
	}
}

// stripPos returns a copy of p's tree as a string without positions,
// literal texts or compiled expressions, for comparing trees.
func stripPos(p *Pattern) string {
	var b strings.Builder
	var walkC func(Cond)
	walkC = func(c Cond) {
		switch c := c.(type) {
		case *CondExpr:
			b.WriteString("(" + c.Op.String() + " ")
			walkC(c.X)
			b.WriteString(" ")
			walkC(c.Y)
			b.WriteString(")")
		case *Test:
			b.WriteString("{" + c.String() + "}")
		}
	}
	var walk func(Expr)
	walk = func(e Expr) {
		switch e := e.(type) {
		case *ObservationExpr:
			b.WriteString("[")
			walkC(e.Cond)
			b.WriteString("]")
		case *BinaryExpr:
			b.WriteString("(" + e.Op.String() + " ")
			walk(e.X)
			b.WriteString(" ")
			walk(e.Y)
			b.WriteString(")")
		case *QualifiedExpr:
			b.WriteString("(" + e.Q.String() + " ")
			walk(e.X)
			b.WriteString(")")
		}
	}
	walk(p.Expr)
	return b.String()
}

var badPatterns = []struct{ in, err string }{
	{"", "column 1: empty pattern"},
	{"   ", "column 1: empty pattern"},
	{"ipv4-addr:value = '1.2.3.4'", "column 1: expected '[' or '(' to start an observation expression, found 'ipv4-addr'"},
	{"[ipv4-addr:value = '1.2.3.4'", "column 29: expected ']' after comparison, found end of pattern"},
	{"[ipv4-addr:value = '1.2.3.4' file:name = 'x']", "column 30: expected ']' after comparison, found 'file'"},
	{"[ipv4-addr:value = '1.2.3.4']]", "column 30: unexpected ']' after observation expression"},
	{"[ipv4-addr:value = '1.2.3.4", "column 20: unterminated string"},
	{"[ipv4-addr:value = 'a\\b']", "column 22: invalid escape in string (only \\' and \\\\ are allowed)"},
	{"[ipv4-addr = '1.2.3.4']", "column 12: expected ':' after object type 'ipv4-addr', found '='"},
	{"[ipv4-addr:value '1.2.3.4']", "column 18: expected a comparison operator after object path, found '1.2.3.4'"},
	{"[ipv4-addr:value =]", "column 19: expected a literal after '=', found ']'"},
	{"[file:hashes.SHA-256 = 'x']", "column 14: property name 'SHA-256' contains '-': quote it, as in hashes.'SHA-256'"},
	{"[file:size >= 100 AND file:size < 2.5e0x]", "column 38: expected ']' after comparison, found 'e0x'"},
	{"[file:size = 007]", "column 14: malformed number '007' (leading zero)"},
	{"[file:size > true]", "column 14: cannot order by a boolean ('true')"},
	{"[file:name LIKE 5]", "column 17: expected a string after LIKE, found '5'"},
	{"[file:name MATCHES '(']", "column 20: invalid regular expression: error parsing regexp: missing closing ): `(`"},
	{"[ipv4-addr:value ISSUBSET 'not-an-ip']", "column 27: ISSUBSET needs an IP address or CIDR range: ParseAddr(\"not-an-ip\"): unable to parse IP"},
	{"[a:b = h'abc']", "column 8: invalid hex literal h'abc' (want pairs of hex digits)"},
	{"[a:b = b'!!']", "column 8: invalid base64 in binary literal b'!!'"},
	{"[a:b = t'2016-01-01']", "column 8: timestamp '2016-01-01' is not of the form YYYY-MM-DDTHH:MM:SS[.s+]Z"},
	{"[a:b = 'x'] WITHIN 0 SECONDS", "column 20: WITHIN needs a positive number of seconds, found '0'"},
	{"[a:b = 'x'] WITHIN 5", "column 21: expected SECONDS after WITHIN 5, found end of pattern"},
	{"[a:b = 'x'] REPEATS 1.5 TIMES", "column 21: expected a whole number after REPEATS, found '1.5'"},
	{"[a:b = 'x'] REPEATS 0 TIMES", "column 21: REPEATS needs a positive whole number up to 1048576, found '0'"},
	{"[a:b = 'x'] START t'2017-01-01T00:00:00Z' STOP t'2016-01-01T00:00:00Z'", "column 13: STOP time must be later than START time"},
	{"[a:b = 'x'] START t'2017-01-01T00:00:00Z'", "column 42: expected STOP after START timestamp, found end of pattern"},
	{"[a:b[x] = 'x']", "column 6: expected a list index or '*' after '[', found 'x'"},
	{"[a:b[99999999999999999999] = 'x']", "column 6: list index '99999999999999999999' out of range"},
	{"[a:b = 'x'] and [c:d = 'y']", "column 13: unexpected 'and' (keywords are upper case: AND) after observation expression"},
	{"[x:flag = TRUE]", "column 11: expected a literal after '=', found 'TRUE' (booleans are lower case: true)"},
	{"[a:AND = 'x']", "column 4: expected a property name, found 'AND'"},
	{"[a:b = b'']", "column 8: invalid base64 in binary literal b''"},
	{"[a:b IN ('x' 'y')]", "column 14: expected ',' or ')' in IN list, found 'y'"},
	{"[a:b = 'x'] AND", "column 16: expected '[' or '(' to start an observation expression, found end of pattern"},
	{"[a:b = 'x' AND]", "column 15: expected an object path like file:name, found ']'"},
	{"[NOT a:b = 'x']", "column 2: NOT must follow the object path (file:name NOT = 'x'); EXISTS takes no NOT"},
	{"[NOT EXISTS a:b]", "column 2: NOT must follow the object path (file:name NOT = 'x'); EXISTS takes no NOT"},
	{"[a:b = 'x'] /* open", "column 13: unterminated comment"},
	{"[a:b = 'x'] #", "column 13: unexpected character '#'"},
	{"[a:b ! 'x']", "column 6: unexpected '!' (want '!=')"},
	{"[é:b = 'x']", "column 2: unexpected character 'é'"},
	{"[a:b = 'é'] x", "column 13: unexpected 'x' after observation expression"},
	{strings.Repeat("(", 200) + "[a:b = 'x']" + strings.Repeat(")", 200), "column 101: expression nested more than 100 deep"},
}

func TestParseBad(t *testing.T) {
	for _, tc := range badPatterns {
		_, err := Parse(tc.in)
		if err == nil {
			t.Errorf("Parse(%q): no error, want %q", tc.in, tc.err)
			continue
		}
		var pe *Error
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%q): error %T, want *Error", tc.in, err)
		}
		if err.Error() != tc.err {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tc.in, err, tc.err)
		}
	}
}
