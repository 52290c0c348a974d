package postgres_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/dragnet-intel/dragnet/auth"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/taxii"
)

// TestMain runs a TAXII node instead of the tests when the environment
// asks for one: TestNodeKilledMidPost starts the test binary again that
// way, so that it can kill a real process.
func TestMain(m *testing.M) {
	if schema := os.Getenv("DRAGNET_TEST_NODE_SCHEMA"); schema != "" {
		os.Exit(runNode(schema))
	}
	os.Exit(m.Run())
}

// runNode serves TAXII on a loopback port on the store in schema, prints
// its URL and serves until killed.
func runNode(schema string) int {
	ctx := context.Background()
	db, err := postgres.Open(ctx, os.Getenv("DRAGNET_TEST_POSTGRES"), postgres.Options{Schema: schema})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := taxii.NewServer(db, auth.New(db, auth.Options{RequestsPerSecond: 1e6, FailuresPerMinute: 1e6}), taxii.Config{BatchSize: 500})
	fmt.Printf("http://%s\n", ln.Addr())
	// Stop by itself should the test forget it.
	time.AfterFunc(2*time.Minute, func() { os.Exit(2) })
	http.Serve(ln, srv)
	return 0
}

// TestNodeKilledMidPost kills (SIGKILL) a node while it stores a posted
// envelope, then reads the status through another node: every object it
// reports a success is stored, every one still pending is not, and nothing
// is half-written.
func TestNodeKilledMidPost(t *testing.T) {
	h := newHub(t)
	schema := h.schema
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "DRAGNET_TEST_NODE_SCHEMA="+schema)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("node did not start: %v", err)
	}
	c, err := taxii.NewClient(strings.TrimSpace(line), taxii.ClientOptions{User: "acme", Token: h.tokens["acme"]})
	if err != nil {
		t.Fatal(err)
	}
	objs := rawIndicators(t, 0, 20000, "")
	st, err := c.AddObjects(context.Background(), h.colls["community"], objs)
	if err != nil {
		t.Fatal(err)
	}
	// Let it store a batch or two, then kill it.
	other := h.client(1, "acme")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := other.Status(context.Background(), st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.SuccessCount > 0 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	// A transaction the dead node left open can never commit (COMMIT would
	// have to come from it), but one whose COMMIT it sent just before it
	// died may still be committing. So read the status, the stored objects
	// and the status again, until both status reads agree: then the three
	// reads saw one state, and that state must be truthful.
	var s *taxii.Status
	stored := map[string]bool{}
	for attempt := 0; ; attempt++ {
		before, err := other.Status(context.Background(), st.ID)
		if err != nil {
			t.Fatal(err)
		}
		stored = map[string]bool{}
		if _, err := other.GetObjects(context.Background(), h.colls["community"], taxii.Query{Types: []string{"indicator"}, Limit: 10000}, func(p *taxii.Page) error {
			for _, raw := range p.Objects {
				var o struct{ ID string }
				if err := json.Unmarshal(raw, &o); err != nil {
					return err
				}
				stored[o.ID] = true
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if s, err = other.Status(context.Background(), st.ID); err != nil {
			t.Fatal(err)
		}
		if s.SuccessCount == before.SuccessCount && s.PendingCount == before.PendingCount && s.FailureCount == before.FailureCount {
			break
		}
		if attempt == 50 {
			t.Fatalf("the status kept changing after the node was killed: %+v then %+v", before, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after the kill: %d successes, %d failures, %d pending of %d", s.SuccessCount, s.FailureCount, s.PendingCount, s.TotalCount)
	if s.PendingCount == 0 {
		t.Fatal("the node finished before it was killed: the test proved nothing")
	}
	if s.Status != "pending" || s.SuccessCount+s.PendingCount+s.FailureCount != len(objs) {
		t.Fatalf("status %s: %d+%d+%d of %d", s.Status, s.SuccessCount, s.PendingCount, s.FailureCount, len(objs))
	}
	for _, d := range s.Successes {
		if !stored[d.ID] {
			t.Fatalf("%s reported a success but is not stored", d.ID)
		}
	}
	for _, d := range s.Pendings {
		if stored[d.ID] {
			t.Fatalf("%s is stored but still pending", d.ID)
		}
	}
	if len(stored) != s.SuccessCount {
		t.Fatalf("%d objects stored, %d successes", len(stored), s.SuccessCount)
	}
}
