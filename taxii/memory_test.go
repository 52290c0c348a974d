package taxii

import (
	"context"
	"io"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"
)

// envelopeReader streams an envelope of generated indicators of at least
// size bytes without holding it in memory.
type envelopeReader struct {
	size, written int64
	n             int // objects generated
	buf           []byte
	started, done bool
}

func (e *envelopeReader) Read(p []byte) (int, error) {
	for len(e.buf) == 0 {
		switch {
		case e.done:
			return 0, io.EOF
		case !e.started:
			e.buf, e.started = []byte(`{"objects":[`), true
		case e.written >= e.size:
			e.buf, e.done = []byte(`]}`), true
		default:
			if e.n > 0 {
				e.buf = append(e.buf, ',')
			}
			e.buf = append(e.buf, genIndicator(e.n)...)
			e.n++
		}
	}
	k := copy(p, e.buf)
	e.buf = e.buf[k:]
	e.written += int64(k)
	return k, nil
}

// TestPostMemoryBounded posts a 100 MB envelope (10 MB with -short) and
// samples the live heap while the server decodes and validates it and
// starts storing it: the growth stays within twice the body's size plus 16 MiB
// (streaming decode; each valid object held once, as received, until
// stored).
func TestPostMemoryBounded(t *testing.T) {
	size := int64(100_000_000)
	if testing.Short() {
		size = 10_000_000
	}
	w := newWorld(t, Config{})
	coll := w.ids["community"]

	// The sampler collects garbage before each sample, so it measures what
	// the server holds (live heap), not garbage not yet collected.
	const metric = "/gc/heap/live:bytes"
	runtime.GC()
	sample := []metrics.Sample{{Name: metric}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		s := []metrics.Sample{{Name: metric}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			runtime.GC()
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	}()

	body := &envelopeReader{size: size}
	req, err := http.NewRequest(http.MethodPost, w.http.URL+"/taxii2/api/collections/"+coll+"/objects/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", MediaType)
	req.Header.Set("Accept", MediaType)
	req.SetBasicAuth("acme", w.tokens["acme/write"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST of %d bytes: %s", body.written, resp.Status)
	}
	// Storing goes on after the 202; the held envelope only shrinks from
	// here, so a little more sampling covers the peak. Then stop storing
	// (what is not stored stays pending).
	time.Sleep(500 * time.Millisecond)
	close(stop)
	<-sampled
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	w.srv.Close(ctx)

	growth := int64(peak.Load()) - int64(base)
	t.Logf("envelope of %d bytes (%d objects): live heap grew by at most %d bytes (%.2f× the body)",
		body.written, body.n, growth, float64(growth)/float64(body.written))
	// Twice the body, plus a fixed allowance for what any request costs
	// whatever its size (connection buffers, the status answer's encoding,
	// statement caches): it matters at the -short size only.
	const fixed = 16 << 20
	if growth > 2*body.written+fixed {
		t.Errorf("live heap grew by %d bytes for a %d-byte envelope: more than twice its size (+%d)", growth, body.written, fixed)
	}
}
