package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet"
)

// testSubscriptions checks the SubscriptionService: validation, each
// organisation sees and changes only its own, read tokens only list, the
// system lists all, and every change is audited.
func testSubscriptions(t *testing.T, e *env) {
	ss, ok := e.s.(dragnet.SubscriptionService)
	if !ok {
		t.Fatal("the store does not implement dragnet.SubscriptionService")
	}
	a, b := e.org("A"), e.org("B")
	hook := &dragnet.Subscription{Kind: dragnet.SubscribeValue, Key: "ipv4:198.051.100.7", WebhookURL: "https://hooks.example.org/a", WebhookSecret: "0123456789abcdef"}
	if err := ss.CreateSubscription(as(a), hook); err == nil {
		t.Fatal("a malformed address was accepted")
	}
	hook.Key = "ipv4:198.51.100.7"
	if err := ss.CreateSubscription(as(a), hook); err != nil {
		t.Fatal(err)
	}
	if hook.ID == 0 || hook.OrgID != a.ID || hook.Created.IsZero() {
		t.Errorf("created %+v", hook)
	}
	stream := &dragnet.Subscription{Kind: dragnet.SubscribeCountry, Key: "de"}
	if err := ss.CreateSubscription(as(a), stream); err != nil || stream.Key != "DE" {
		t.Fatalf("%+v %v", stream, err)
	}
	theirs := &dragnet.Subscription{Kind: dragnet.SubscribeCrossBorder}
	if err := ss.CreateSubscription(as(b), theirs); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		s    dragnet.Subscription
	}{
		{"unknown kind", dragnet.Subscription{Kind: "weather"}},
		{"key on cross-border", dragnet.Subscription{Kind: dragnet.SubscribeCrossBorder, Key: "x"}},
		{"bad country", dragnet.Subscription{Kind: dragnet.SubscribeCountry, Key: "XX"}},
		{"bad actor", dragnet.Subscription{Kind: dragnet.SubscribeActor, Key: "malware--" + uuid(1)}},
		{"value without kind", dragnet.Subscription{Kind: dragnet.SubscribeValue, Key: "198.51.100.7"}},
		{"hook without secret", dragnet.Subscription{Kind: dragnet.SubscribeSighting, WebhookURL: "https://h.example.org/"}},
		{"short secret", dragnet.Subscription{Kind: dragnet.SubscribeSighting, WebhookURL: "https://h.example.org/", WebhookSecret: "short"}},
		{"not http", dragnet.Subscription{Kind: dragnet.SubscribeSighting, WebhookURL: "file:///etc/passwd", WebhookSecret: "0123456789abcdef"}},
		{"secret without hook", dragnet.Subscription{Kind: dragnet.SubscribeSighting, WebhookSecret: "0123456789abcdef"}},
	} {
		s := c.s
		wantCode(t, c.name, ss.CreateSubscription(as(a), &s), dragnet.EINVALID)
	}
	read := dragnet.OrgContext(e.sys, a, dragnet.RoleRead)
	wantCode(t, "read token subscribes", ss.CreateSubscription(read, &dragnet.Subscription{Kind: dragnet.SubscribeSighting}), dragnet.EFORBIDDEN)
	wantCode(t, "system subscribes", ss.CreateSubscription(e.sys, &dragnet.Subscription{Kind: dragnet.SubscribeSighting}), dragnet.EFORBIDDEN)

	mine, err := ss.Subscriptions(read)
	if err != nil || len(mine) != 2 || mine[0].ID != hook.ID || mine[1].ID != stream.ID {
		t.Fatalf("A's subscriptions: %v %v", mine, err)
	}
	if got := mine[0]; got.Kind != hook.Kind || got.Key != hook.Key || got.WebhookURL != hook.WebhookURL || got.WebhookSecret != hook.WebhookSecret || !got.Created.Equal(hook.Created) {
		t.Errorf("read back %+v, want %+v", got, hook)
	}
	all, err := ss.Subscriptions(e.sys)
	if err != nil || len(all) != 3 {
		t.Fatalf("all subscriptions: %v %v", all, err)
	}

	// B cannot change or delete A's subscription; it is not there for B.
	wantCode(t, "B updates A's", ss.UpdateSubscription(as(b), &dragnet.Subscription{ID: hook.ID, Kind: dragnet.SubscribeSighting}), dragnet.ENOTFOUND)
	wantCode(t, "B deletes A's", ss.DeleteSubscription(as(b), hook.ID), dragnet.ENOTFOUND)
	wantCode(t, "read token deletes", ss.DeleteSubscription(read, hook.ID), dragnet.EFORBIDDEN)

	up := &dragnet.Subscription{ID: stream.ID, Kind: dragnet.SubscribeActor, Key: "Threat-Actor--" + uuid(9)}
	if err := ss.UpdateSubscription(as(a), up); err != nil || up.Key != "threat-actor--"+uuid(9) || !up.Created.Equal(stream.Created) {
		t.Fatalf("update: %+v %v", up, err)
	}
	wantCode(t, "invalid update", ss.UpdateSubscription(as(a), &dragnet.Subscription{ID: stream.ID, Kind: "x"}), dragnet.EINVALID)
	if err := ss.DeleteSubscription(as(a), hook.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "delete twice", ss.DeleteSubscription(as(a), hook.ID), dragnet.ENOTFOUND)
	mine, err = ss.Subscriptions(as(a))
	if err != nil || len(mine) != 1 || mine[0].Kind != dragnet.SubscribeActor {
		t.Fatalf("after delete: %v %v", mine, err)
	}

	evs, err := e.s.AuditEvents(e.sys, dragnet.AuditFilter{OrgID: a.ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, ev := range evs {
		if strings.HasPrefix(ev.Action, "alert.") && ev.Outcome == "ok" {
			actions = append(actions, ev.Action)
		}
	}
	if want := []string{"alert.subscribe", "alert.subscribe", "alert.update", "alert.unsubscribe"}; !slices.Equal(actions, want) {
		t.Errorf("audited %v, want %v", actions, want)
	}
}

// testObjectTail checks ObjectsAfter: system only, the head cursor, new
// current versions in date_added order, paging by limit.
func testObjectTail(t *testing.T, e *env) {
	ot, ok := e.s.(dragnet.ObjectTail)
	if !ok {
		t.Fatal("the store does not implement dragnet.ObjectTail")
	}
	a := e.org("A")
	own := e.coll(a, "A")
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0, nil, nil)))
	_, _, err := ot.ObjectsAfter(as(a), -1, 0)
	wantCode(t, "member tails", err, dragnet.EFORBIDDEN)
	objs, head, err := ot.ObjectsAfter(e.sys, -1, 0)
	if err != nil || len(objs) != 0 || head <= 0 {
		t.Fatalf("head: %v %d %v", objs, head, err)
	}
	objs, next, err := ot.ObjectsAfter(e.sys, head, 0)
	if err != nil || len(objs) != 0 || next != head {
		t.Fatalf("nothing new: %v %d %v", objs, next, err)
	}
	e.mustAdd(a, dragnet.CommunityCollectionID, sub(obj("malware", uuid(2), t0, nil, map[string]any{"name": "x", "is_family": true})))
	e.mustAdd(a, own, sub(obj("indicator", uuid(1), t0.Add(time.Hour), nil, nil)), sub(obj("indicator", uuid(3), t0, nil, nil)))
	objs, next, err = ot.ObjectsAfter(e.sys, head, 2)
	if err != nil || len(objs) != 2 || next <= head {
		t.Fatalf("first page: %d objects, %d, %v", len(objs), next, err)
	}
	if objs[0].ID != "malware--"+uuid(2) || objs[0].AudienceID != 1 || objs[0].Submitter != a.ID || len(objs[0].Raw) == 0 {
		t.Errorf("first: %+v", objs[0])
	}
	if objs[1].ID != "indicator--"+uuid(1) || !objs[1].Version.Equal(t0.Add(time.Hour)) || objs[1].TLP != dragnet.TLPAmber {
		t.Errorf("second: %+v", objs[1])
	}
	if next != objs[1].DateAdded.UnixMicro() {
		t.Errorf("cursor %d, last date_added %d", next, objs[1].DateAdded.UnixMicro())
	}
	rest, last, err := ot.ObjectsAfter(e.sys, next, 2)
	if err != nil || len(rest) != 1 || rest[0].ID != "indicator--"+uuid(3) || last <= next {
		t.Fatalf("second page: %v %d %v", rest, last, err)
	}
	_, head2, _ := ot.ObjectsAfter(e.sys, -1, 0)
	if head2 != last {
		t.Errorf("head %d after reading to %d", head2, last)
	}
}
