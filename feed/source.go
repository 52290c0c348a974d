package feed

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Formats a decoder can be chosen by.
const (
	FormatSTIX = "stix"
	FormatMISP = "misp"
	FormatCSV  = "csv"
	FormatText = "text"
)

// Sniff guesses the format of an input from its name and first bytes: JSON
// with "Event", "response" or "Attribute" is MISP, other JSON STIX; a
// .csv name or a first data line with commas is CSV; anything else text.
func Sniff(name string, head []byte) string {
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(h) > 0 && (h[0] == '{' || h[0] == '[') {
		for _, k := range []string{`"Event"`, `"response"`, `"Attribute"`} {
			if bytes.Contains(h, []byte(k)) {
				return FormatMISP
			}
		}
		return FormatSTIX
	}
	ext := strings.ToLower(filepath.Ext(strings.SplitN(name, "?", 2)[0]))
	if ext == ".csv" {
		return FormatCSV
	}
	if ext == ".txt" || ext == ".list" {
		return FormatText
	}
	for _, line := range strings.Split(string(h), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.Count(line, ",") >= 1 || strings.Count(line, "\t") >= 1 {
			return FormatCSV
		}
		break
	}
	return FormatText
}

// IsURL reports whether loc is an http or https URL.
func IsURL(loc string) bool {
	return strings.HasPrefix(loc, "http://") || strings.HasPrefix(loc, "https://")
}

// MaxFetch bounds the size of one fetched input.
const MaxFetch = 1 << 30

// Open opens a file or fetches a URL (GET, 2xx only). The caller closes
// the reader.
func Open(ctx context.Context, client *http.Client, loc string) (io.ReadCloser, error) {
	if !IsURL(loc) {
		f, err := os.Open(loc)
		if err != nil {
			return nil, fmt.Errorf("opening input: %w", err)
		}
		return f, nil
	}
	res, err := Fetch(ctx, client, loc, Validators{})
	if err != nil {
		return nil, err
	}
	return res.Body, nil
}

// Validators are the cache validators of an earlier fetch.
type Validators struct {
	ETag         string
	LastModified string
}

// Fetched is the answer to a fetch. When NotModified is true, Body is nil.
type Fetched struct {
	Body        io.ReadCloser
	NotModified bool
	Validators  Validators
}

// Fetch GETs url with If-None-Match / If-Modified-Since from v. A 304
// answer is NotModified; any status but 2xx and 304 is an error naming it.
func Fetch(ctx context.Context, client *http.Client, url string, v Validators) (*Fetched, error) {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	req.Header.Set("User-Agent", "dragnet-feed")
	res, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", url, err)
	}
	out := &Fetched{Validators: Validators{ETag: res.Header.Get("ETag"), LastModified: res.Header.Get("Last-Modified")}}
	if res.StatusCode == http.StatusNotModified {
		res.Body.Close()
		out.NotModified = true
		if out.Validators == (Validators{}) {
			out.Validators = v
		}
		return out, nil
	}
	if res.StatusCode < 200 || res.StatusCode > 299 {
		res.Body.Close()
		return nil, fmt.Errorf("fetching %s: HTTP %s", url, res.Status)
	}
	out.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(res.Body, MaxFetch), res.Body}
	return out, nil
}
