package alert

import "container/list"

// sentMemory remembers, for up to max keys, what a watcher last alerted
// under each key (for cross-border alerts: a subscription and a value ->
// the countries it was told of), so that the same news is not sent twice.
// When full, the key least recently alerted or confirmed is forgotten.
//
// Forgetting is safe in one direction only, and that is the one it takes:
// a key that is not remembered (dropped here, or lost with a restart)
// makes the next publication carrying the value alert again, at worst
// repeating news the member already had; nothing is ever suppressed that
// the memory does not hold, so no alert is missed. Its size is bounded by
// max whatever the number of subscriptions and values. Not safe for
// concurrent use; the Watcher guards it.
type sentMemory struct {
	max   int
	order *list.List               // of *sentEntry, most recent first
	byKey map[string]*list.Element // key -> its element in order
}

type sentEntry struct {
	key, what string
}

// defaultSentMemory is how many cross-border keys a watcher keeps when
// WatchOptions.CrossBorderMemory is 0 (a few hundred bytes each).
const defaultSentMemory = 100_000

func newSentMemory(max int) *sentMemory {
	if max <= 0 {
		max = defaultSentMemory
	}
	return &sentMemory{max: max, order: list.New(), byKey: map[string]*list.Element{}}
}

// swap records what as the news last sent under key and returns what was
// recorded before ("" when nothing is remembered), making key the most
// recent; the least recent key is dropped when more than max are held.
func (m *sentMemory) swap(key, what string) (old string) {
	if e, ok := m.byKey[key]; ok {
		s := e.Value.(*sentEntry)
		old, s.what = s.what, what
		m.order.MoveToFront(e)
		return old
	}
	m.byKey[key] = m.order.PushFront(&sentEntry{key: key, what: what})
	if m.order.Len() > m.max {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.byKey, last.Value.(*sentEntry).key)
	}
	return ""
}

// len is how many keys are remembered.
func (m *sentMemory) len() int { return len(m.byKey) }
