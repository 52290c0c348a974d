package taxii

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRequestTimeout: work beyond Config.RequestTimeout ends with a 503
// TAXII error that names the limit and nothing internal.
func TestRequestTimeout(t *testing.T) {
	w := newWorld(t, Config{RequestTimeout: time.Nanosecond})
	_, err := w.client("acme/read").Collections(context.Background())
	var te *Error
	if !errors.As(err, &te) || te.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("Collections with a 1 ns limit = %v, want 503", err)
	}
	if te.Resource.HTTPStatus != "503" || !strings.Contains(te.Resource.Description, "time limit of 1ns") {
		t.Errorf("error resource = %+v", te.Resource)
	}
}
