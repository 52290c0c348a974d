package pattern

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Observation is one observed-data object: when and how often it was
// observed, and its cyber-observable objects by id (those it observes and
// those they reference, so that _ref and _refs properties can be
// followed). For STIX 2.0 observed-data the ids are the keys of its
// embedded objects ("0", "1", ...), which its references use.
type Observation struct {
	FirstObserved  time.Time
	LastObserved   time.Time
	NumberObserved int
	Objects        map[string]map[string]any
}

// maxBindings bounds the combinations of observations the evaluator keeps
// for one sub-expression; beyond it Match fails rather than exhaust memory.
const maxBindings = 100000

// maxWork bounds the steps (objects tested, pairs of bindings tried) one
// Match may take, so that no input makes it run for long.
const maxWork = 50_000_000

// Match reports whether the observations match the pattern, with the
// semantics of STIX 2.1 section 9:
//
//   - [cond] is satisfied by one observation with an object that satisfies
//     cond (section 9.5: comparisons joined by AND hold for one object;
//     Parse refuses an AND that no one object type could satisfy).
//   - A AND B, A FOLLOWEDBY B: both sides, by different observations; for
//     FOLLOWEDBY, every observation of A ends (last_observed) no later than
//     every observation of B starts (first_observed). A OR B: either.
//   - WITHIN n SECONDS: the observations lie within n seconds, from the
//     earliest first_observed to the latest last_observed.
//   - REPEATS n TIMES: n matches of the expression on different
//     observations; an observation with number_observed k counts k times.
//     From each match, in order of time, the next disjoint ones are
//     gathered: exact when the repeated expression is one [cond], a
//     greedy search when it combines several observations.
//   - START s STOP t: every observation has first_observed at or after s
//     and last_observed before t.
//
// Match fails when the pattern would need more than 100,000 combinations
// of observations for one sub-expression or more than 50 million steps in
// all, and with an *Error when a MATCHES uses PCRE syntax that RE2 lacks
// (see Parse).
func Match(p *Pattern, observations []Observation) (bool, error) {
	if p.unsupported != nil {
		return false, p.unsupported
	}
	m := &matcher{obs: observations, byType: make([]map[string][]string, len(observations))}
	bs, err := m.expr(p.Expr)
	if err != nil {
		return false, err
	}
	return len(bs) > 0, nil
}

// binding is one set of observations that satisfies an expression.
type binding struct {
	obs         []int // observation indexes, ascending
	first, last time.Time
	count       int // how many repetitions it stands for
}

type matcher struct {
	obs    []Observation
	byType []map[string][]string // per observation: object ids by type, built on demand
	work   int                   // steps taken, against maxWork
}

var (
	errTooMany = fmt.Errorf("pattern needs more than %d combinations of observations", maxBindings)
	errTooLong = fmt.Errorf("pattern needs more than %d steps over these observations", maxWork)
)

// spend counts n steps of work and reports whether the budget still holds.
func (m *matcher) spend(n int) bool {
	m.work += n
	return m.work <= maxWork
}

func (m *matcher) expr(e Expr) ([]binding, error) {
	switch e := e.(type) {
	case *ObservationExpr:
		var out []binding
		for i := range m.obs {
			if m.holds(e, i) {
				o := &m.obs[i]
				out = append(out, binding{obs: []int{i}, first: o.FirstObserved, last: o.LastObserved, count: max(o.NumberObserved, 1)})
			}
		}
		if m.work > maxWork {
			return nil, errTooLong
		}
		return out, nil
	case *BinaryExpr:
		x, err := m.expr(e.X)
		if err != nil || len(x) == 0 && e.Op != ObsOr {
			return nil, err
		}
		y, err := m.expr(e.Y)
		if err != nil {
			return nil, err
		}
		if e.Op == ObsOr {
			if len(x)+len(y) > maxBindings {
				return nil, errTooMany
			}
			return append(x, y...), nil
		}
		var out []binding
		for _, a := range x {
			for _, b := range y {
				if !m.spend(1 + len(a.obs) + len(b.obs)) {
					return nil, errTooLong
				}
				if !disjoint(a.obs, b.obs) || e.Op == ObsFollowedBy && a.last.After(b.first) {
					continue
				}
				if len(out) == maxBindings {
					return nil, errTooMany
				}
				out = append(out, join(a, b))
			}
		}
		return out, nil
	case *QualifiedExpr:
		x, err := m.expr(e.X)
		if err != nil {
			return nil, err
		}
		return m.qualify(x, e.Q)
	}
	return nil, nil
}

func (m *matcher) qualify(x []binding, q Qualifier) ([]binding, error) {
	switch q.Kind {
	case QualWithin:
		if q.Seconds >= math.MaxInt64/float64(time.Second) {
			return x, nil // longer than time.Duration holds: no limit in practice
		}
		d := time.Duration(q.Seconds * float64(time.Second))
		return slices.DeleteFunc(x, func(b binding) bool { return b.last.Sub(b.first) > d }), nil
	case QualStartStop:
		return slices.DeleteFunc(x, func(b binding) bool { return b.first.Before(q.Start) || !b.last.Before(q.Stop) }), nil
	case QualRepeats:
		// From each binding in order of time, gather later disjoint ones
		// until they count n: the tightest run starting there, so that a
		// WITHIN applied next sees the best candidates.
		slices.SortStableFunc(x, func(a, b binding) int { return a.first.Compare(b.first) })
		var out []binding
		for i := range x {
			acc := x[i]
			for j := i + 1; j < len(x) && acc.count < q.Times; j++ {
				if !m.spend(1 + len(acc.obs) + len(x[j].obs)) {
					return nil, errTooLong
				}
				if disjoint(acc.obs, x[j].obs) {
					n := acc.count + x[j].count
					acc = join(acc, x[j])
					acc.count = n
				}
			}
			if acc.count >= q.Times {
				acc.count = 1
				out = append(out, acc)
			}
		}
		return out, nil
	}
	return x, nil
}

// join merges two disjoint bindings into one that stands for one match.
func join(a, b binding) binding {
	obs := make([]int, 0, len(a.obs)+len(b.obs))
	obs = append(append(obs, a.obs...), b.obs...)
	slices.Sort(obs)
	j := binding{obs: obs, first: a.first, last: a.last, count: 1}
	if b.first.Before(j.first) {
		j.first = b.first
	}
	if b.last.After(j.last) {
		j.last = b.last
	}
	return j
}

func disjoint(a, b []int) bool {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			return false
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return true
}

// holds reports whether cond holds for observation i: whether one of its
// objects satisfies the whole condition (comparisons on other object types
// are false for it).
func (m *matcher) holds(e *ObservationExpr, i int) bool {
	o := &m.obs[i]
	types := e.types
	if types == nil {
		types = condTypes(e.Cond)
	}
	if len(o.Objects) <= 16 {
		// Few objects: test each, without indexing them by type.
		if !m.spend(len(o.Objects)) {
			return false // Match sees the spent budget and fails
		}
		for _, obj := range o.Objects {
			typ, _ := obj["type"].(string)
			if slices.Contains(types, typ) && evalCond(e.Cond, typ, obj, o.Objects) {
				return true
			}
		}
		return false
	}
	if m.byType[i] == nil {
		bt := make(map[string][]string)
		for id, obj := range o.Objects {
			typ, _ := obj["type"].(string)
			bt[typ] = append(bt[typ], id)
		}
		m.byType[i] = bt
	}
	for _, typ := range types {
		ids := m.byType[i][typ]
		if !m.spend(len(ids)) {
			return false
		}
		for _, id := range ids {
			if evalCond(e.Cond, typ, o.Objects[id], o.Objects) {
				return true
			}
		}
	}
	return false
}

// evalCond evaluates c on one object of type typ.
func evalCond(c Cond, typ string, obj map[string]any, resolve resolver) bool {
	switch c := c.(type) {
	case *Test:
		return c.Path.Type == typ && c.eval(obj, resolve)
	case *CondExpr:
		x := evalCond(c.X, typ, obj, resolve)
		if c.Op == And {
			return x && evalCond(c.Y, typ, obj, resolve)
		}
		return x || evalCond(c.Y, typ, obj, resolve)
	}
	return false
}

// Observations returns the observations of a bundle's objects (decoded
// JSON objects, numbers preferably as json.Number): one per observed-data,
// with the objects it names in object_refs and those they reference, or,
// for STIX 2.0 observed-data, its embedded objects. first_observed and
// last_observed are required; number_observed defaults to 1.
func Observations(objects []map[string]any) ([]Observation, error) {
	byID := make(map[string]map[string]any, len(objects))
	for _, o := range objects {
		if id, ok := o["id"].(string); ok {
			byID[id] = o
		}
	}
	var out []Observation
	for _, o := range objects {
		if o["type"] != "observed-data" {
			continue
		}
		id, _ := o["id"].(string)
		obs := Observation{NumberObserved: 1}
		var err error
		if obs.FirstObserved, err = requiredTime(o, "first_observed"); err != nil {
			return nil, fmt.Errorf("observed-data %s: %w", id, err)
		}
		if obs.LastObserved, err = requiredTime(o, "last_observed"); err != nil {
			return nil, fmt.Errorf("observed-data %s: %w", id, err)
		}
		if obs.LastObserved.Before(obs.FirstObserved) {
			return nil, fmt.Errorf("observed-data %s: last_observed is before first_observed", id)
		}
		if n, ok := number(o["number_observed"]); ok {
			if n < 1 || n > 999999999 || n != float64(int(n)) {
				return nil, fmt.Errorf("observed-data %s: number_observed must be a whole number from 1 to 999999999", id)
			}
			obs.NumberObserved = int(n)
		} else if o["number_observed"] != nil {
			return nil, fmt.Errorf("observed-data %s: number_observed is not a number", id)
		}
		obs.Objects = map[string]map[string]any{}
		if embedded, ok := o["objects"].(map[string]any); ok {
			for k, v := range embedded {
				if m, ok := v.(map[string]any); ok {
					obs.Objects[k] = m
				}
			}
		} else {
			refs, _ := o["object_refs"].([]any)
			queue := make([]string, 0, len(refs))
			for _, r := range refs {
				if s, ok := r.(string); ok {
					queue = append(queue, s)
				}
			}
			for len(queue) > 0 {
				ref := queue[0]
				queue = queue[1:]
				if _, seen := obs.Objects[ref]; seen {
					continue
				}
				sco, ok := byID[ref]
				if !ok {
					continue // not in the bundle: its properties cannot match
				}
				obs.Objects[ref] = sco
				queue = appendRefs(queue, sco)
			}
		}
		out = append(out, obs)
	}
	return out, nil
}

// appendRefs appends the ids that the *_ref and *_refs properties of v
// name, at any depth (extensions, list elements).
func appendRefs(queue []string, v any) []string {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch {
			case strings.HasSuffix(k, "_ref"):
				if s, ok := x.(string); ok {
					queue = append(queue, s)
				}
			case strings.HasSuffix(k, "_refs"):
				l, _ := x.([]any)
				for _, e := range l {
					if s, ok := e.(string); ok {
						queue = append(queue, s)
					}
				}
			default:
				queue = appendRefs(queue, x)
			}
		}
	case []any:
		for _, x := range v {
			queue = appendRefs(queue, x)
		}
	}
	return queue
}

func requiredTime(o map[string]any, key string) (time.Time, error) {
	s, ok := o[key].(string)
	if !ok {
		return time.Time{}, fmt.Errorf("%s is missing", key)
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: %w", key, err)
	}
	return t, nil
}

// DecodeBundle decodes a STIX bundle (or a JSON array of objects) into the
// objects Observations reads, numbers as json.Number.
func DecodeBundle(data []byte) ([]map[string]any, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding bundle: %w", err)
	}
	var list []any
	switch v := v.(type) {
	case map[string]any:
		if v["type"] != "bundle" {
			return nil, fmt.Errorf("decoding bundle: type is %v, want \"bundle\"", v["type"])
		}
		list, _ = v["objects"].([]any)
	case []any:
		list = v
	default:
		return nil, fmt.Errorf("decoding bundle: want a JSON object or array")
	}
	out := make([]map[string]any, 0, len(list))
	for i, x := range list {
		m, ok := x.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("decoding bundle: objects[%d] is not a JSON object", i)
		}
		out = append(out, m)
	}
	return out, nil
}
