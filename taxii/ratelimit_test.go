package taxii

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet/auth"
)

// TestRateLimited: a token over its request rate gets 429 with a TAXII
// error and Retry-After.
func TestRateLimited(t *testing.T) {
	w := newWorld(t, Config{})
	srv := NewServer(w.store, auth.New(w.store, auth.Options{RequestsPerSecond: 1, Burst: 1, Now: func() time.Time { return time.Unix(1e9, 0) }}), Config{})
	var last *http.Response
	for range 3 {
		req, _ := http.NewRequest(http.MethodGet, "/taxii2/", nil)
		req.SetBasicAuth("acme", w.tokens["acme/read"])
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		last = rec.Result()
	}
	if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Retry-After") == "" || last.Header.Get("Content-Type") != MediaType {
		t.Fatalf("third request in a second: %s %v", last.Status, last.Header)
	}
}
