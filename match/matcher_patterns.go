package match

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/stix/pattern"
)

// loadPatterns reads the complex-pattern indicators from the object
// scanner, if the Matcher has one, and publishes them.
func (m *Matcher) loadPatterns(ctx context.Context) error {
	if m.opt.Objects == nil {
		return nil
	}
	var es []PatternEntry
	err := m.opt.Objects.ScanObjects(ctx, func(o *dragnet.StoredObject) error {
		if o.Type != "indicator" {
			return nil
		}
		if e, ok := patternEntryOf(o); ok {
			es = append(es, e)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("scanning indicator patterns: %w", err)
	}
	ps, err := CompilePatterns(es, m.opt.Now(), func(e PatternEntry, err error) {
		m.opt.Logger.Warn("match: pattern left out", "indicator", e.IndicatorID, "err", err)
	})
	if err != nil {
		return err
	}
	m.patterns.Store(ps)
	m.opt.Logger.Info("match: patterns loaded", "patterns", ps.Len())
	return nil
}

// patternEntryOf returns the PatternEntry of a stored indicator whose
// STIX pattern needs the evaluator; ok is false for other indicators
// (simple patterns are in the value index; other pattern languages are
// not matched). A pattern that does not parse is returned, for
// CompilePatterns to report.
func patternEntryOf(o *dragnet.StoredObject) (PatternEntry, bool) {
	var f struct {
		Pattern     string     `json:"pattern"`
		PatternType string     `json:"pattern_type"`
		Confidence  int        `json:"confidence"`
		ValidFrom   *time.Time `json:"valid_from"`
		ValidUntil  *time.Time `json:"valid_until"`
	}
	if json.Unmarshal(o.Raw, &f) != nil || f.Pattern == "" || (f.PatternType != "" && f.PatternType != "stix") {
		return PatternEntry{}, false
	}
	if p, err := pattern.Parse(f.Pattern); err == nil {
		if _, simple := p.Simple(); simple {
			return PatternEntry{}, false
		}
	}
	e := PatternEntry{IndicatorID: o.ID, Pattern: f.Pattern, Audience: o.AudienceID, TLP: o.TLP, Revoked: o.Revoked}
	if f.Confidence > 0 && f.Confidence <= 100 {
		e.Confidence = f.Confidence
	}
	if f.ValidFrom != nil {
		e.ValidFrom = *f.ValidFrom
	}
	if f.ValidUntil != nil {
		e.ValidUntil = *f.ValidUntil
	}
	return e, true
}

// patternSet implements patternLooker.
func (m *Matcher) patternSet() (*Patterns, func() time.Time) {
	return m.patterns.Load(), m.opt.Now
}

// patternLooker is a Looker that also holds complex patterns.
type patternLooker interface {
	patternSet() (*Patterns, func() time.Time)
}
