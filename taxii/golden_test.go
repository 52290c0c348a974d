package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Test objects with fixed timestamps.
const (
	ind1 = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
	ind2 = "indicator--d81f86b9-975b-4c0b-875e-810c5ad45a4f"
	mal1 = "malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"
	rel1 = "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"
	ind3 = "indicator--5a1f3bd1-1b6f-4a3c-9e2a-0f7c51f0b3c1"
)

func indicator(id, modified, value string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z","modified":"` + modified +
		`","name":"C2 ` + value + `","pattern":"[ipv4-addr:value = '` + value + `']","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z","indicator_types":["malicious-activity"]}`
}

var (
	objMal1 = `{"type":"malware","spec_version":"2.1","id":"` + mal1 + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"Emotet","is_family":true,"x_custom":{"kept":[1,2,3]}}`
	objRel1 = `{"type":"relationship","spec_version":"2.1","id":"` + rel1 + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"` + ind1 + `","target_ref":"` + mal1 + `"}`
	objInd2 = `{"type":"indicator","spec_version":"2.1","id":"` + ind2 + `","created":"2024-01-05T00:00:00.000Z","modified":"2024-01-05T00:00:00.000Z","pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix","valid_from":"2024-01-05T00:00:00Z"}`
)

// goldenCase is one request of the scripted session.
type goldenCase struct {
	name        string
	who         string // token key; "" none; "bad" a wrong token
	method      string
	path        string // {acme}, {bravo}, {alliance}, {community}, {status}, {next} are replaced
	accept      string // default MediaType; "-" sends none
	contentType string // default MediaType for POST
	body        string
	wait        bool // wait for the status of a POST to complete
}

func goldenCases() []goldenCase {
	col := "/taxii2/api/collections/"
	big := `{"objects":[{"type":"note","x":"` + strings.Repeat("a", 70<<10) + `"}]}`
	deep := `{"objects":[{"type":"note","x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}]}`
	return []goldenCase{
		{name: "discovery-no-credentials", path: "/taxii2/"},
		{name: "discovery-wrong-token", who: "bad", path: "/taxii2/"},
		{name: "discovery", who: "acme/read", path: "/taxii2/"},
		{name: "discovery-accept-json", who: "acme/read", path: "/taxii2/", accept: "application/json"},
		{name: "discovery-accept-taxii20", who: "acme/read", path: "/taxii2/", accept: "application/taxii+json;version=2.0"},
		{name: "discovery-accept-unversioned", who: "acme/read", path: "/taxii2/", accept: "application/taxii+json"},
		{name: "discovery-no-accept", who: "acme/read", path: "/taxii2/", accept: "-"},
		{name: "api-root", who: "acme/read", path: "/taxii2/api/"},
		{name: "unknown-api-root", who: "acme/read", path: "/taxii2/other/"},
		{name: "unknown-resource", who: "acme/read", path: "/taxii2/api/things/"},
		{name: "collections", who: "acme/read", path: col},
		{name: "collections-write-token", who: "acme/write", path: col},
		{name: "collection-community", who: "acme/write", path: col + "{community}/"},
		{name: "collection-absent", who: "acme/read", path: col + "6a3f5f4e-0000-4000-8000-000000000000/"},
		{name: "collection-invisible", who: "acme/read", path: col + "{bravo}/"},
		{name: "collections-put", who: "acme/write", method: "PUT", path: col},
		{name: "objects-delete-method", who: "acme/write", method: "DELETE", path: col + "{community}/objects/"},
		{name: "post-read-token", who: "acme/read", method: "POST", path: col + "{community}/objects/", body: `{"objects":[]}`},
		{name: "post-wrong-content-type", who: "acme/write", method: "POST", path: col + "{community}/objects/", contentType: "application/json", body: `{"objects":[]}`},
		{name: "post-malformed-json", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: `{"objects":[{"type":"indicator",}]}`},
		{name: "post-objects-not-array", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: `{"objects":{"type":"indicator"}}`},
		{name: "post-object-not-object", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: `{"objects":[` + objMal1 + `,"indicator"]}`},
		{name: "post-deep-nesting", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: deep},
		{name: "post-invalid-utf8", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: `{"objects":[{"type":"note","content":"` + "caf\xe9" + `"}]}`},
		{name: "post-too-large", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: big},
		{name: "post-invisible-collection", who: "acme/write", method: "POST", path: col + "{bravo}/objects/", body: `{"objects":[]}`},
		{name: "post-empty-envelope", who: "acme/write", method: "POST", path: col + "{community}/objects/", body: `{}`},
		{name: "post", who: "acme/write", method: "POST", path: col + "{community}/objects/", wait: true,
			body: `{"objects":[` + indicator(ind1, "2024-01-01T00:00:00.000Z", "198.51.100.7") + `,` + objMal1 + `,` + objInd2 + `,` + objRel1 + `]}`},
		{name: "status-complete", who: "acme/read", path: "/taxii2/api/status/{status}/"},
		{name: "post-mixed", who: "acme/write", method: "POST", path: col + "{community}/objects/", wait: true,
			body: `{"objects":[` + indicator(ind1, "2024-02-01T00:00:00.000Z", "198.51.100.8") + `,` +
				`{"type":"indicator","id":"indicator--1234","spec_version":"2.1"},` +
				`{"id":"indicator--5a1f3bd1-1b6f-4a3c-9e2a-0f7c51f0b3c9","spec_version":"2.1"},` +
				`{"type":"indicator","spec_version":"2.1","id":"` + ind3 + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = ","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"},` +
				`{"type":"malware","spec_version":"2.1","id":"malware--9c9d5a0e-53cf-4bd6-8b0e-6e5b0e4f9b1a","created":"2024-02-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z","name":"x","is_family":false},` +
				`{"type":"malware","spec_version":"2.1","id":"malware--9c9d5a0e-53cf-4bd6-8b0e-6e5b0e4f9b1b","created":"yesterday","name":"x","is_family":false},` +
				indicator(ind1, "2024-03-01T00:00:00.000Z", "198.51.100.9") + `]}`},
		{name: "status-with-failures", who: "acme/write", path: "/taxii2/api/status/{status}/"},
		{name: "status-other-org", who: "bravo/write", path: "/taxii2/api/status/{status}/"},
		{name: "status-absent", who: "acme/write", path: "/taxii2/api/status/6a3f5f4e-0000-4000-8000-000000000000/"},
		{name: "post-private", who: "acme/write", method: "POST", path: col + "{acme}/objects/", wait: true,
			body: `{"objects":[` + indicator(ind3, "2024-01-01T00:00:00.000Z", "203.0.113.5") + `]}`},
		{name: "objects", who: "bravo/read", path: col + "{community}/objects/"},
		{name: "objects-limit", who: "bravo/read", path: col + "{community}/objects/?limit=2"},
		{name: "objects-next", who: "bravo/read", path: col + "{community}/objects/?limit=2&next={next}"},
		{name: "objects-added-after", who: "bravo/read", path: col + "{community}/objects/?added_after=2099-01-01T00:00:00Z"},
		{name: "objects-type", who: "bravo/read", path: col + "{community}/objects/?match[type]=malware,relationship"},
		{name: "objects-id", who: "bravo/read", path: col + "{community}/objects/?match[id]=" + ind1},
		{name: "objects-id-all-versions", who: "bravo/read", path: col + "{community}/objects/?match[id]=" + ind1 + "&match[version]=all"},
		{name: "objects-id-first", who: "bravo/read", path: col + "{community}/objects/?match[id]=" + ind1 + "&match[version]=first"},
		{name: "objects-version-timestamp", who: "bravo/read", path: col + "{community}/objects/?match[version]=2024-02-01T00:00:00.000Z"},
		{name: "objects-spec-version-20", who: "bravo/read", path: col + "{community}/objects/?match[spec_version]=2.0"},
		{name: "objects-spec-version-21", who: "bravo/read", path: col + "{community}/objects/?match[spec_version]=2.1&match[type]=malware"},
		{name: "objects-bad-limit", who: "bravo/read", path: col + "{community}/objects/?limit=0"},
		{name: "objects-bad-added-after", who: "bravo/read", path: col + "{community}/objects/?added_after=2024-01-01"},
		{name: "objects-bad-id", who: "bravo/read", path: col + "{community}/objects/?match[id]=indicator"},
		{name: "objects-bad-version", who: "bravo/read", path: col + "{community}/objects/?match[version]=latest"},
		{name: "objects-bad-spec-version", who: "bravo/read", path: col + "{community}/objects/?match[spec_version]=two"},
		{name: "objects-bad-next", who: "bravo/read", path: col + "{community}/objects/?next=not-a-cursor"},
		{name: "objects-invisible-collection", who: "bravo/read", path: col + "{acme}/objects/"},
		{name: "objects-private", who: "acme/read", path: col + "{acme}/objects/"},
		{name: "object", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/"},
		{name: "object-all-versions", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/?match[version]=all"},
		{name: "object-first", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/?match[version]=first"},
		{name: "object-limit", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/?match[version]=all&limit=1"},
		{name: "object-absent", who: "bravo/read", path: col + "{community}/objects/indicator--00000000-0000-4000-8000-000000000000/"},
		{name: "object-invisible", who: "bravo/read", path: col + "{acme}/objects/" + ind3 + "/"},
		{name: "object-not-an-id", who: "bravo/read", path: col + "{community}/objects/nonsense/"},
		{name: "versions", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/versions/"},
		{name: "versions-limit", who: "bravo/read", path: col + "{community}/objects/" + ind1 + "/versions/?limit=2"},
		{name: "versions-absent", who: "bravo/read", path: col + "{community}/objects/" + ind3 + "/versions/"},
		{name: "manifest", who: "bravo/read", path: col + "{community}/manifest/"},
		{name: "manifest-type", who: "bravo/read", path: col + "{community}/manifest/?match[type]=indicator&match[version]=all"},
		{name: "manifest-invisible", who: "bravo/read", path: col + "{acme}/manifest/"},
		{name: "delete-read-token", who: "acme/read", method: "DELETE", path: col + "{community}/objects/" + ind2 + "/"},
		{name: "delete-not-author", who: "bravo/write", method: "DELETE", path: col + "{community}/objects/" + ind2 + "/"},
		{name: "delete", who: "acme/write", method: "DELETE", path: col + "{community}/objects/" + ind2 + "/"},
		{name: "object-deleted", who: "bravo/read", path: col + "{community}/objects/" + ind2 + "/"},
		{name: "delete-absent", who: "acme/write", method: "DELETE", path: col + "{community}/objects/" + ind2 + "/"},
		{name: "delete-version", who: "acme/write", method: "DELETE", path: col + "{community}/objects/" + ind1 + "/?match[version]=first"},
		{name: "versions-after-delete", who: "acme/read", path: col + "{community}/objects/" + ind1 + "/versions/"},
	}
}

var (
	reMicros = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z`)
	reNext   = regexp.MustCompile(`"next": "[^"]*"`)
	reUUID   = regexp.MustCompile(`([^-a-z0-9])[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	reMillis = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`)
	reErrID  = regexp.MustCompile(`"error_id": "[0-9a-f]+"`)
)

// TestGolden runs a scripted TAXII session covering every endpoint,
// filter, header, status code and error body, and compares each answer
// with testdata/golden/NAME.txt (rewritten with -update). Times the store
// assigns, cursors and random ids are replaced by placeholders.
func TestGolden(t *testing.T) {
	w := newWorld(t, Config{MaxContentLength: 64 << 10, PageLimit: 100, Title: "Dragnet test hub", Description: "golden tests", Contact: "ops@example.org"})
	var status, next string
	for i, c := range goldenCases() {
		path := c.path
		for name, id := range w.ids {
			path = strings.ReplaceAll(path, "{"+name+"}", id)
		}
		path = strings.ReplaceAll(path, "{status}", status)
		path = strings.ReplaceAll(path, "{next}", next)
		method := c.method
		if method == "" {
			method = http.MethodGet
		}
		var body io.Reader
		if c.body != "" {
			body = strings.NewReader(c.body)
		}
		req, err := http.NewRequest(method, w.http.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		switch c.accept {
		case "":
			req.Header.Set("Accept", MediaType)
		case "-":
		default:
			req.Header.Set("Accept", c.accept)
		}
		if c.body != "" {
			ct := c.contentType
			if ct == "" {
				ct = MediaType
			}
			req.Header.Set("Content-Type", ct)
		}
		switch c.who {
		case "":
		case "bad":
			req.SetBasicAuth("acme", "dgt_wrong")
		default:
			org, _, _ := strings.Cut(c.who, "/")
			req.SetBasicAuth(org, w.tokens[c.who])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()

		var parsed struct {
			ID   string `json:"id"`
			Next string `json:"next"`
		}
		json.Unmarshal(data, &parsed)
		if method == http.MethodPost && resp.StatusCode == http.StatusAccepted {
			status = parsed.ID
			if c.wait {
				if _, err := w.client(c.who).WaitStatus(context.Background(), status, 5*time.Millisecond); err != nil {
					t.Fatal(err)
				}
			}
		}
		if parsed.Next != "" {
			next = parsed.Next
		}
		got := w.render(resp, data)
		file := filepath.Join("testdata", "golden", fmt.Sprintf("%02d-%s.txt", i+1, c.name))
		if *update {
			os.MkdirAll(filepath.Dir(file), 0o755)
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
		}
		if got != string(want) {
			t.Errorf("%s %s: answer differs from %s\n--- got\n%s\n--- want\n%s", method, c.path, file, got, want)
		}
	}
}

// render prints an answer with its status, the headers TAXII defines and
// its body indented, with run-dependent values replaced.
func (w *world) render(resp *http.Response, data []byte) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", resp.Status)
	for _, h := range []string{"Content-Type", "Allow", "WWW-Authenticate", "X-TAXII-Date-Added-First", "X-TAXII-Date-Added-Last"} {
		for _, v := range resp.Header.Values(h) {
			fmt.Fprintf(&b, "%s: %s\n", h, v)
		}
	}
	b.WriteString("\n")
	var ind bytes.Buffer
	if json.Indent(&ind, data, "", "  ") == nil {
		data = ind.Bytes()
	}
	b.Write(data)
	s := b.String()
	s = strings.ReplaceAll(s, w.http.URL, "http://HOST")
	for id, name := range w.colls {
		s = strings.ReplaceAll(s, id, "<collection "+name+">")
	}
	s = reNext.ReplaceAllString(s, `"next": "<cursor>"`)
	for name, id := range w.identities {
		s = strings.ReplaceAll(s, id, "<identity "+name+">")
	}
	s = reUUID.ReplaceAllString(s, `$1<uuid>`)
	// The identities the store creates for organisations carry the time
	// of the run.
	s = reMillis.ReplaceAllStringFunc(s, func(ts string) string {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err == nil && time.Since(t).Abs() < 24*time.Hour {
			return "<now>"
		}
		return ts
	})
	s = reErrID.ReplaceAllString(s, `"error_id": "<error id>"`)
	seen := map[string]string{}
	s = reMicros.ReplaceAllStringFunc(s, func(ts string) string {
		if p, ok := seen[ts]; ok {
			return p
		}
		p := fmt.Sprintf("<time %d>", len(seen)+1)
		seen[ts] = p
		return p
	})
	if !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s
}
