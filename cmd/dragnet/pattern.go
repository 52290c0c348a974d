package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/dragnet-intel/dragnet/stix/pattern"
)

func (m *Main) runPattern(ctx context.Context, args []string) error {
	return m.runSub(ctx, "pattern", args, map[string]subcommand{
		"validate": {"check STIX patterns, one per line on stdin", (*Main).runPatternValidate},
		"match":    {"match patterns against observations, one JSON line each on stdin", (*Main).runPatternMatch},
	})
}

// patternValidation is one line of `dragnet pattern validate` output.
type patternValidation struct {
	Pattern string `json:"pattern"`
	Valid   bool   `json:"valid"`
	Error   string `json:"error,omitempty"`
}

// runPatternValidate reads one pattern per line and writes one JSON line
// for each: {"pattern": P, "valid": true} or {"pattern": P, "valid": false,
// "error": "column N: ..."}. Every input line, blank ones included, gets
// its output line.
func (m *Main) runPatternValidate(ctx context.Context, args []string) error {
	fs := m.newFlagSet("pattern validate", "< patterns.txt")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	out := newJSONLines(m.Stdout)
	err := eachLine(ctx, m.Stdin, func(n int, line []byte) error {
		s := string(line)
		r := patternValidation{Pattern: s, Valid: true}
		if _, err := pattern.Parse(s); err != nil {
			r.Valid, r.Error = false, err.Error()
		}
		return out.write(r)
	})
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	return err
}

// patternMatchInput is one line of `dragnet pattern match` input.
type patternMatchInput struct {
	Pattern      *string           `json:"pattern"`
	Observations []json.RawMessage `json:"observations"`
}

type patternMatchResult struct {
	Match *bool  `json:"match,omitempty"`
	Error string `json:"error,omitempty"`
}

// runPatternMatch reads JSON lines {"pattern": P, "observations": [bundle,
// ...]} (other members are ignored), each bundle holding observed-data and
// the SCOs they reference, and
// writes one JSON line for each: {"match": true|false}, or {"error": "..."}
// when the line, the pattern or a bundle is invalid. A bad line never stops
// the run.
func (m *Main) runPatternMatch(ctx context.Context, args []string) error {
	fs := m.newFlagSet("pattern match", "< cases.jsonl")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	out := newJSONLines(m.Stdout)
	err := eachLine(ctx, m.Stdin, func(n int, line []byte) error {
		ok, err := matchLine(line)
		if err != nil {
			return out.write(patternMatchResult{Error: err.Error()})
		}
		return out.write(patternMatchResult{Match: &ok})
	})
	if ferr := out.flush(); err == nil {
		err = ferr
	}
	return err
}

func matchLine(line []byte) (bool, error) {
	if len(bytes.TrimSpace(line)) == 0 {
		return false, errors.New("invalid input line: empty")
	}
	var in patternMatchInput
	dec := json.NewDecoder(bytes.NewReader(line))
	if err := dec.Decode(&in); err != nil {
		return false, fmt.Errorf("invalid input line: %v", err)
	}
	if dec.More() {
		return false, errors.New("invalid input line: more than one JSON value")
	}
	if in.Pattern == nil {
		return false, errors.New("invalid input line: no \"pattern\"")
	}
	p, err := pattern.Parse(*in.Pattern)
	if err != nil {
		return false, fmt.Errorf("pattern: %v", err)
	}
	var obs []pattern.Observation
	for i, raw := range in.Observations {
		objs, err := pattern.DecodeBundle(raw)
		if err != nil {
			return false, fmt.Errorf("observations[%d]: %v", i, err)
		}
		o, err := pattern.Observations(objs)
		if err != nil {
			return false, fmt.Errorf("observations[%d]: %v", i, err)
		}
		obs = append(obs, o...)
	}
	ok, err := pattern.Match(p, obs)
	var pe *pattern.Error
	if errors.As(err, &pe) {
		return false, fmt.Errorf("pattern: %v", pe)
	}
	return ok, err
}

// maxLine bounds one input line of the pattern commands.
const maxLine = 64 << 20

// eachLine calls f with each line of r (without its line ending) and its
// 1-based number, until r ends, f fails or ctx is done.
func eachLine(ctx context.Context, r io.Reader, f func(n int, line []byte) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for n := 1; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line, err := readLine(br)
		if len(line) > 0 || err == nil {
			if ferr := f(n, line); ferr != nil {
				return ferr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading line %d: %w", n, err)
		}
	}
}

// readLine reads one line, dropping "\n" or "\r\n"; it returns io.EOF
// with the last line if that has no line ending.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if len(buf) > maxLine {
			return nil, fmt.Errorf("line longer than %d bytes", maxLine)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == nil {
			buf = bytes.TrimSuffix(buf[:len(buf)-1], []byte("\r"))
		}
		return buf, err
	}
}

// jsonLines writes JSON values one per line, without HTML escaping.
type jsonLines struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func newJSONLines(w io.Writer) *jsonLines {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &jsonLines{w: bw, enc: enc}
}

func (j *jsonLines) write(v any) error { return j.enc.Encode(v) }
func (j *jsonLines) flush() error      { return j.w.Flush() }
