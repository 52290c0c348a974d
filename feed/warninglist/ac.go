package warninglist

// automaton is an Aho-Corasick automaton over bytes: contains reports in
// one pass over the text whether any pattern occurs in it, whatever the
// number of patterns (the disposable-email list alone has 8,000). Bytes
// that occur in no pattern share one class, so each state's row is as wide
// as the patterns' alphabet (about 40 for domains), not 256.
type automaton struct {
	class [256]uint8 // byte -> column; 0 for bytes in no pattern
	width int
	next  []int32 // state*width + column -> state (failures folded in)
	out   []bool  // a pattern ends here, or at a suffix of here
}

func newAutomaton(patterns []string) *automaton {
	a := &automaton{width: 1}
	for _, p := range patterns {
		for i := 0; i < len(p); i++ {
			if a.class[p[i]] == 0 && a.width < 256 {
				a.class[p[i]] = uint8(a.width)
				a.width++
			}
		}
	}
	newState := func() int32 {
		for i := 0; i < a.width; i++ {
			a.next = append(a.next, -1)
		}
		a.out = append(a.out, false)
		return int32(len(a.out) - 1)
	}
	newState()
	w := int32(a.width)
	for _, p := range patterns {
		s := int32(0)
		for i := 0; i < len(p); i++ {
			c := int32(a.class[p[i]])
			if a.next[s*w+c] < 0 {
				t := newState()
				a.next[s*w+c] = t
			}
			s = a.next[s*w+c]
		}
		a.out[s] = true
	}
	fail := make([]int32, len(a.out))
	queue := make([]int32, 0, len(a.out))
	for c := int32(0); c < w; c++ {
		if t := a.next[c]; t > 0 {
			queue = append(queue, t)
		} else {
			a.next[c] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if a.out[fail[s]] {
			a.out[s] = true
		}
		for c := int32(0); c < w; c++ {
			t := a.next[s*w+c]
			if t < 0 {
				a.next[s*w+c] = a.next[fail[s]*w+c]
				continue
			}
			fail[t] = a.next[fail[s]*w+c]
			queue = append(queue, t)
		}
	}
	return a
}

func (a *automaton) contains(text string) bool {
	if a == nil || len(a.out) == 1 {
		return false
	}
	w := int32(a.width)
	s := int32(0)
	for i := 0; i < len(text); i++ {
		s = a.next[s*w+int32(a.class[text[i]])]
		if a.out[s] {
			return true
		}
	}
	return false
}
