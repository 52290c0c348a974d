package match

import (
	"bufio"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// Result is one matched value as `dragnet match` and the match API write
// it: the input line, the value, and the indicators it hit.
type Result struct {
	Line       int         `json:"line"`
	Value      string      `json:"value"`
	Kind       string      `json:"kind"`
	Indicators []ResultHit `json:"indicators"`
	// Time is the time of the event the value was read from (its line's
	// own, as complex patterns read it), when StreamOptions.EventTime
	// asked for it; zero when the line has none. It is not written out.
	Time time.Time `json:"-"`
}

// ResultHit is one indicator of a Result.
type ResultHit struct {
	ID         string `json:"id"`
	TLP        string `json:"tlp"`
	Confidence int    `json:"confidence"`
	// Matched is the indicator's value when it is not the value itself:
	// the parent domain of a subdomain, the prefix of an address.
	Matched string `json:"matched,omitempty"`
}

// NewResult builds the Result of value v on line from its hits.
func NewResult(line int, v dragnet.Value, hits []Hit) Result {
	r := Result{Line: line, Value: v.Value, Kind: string(v.Kind), Indicators: make([]ResultHit, len(hits))}
	for i := range hits {
		h := &hits[i]
		rh := ResultHit{ID: h.IndicatorID(), TLP: h.TLP.String(), Confidence: h.Confidence}
		if m := h.Matched(); m.Value != v.Value || m.Kind != v.Kind {
			rh.Matched = m.Value
		}
		r.Indicators[i] = rh
	}
	return r
}

// Looker is what matching reads from: an Index, or a Matcher that keeps
// one up to date.
type Looker interface {
	AppendLookup(dst []Hit, v dragnet.Value, access *dragnet.Access) []Hit
}

// Stats counts what a Stream call did.
type Stats struct {
	Lines  int `json:"lines"`
	Values int `json:"values"`
	Hits   int `json:"hits"` // values that hit at least one indicator
}

// Flusher is a writer that Stream flushes after every result line (an
// HTTP response streaming results as they are found).
type Flusher interface {
	io.Writer
	Flush() error
}

// StreamOptions say how Stream reads telemetry.
type StreamOptions struct {
	Format Format
	Fields []string // the JSON members (jsonl) or CSV columns (csv) holding values
	// TimeField names the JSON member or CSV column holding each event's
	// time (RFC 3339, or seconds since the epoch), by which complex
	// patterns judge FOLLOWEDBY, WITHIN and START/STOP. Empty: the first
	// of ts, @timestamp, timestamp, time that a line has; a line with
	// none is timed when read.
	TimeField string
	// EventTime sets each Result's Time from its line. A line's values
	// are then looked up once the whole line is read.
	EventTime bool
}

// Stream reads telemetry in format f from r, looks every value up with
// access, and writes one JSON line per value that hits to w (buffered,
// unless w is a Flusher: then each line is written and flushed at once).
// onHit, if not nil, sees every result before it is written (sightings are
// counted there). It stops at the first error: bad input (EINVALID naming
// the line), a failed write, or an error from onHit.
//
// When lk also holds complex patterns (a Matcher reading them from the
// store), each line is matched as one observation too; a pattern it
// completes is a result on that line whose value is the pattern and whose
// kind is "stix-pattern".
func Stream(lk Looker, access *dragnet.Access, r io.Reader, f Format, fields []string, w io.Writer, onHit func(Result) error) (Stats, error) {
	return StreamWith(lk, access, r, StreamOptions{Format: f, Fields: fields}, w, onHit)
}

// StreamWith is Stream with options.
func StreamWith(lk Looker, access *dragnet.Access, r io.Reader, opt StreamOptions, w io.Writer, onHit func(Result) error) (Stats, error) {
	f, fields := opt.Format, opt.Fields
	fl, eager := w.(Flusher)
	bw := bufio.NewWriterSize(w, 1<<16)
	var st Stats
	var buf []byte
	lastLine := 0
	emitResult := func(res Result) error {
		st.Hits++
		if onHit != nil {
			if err := onHit(res); err != nil {
				return err
			}
		}
		buf = appendResult(buf[:0], &res)
		if eager {
			if _, err := fl.Write(buf); err != nil {
				return err
			}
			return fl.Flush()
		}
		_, err := bw.Write(buf)
		return err
	}
	// With EventTime, the time of each line whose values await their
	// lookup (the lookups run only once a line is read whole).
	var lineTimes []time.Time
	var curTime time.Time
	emit := func(line int, v dragnet.Value, hits []Hit) error { return emitResult(NewResult(line, v, hits)) }
	// Values are looked up in batches so that their memory reads overlap,
	// except for a Flusher: a client streaming telemetry waits for the
	// results of each line before sending more.
	var b Batch
	var vals []dragnet.Value
	var lines []int
	flush := func() error {
		err := b.Lookup(lk, vals, access, func(i int, hits []Hit) error {
			res := NewResult(lines[i], vals[i], hits)
			if i < len(lineTimes) { // not so for a line cut short by bad input
				res.Time = lineTimes[i]
			}
			return emitResult(res)
		})
		vals, lines, lineTimes = vals[:0], lines[:0], lineTimes[:0]
		return err
	}
	// Each line is one event for the complex patterns, if lk can hold
	// any; the session starts with the first line that finds some.
	var sink lineSink
	if pl, ok := lk.(patternLooker); ok {
		if v, clock := pl.patternSet(); v != nil {
			sink = patternSink(pl, clock, access, f, opt.TimeField, func(line int, phits []PatternHit) error {
				// Results stay in line order: the batch holds this
				// line's values and earlier ones.
				if err := flush(); err != nil {
					return err
				}
				for _, h := range phits {
					res := patternResult(line, h)
					res.Time = curTime
					if err := emitResult(res); err != nil {
						return err
					}
				}
				return nil
			})
		}
	}
	if opt.EventTime {
		// The line's values are in vals when the sink sees it: they get
		// its time, and are looked up now if the batch is full or the
		// client waits for each line.
		patterns := sink
		sink = func(line int, text string, lv []dragnet.Value) error {
			curTime = lineTime(f, text, opt.TimeField)
			for len(lineTimes) < len(vals) {
				lineTimes = append(lineTimes, curTime)
			}
			if eager || len(vals) >= streamBatch {
				if err := flush(); err != nil {
					return err
				}
			}
			if patterns != nil {
				return patterns(line, text, lv)
			}
			return nil
		}
	}
	var hits []Hit
	err := scan(r, f, fields, opt.TimeField, func(line int, v dragnet.Value) error {
		st.Values++
		lastLine = line
		if opt.EventTime {
			vals, lines = append(vals, v), append(lines, line)
			return nil
		}
		if eager {
			if hits = lk.AppendLookup(hits[:0], v, access); len(hits) > 0 {
				return emit(line, v, hits)
			}
			return nil
		}
		vals, lines = append(vals, v), append(lines, line)
		if len(vals) == streamBatch {
			return flush()
		}
		return nil
	}, sink)
	// Values read before a bad line are still looked up and written.
	if len(vals) > 0 {
		if ferr := flush(); err == nil {
			err = ferr
		}
	}
	st.Lines = lastLine
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	return st, err
}

// patternSink returns the lineSink that matches each line as one event
// against the complex patterns pl holds, following pl's newest set as it
// changes, and hands the hits of each line to emit. An evaluator error (a
// pattern needing too much work) costs that pattern its hit on this
// event, not the stream. Lines without a time of their own are timed when
// read; those read in the same instant still follow one another
// (FOLLOWEDBY sees the order of lines).
func patternSink(pl patternLooker, now func() time.Time, access *dragnet.Access, f Format, timeField string, emit func(line int, phits []PatternHit) error) lineSink {
	var sess *PatternSession
	var last time.Time
	readTime := func() time.Time {
		t := now()
		if !t.After(last) {
			t = last.Add(time.Nanosecond)
		}
		last = t
		return t
	}
	return func(line int, text string, vals []dragnet.Value) error {
		v, _ := pl.patternSet()
		if v == nil || v.base.Len()+v.delta.Len() == 0 {
			return nil
		}
		if sess == nil {
			sess = newSession(v, access, 0)
		} else {
			sess.setView(v)
		}
		phits, _ := sess.observe(vals, func(nvs []dragnet.Value) pattern.Observation {
			return eventObservation(f, text, timeField, nvs, readTime)
		})
		if len(phits) == 0 {
			return nil
		}
		return emit(line, phits)
	}
}

// streamBatch is how many values Stream looks up together.
const streamBatch = 4 * batchSize

// patternResult is the Result of a complex-pattern hit: its value is the
// indicator's pattern, of kind "stix-pattern".
func patternResult(line int, h PatternHit) Result {
	return Result{Line: line, Value: h.Pattern, Kind: "stix-pattern", Indicators: []ResultHit{{ID: h.IndicatorID, TLP: h.TLP.String(), Confidence: h.Confidence}}}
}

// appendResult appends res as one JSON line.
func appendResult(b []byte, res *Result) []byte {
	b = append(b, `{"line":`...)
	b = strconv.AppendInt(b, int64(res.Line), 10)
	b = append(b, `,"value":`...)
	b = appendJSONString(b, res.Value)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, res.Kind)
	b = append(b, `,"indicators":[`...)
	for i, h := range res.Indicators {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = appendJSONString(b, h.ID)
		b = append(b, `,"tlp":`...)
		b = appendJSONString(b, h.TLP)
		b = append(b, `,"confidence":`...)
		b = strconv.AppendInt(b, int64(h.Confidence), 10)
		if h.Matched != "" {
			b = append(b, `,"matched":`...)
			b = appendJSONString(b, h.Matched)
		}
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
