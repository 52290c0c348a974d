package match

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// flushBuffer is a Flusher: Stream then looks each line up as it comes.
type flushBuffer struct{ bytes.Buffer }

func (*flushBuffer) Flush() error { return nil }

// TestStreamEventTime: with EventTime, Stream gives the same results in
// the same order, each dated by its line's ts (zero for a line without
// one), whether it batches lookups or answers line by line.
func TestStreamEventTime(t *testing.T) {
	b, err := os.ReadFile("testdata/zeek.log")
	if err != nil {
		t.Fatal(err)
	}
	// A line without ts, and one cut short by bad input at the end.
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	lines = append(lines, strings.Replace(lines[len(lines)-1], `"ts":`, `"was":`, 1), `{"id.resp_h":"192.0.2.99","ts":`)
	in := strings.Join(lines, "\n") + "\n"
	ix := mustCompile(t, world(), nil)
	acc := &dragnet.Access{Audiences: []int64{1}}
	run := func(w interface {
		Write([]byte) (int, error)
		String() string
	}, opt StreamOptions) ([]Result, string) {
		var rs []Result
		_, err := StreamWith(ix, acc, strings.NewReader(in), opt, w, func(r Result) error {
			rs = append(rs, r)
			return nil
		})
		if err == nil || !strings.Contains(err.Error(), "line 7") {
			t.Errorf("bad last line: %v", err)
		}
		return rs, w.String()
	}
	plain, plainOut := run(&bytes.Buffer{}, StreamOptions{Format: FormatZeek})
	if len(plain) < 4 {
		t.Fatalf("only %d results", len(plain))
	}
	for _, w := range []interface {
		Write([]byte) (int, error)
		String() string
	}{&bytes.Buffer{}, &flushBuffer{}} {
		timed, out := run(w, StreamOptions{Format: FormatZeek, EventTime: true})
		if out != plainOut || len(timed) != len(plain) {
			t.Fatalf("%T: output differs with EventTime:\n%s\nwant\n%s", w, out, plainOut)
		}
		for i, r := range timed {
			want := time.Time{}
			if r.Line <= len(lines)-2 {
				want = lineTime(FormatZeek, lines[r.Line-1], "")
				if want.IsZero() {
					t.Fatalf("line %d has no ts", r.Line)
				}
			}
			if !r.Time.Equal(want) {
				t.Errorf("%T: result %d (line %d, %s): time %v, want %v", w, i, r.Line, r.Value, r.Time, want)
			}
		}
	}
}
