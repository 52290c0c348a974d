package taxii

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dragnet-intel/dragnet/stix"
)

// ClientOptions configure a Client.
type ClientOptions struct {
	HTTPClient *http.Client // default: a client with a 5-minute timeout
	// User and Token authenticate: HTTP Basic when User is set (for a
	// Dragnet hub, the organisation name), else Bearer when Token is set.
	User  string
	Token string
	// APIRoot is the API root to use, absolute or relative to the base URL;
	// default: the discovery resource's default API root.
	APIRoot string
	// MaxResponse bounds the size of one response body read; default 256 MiB.
	MaxResponse int64
	UserAgent   string
}

// Client speaks TAXII 2.1 to one server.
type Client struct {
	base    *url.URL
	opts    ClientOptions
	hc      *http.Client
	mu      sync.Mutex
	apiRoot string // resolved API root URL, ending in "/"; guarded by mu
}

// NewClient returns a client of the TAXII server at baseURL: either the
// server's address (discovery is then at baseURL + "/taxii2/") or the URL
// of its discovery resource.
func NewClient(baseURL string, opts ClientOptions) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("taxii client: %q is not an http or https URL", baseURL)
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: 5 * time.Minute}
	}
	if opts.MaxResponse <= 0 {
		opts.MaxResponse = 256 << 20
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "dragnet-taxii-client"
	}
	c := &Client{base: u, opts: opts, hc: opts.HTTPClient}
	if opts.APIRoot != "" {
		c.apiRoot = c.resolve(opts.APIRoot)
	}
	return c, nil
}

// Error is a TAXII error answered by a server.
type Error struct {
	StatusCode int
	Resource   ErrorResource
}

func (e *Error) Error() string {
	msg := e.Resource.Description
	if msg == "" {
		msg = e.Resource.Title
	}
	return fmt.Sprintf("taxii: %d %s", e.StatusCode, msg)
}

// resolve makes ref absolute against the base URL, ending in "/".
func (c *Client) resolve(ref string) string {
	u, err := c.base.Parse(ref)
	if err != nil {
		return ref
	}
	s := u.String()
	if !strings.HasSuffix(s, "/") {
		s += "/"
	}
	return s
}

// discoveryURL is the discovery resource's URL.
func (c *Client) discoveryURL() string {
	if strings.Contains(strings.TrimRight(c.base.Path, "/"), "taxii2") {
		return c.resolve(c.base.Path)
	}
	return c.resolve(strings.TrimRight(c.base.Path, "/") + DiscoveryPath)
}

// do sends one request and decodes a JSON answer into out (when not nil).
// It returns the response headers. Non-2xx answers become *Error.
func (c *Client) do(ctx context.Context, method, u string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("taxii client: %w", err)
	}
	req.Header.Set("Accept", MediaType)
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if body != nil {
		req.Header.Set("Content-Type", MediaType)
	}
	switch {
	case c.opts.User != "":
		req.SetBasicAuth(c.opts.User, c.opts.Token)
	case c.opts.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("taxii client: %s %s: %w", method, u, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.opts.MaxResponse+1))
	if err != nil {
		return nil, fmt.Errorf("taxii client: reading %s: %w", u, err)
	}
	if int64(len(data)) > c.opts.MaxResponse {
		return nil, fmt.Errorf("taxii client: the answer of %s is larger than %d bytes", u, c.opts.MaxResponse)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &Error{StatusCode: resp.StatusCode}
		if json.Unmarshal(data, &e.Resource) != nil || e.Resource.Title == "" {
			e.Resource.Title = http.StatusText(resp.StatusCode)
		}
		return resp.Header, e
	}
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("taxii client: decoding the answer of %s: %w", u, err)
		}
	}
	return resp.Header, nil
}

// Discovery reads the server's discovery resource.
func (c *Client) Discovery(ctx context.Context) (*Discovery, error) {
	var d Discovery
	if _, err := c.do(ctx, http.MethodGet, c.discoveryURL(), nil, &d); err != nil {
		return nil, err
	}
	return &d, nil
}

// APIRootURL returns the API root the client uses: ClientOptions.APIRoot,
// else the discovery resource's default (or only) API root.
func (c *Client) APIRootURL(ctx context.Context) (string, error) {
	c.mu.Lock()
	root := c.apiRoot
	c.mu.Unlock()
	if root != "" {
		return root, nil
	}
	d, err := c.Discovery(ctx)
	if err != nil {
		return "", err
	}
	root = d.Default
	if root == "" && len(d.APIRoots) > 0 {
		root = d.APIRoots[0]
	}
	if root == "" {
		return "", fmt.Errorf("taxii client: the server names no API root")
	}
	root = c.resolve(root)
	c.mu.Lock()
	c.apiRoot = root
	c.mu.Unlock()
	return root, nil
}

func (c *Client) url(ctx context.Context, path string, q url.Values) (string, error) {
	root, err := c.APIRootURL(ctx)
	if err != nil {
		return "", err
	}
	u := root + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u, nil
}

// APIRoot reads the API root resource.
func (c *Client) APIRoot(ctx context.Context) (*APIRoot, error) {
	u, err := c.url(ctx, "", nil)
	if err != nil {
		return nil, err
	}
	var a APIRoot
	_, err = c.do(ctx, http.MethodGet, u, nil, &a)
	return &a, err
}

// Collections lists the collections the client may read or write.
func (c *Client) Collections(ctx context.Context) ([]CollectionInfo, error) {
	u, err := c.url(ctx, "collections/", nil)
	if err != nil {
		return nil, err
	}
	var cs Collections
	if _, err := c.do(ctx, http.MethodGet, u, nil, &cs); err != nil {
		return nil, err
	}
	return cs.Collections, nil
}

// Collection reads one collection resource.
func (c *Client) Collection(ctx context.Context, id string) (*CollectionInfo, error) {
	u, err := c.url(ctx, "collections/"+url.PathEscape(id)+"/", nil)
	if err != nil {
		return nil, err
	}
	var ci CollectionInfo
	if _, err := c.do(ctx, http.MethodGet, u, nil, &ci); err != nil {
		return nil, err
	}
	return &ci, nil
}

// Query holds the filters of a listing (section 3.4). Zero fields are not
// sent.
type Query struct {
	AddedAfter   time.Time
	Limit        int
	Next         string
	IDs          []string
	Types        []string
	Versions     []string
	SpecVersions []string
}

func (q Query) values() url.Values {
	v := url.Values{}
	if !q.AddedAfter.IsZero() {
		v.Set("added_after", FormatTime(q.AddedAfter))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	set := func(k string, vs []string) {
		if len(vs) > 0 {
			v.Set(k, strings.Join(vs, ","))
		}
	}
	set("match[id]", q.IDs)
	set("match[type]", q.Types)
	set("match[version]", q.Versions)
	set("match[spec_version]", q.SpecVersions)
	return v
}

// Page is one page of objects with the headers that place it.
type Page struct {
	Envelope
	DateAddedFirst time.Time // zero when the page is empty
	DateAddedLast  time.Time
}

func pageOf(h http.Header, env Envelope) *Page {
	p := &Page{Envelope: env}
	p.DateAddedFirst, _ = stix.ParseTimestamp(h.Get("X-TAXII-Date-Added-First"))
	p.DateAddedLast, _ = stix.ParseTimestamp(h.Get("X-TAXII-Date-Added-Last"))
	return p
}

// ObjectsPage reads one page of a collection's objects.
func (c *Client) ObjectsPage(ctx context.Context, collection string, q Query) (*Page, error) {
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/objects/", q.values())
	if err != nil {
		return nil, err
	}
	var env Envelope
	h, err := c.do(ctx, http.MethodGet, u, nil, &env)
	if err != nil {
		return nil, err
	}
	return pageOf(h, env), nil
}

// GetObjects reads every object of a collection matching q, page by page,
// calling fn for each page, and returns the date_added of the last object
// read (q.AddedAfter when none): pass it as AddedAfter next time to resume
// where this call ended. It follows next while the server says more; a
// server that says more without a next is resumed with added_after set to
// the page's X-TAXII-Date-Added-Last. An error from fn stops the reading
// and is returned with the position reached before that page.
func (c *Client) GetObjects(ctx context.Context, collection string, q Query, fn func(*Page) error) (time.Time, error) {
	last := q.AddedAfter
	for {
		p, err := c.ObjectsPage(ctx, collection, q)
		if err != nil {
			return last, err
		}
		if err := fn(p); err != nil {
			return last, err
		}
		if !p.DateAddedLast.IsZero() {
			last = p.DateAddedLast
		}
		if !p.More || len(p.Objects) == 0 {
			return last, nil
		}
		if p.Next != "" {
			q.Next = p.Next
		} else {
			q.Next, q.AddedAfter = "", last
		}
	}
}

// GetObject reads the versions of one object matching q (by default the
// newest).
func (c *Client) GetObject(ctx context.Context, collection, id string, q Query) (*Page, error) {
	q.IDs, q.Types = nil, nil
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/objects/"+url.PathEscape(id)+"/", q.values())
	if err != nil {
		return nil, err
	}
	var env Envelope
	h, err := c.do(ctx, http.MethodGet, u, nil, &env)
	if err != nil {
		return nil, err
	}
	return pageOf(h, env), nil
}

// Versions lists the versions of one object.
func (c *Client) Versions(ctx context.Context, collection, id string, q Query) (*Versions, error) {
	q.IDs, q.Types, q.Versions = nil, nil, nil
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/objects/"+url.PathEscape(id)+"/versions/", q.values())
	if err != nil {
		return nil, err
	}
	var v Versions
	_, err = c.do(ctx, http.MethodGet, u, nil, &v)
	return &v, err
}

// Manifest reads one page of a collection's manifest.
func (c *Client) Manifest(ctx context.Context, collection string, q Query) (*Manifest, error) {
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/manifest/", q.values())
	if err != nil {
		return nil, err
	}
	var m Manifest
	_, err = c.do(ctx, http.MethodGet, u, nil, &m)
	return &m, err
}

// DeleteObject deletes the versions of an object matching q (all by
// default).
func (c *Client) DeleteObject(ctx context.Context, collection, id string, q Query) error {
	q = Query{Versions: q.Versions, SpecVersions: q.SpecVersions}
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/objects/"+url.PathEscape(id)+"/", q.values())
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, u, nil, nil)
	return err
}

// AddObjects posts objects (each one STIX object's JSON) to a collection
// as one envelope and returns the status the server answered with.
func (c *Client) AddObjects(ctx context.Context, collection string, objects []json.RawMessage) (*Status, error) {
	body, err := json.Marshal(Envelope{Objects: objects})
	if err != nil {
		return nil, fmt.Errorf("taxii client: encoding the envelope: %w", err)
	}
	return c.AddEnvelope(ctx, collection, body)
}

// AddEnvelope posts an already encoded envelope to a collection.
func (c *Client) AddEnvelope(ctx context.Context, collection string, envelope []byte) (*Status, error) {
	u, err := c.url(ctx, "collections/"+url.PathEscape(collection)+"/objects/", nil)
	if err != nil {
		return nil, err
	}
	var st Status
	if _, err := c.do(ctx, http.MethodPost, u, envelope, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// Status reads a status resource.
func (c *Client) Status(ctx context.Context, id string) (*Status, error) {
	u, err := c.url(ctx, "status/"+url.PathEscape(id)+"/", nil)
	if err != nil {
		return nil, err
	}
	var st Status
	if _, err := c.do(ctx, http.MethodGet, u, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WaitStatus polls a status every interval until it is complete or ctx
// ends, and returns the last status read.
func (c *Client) WaitStatus(ctx context.Context, id string, interval time.Duration) (*Status, error) {
	if interval <= 0 {
		interval = 100 * time.Millisecond
	}
	for {
		st, err := c.Status(ctx, id)
		if err != nil || st.Complete() {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-time.After(interval):
		}
	}
}
