package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"runtime/pprof"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/feed"
	"github.com/dragnet-intel/dragnet/feed/csv"
	"github.com/dragnet-intel/dragnet/feed/misp"
	"github.com/dragnet-intel/dragnet/sqlite"
)

// ingestBenchPart is the figures of one input.
type ingestBenchPart struct {
	Entries          int     `json:"entries"`
	Bytes            int     `json:"bytes"`
	Seconds          float64 `json:"seconds"`
	IndicatorsPerSec float64 `json:"indicators_per_sec"`
	// Decode-only is the same input read, parsed, normalised and built
	// into the same STIX objects (ids, JSON, values) that are stored, by
	// the same decoder and Builder, but neither compared with the store
	// nor stored: the limit storing is measured against.
	DecodeSeconds    float64 `json:"decode_only_seconds"`
	DecodeOnlyPerSec float64 `json:"decode_only_per_sec"`
	StoreOverDecode  float64 `json:"store_over_decode"` // seconds stored / seconds decoded
	Stored           int     `json:"stored"`
	Batch            int     `json:"batch"`
	// CPU seconds of the process (user and system, all threads) for each
	// phase, and the rates per CPU second: on a shared machine these say
	// what the code costs when wall-clock rates say how busy the machine
	// was. With --db the PostgreSQL server's own processes are not
	// counted.
	CPUSeconds          float64 `json:"cpu_seconds"`
	DecodeCPUSeconds    float64 `json:"decode_only_cpu_seconds"`
	IndicatorsPerCPUSec float64 `json:"indicators_per_cpu_sec"`
	DecodePerCPUSec     float64 `json:"decode_only_per_cpu_sec"`
	// The same input pulled again into the same collection: every entry
	// is found unchanged and nothing is stored.
	RepullSeconds    float64 `json:"repull_seconds"`
	RepullCPUSeconds float64 `json:"repull_cpu_seconds"`
	RepullPerSec     float64 `json:"repull_per_sec"`
	RepullUnchanged  int     `json:"repull_unchanged"`
	// The same again as a scheduled feed pulls it: entries whose
	// fingerprint the last pull kept are unchanged without a look-up.
	RepullKnownSeconds    float64 `json:"repull_known_seconds"`
	RepullKnownCPUSeconds float64 `json:"repull_known_cpu_seconds"`
	RepullKnownPerSec     float64 `json:"repull_known_per_sec"`
}

// cpuSeconds returns the process's user and system CPU time so far.
func cpuSeconds() float64 { return cpuTime().Seconds() }

// ingestBenchOptions are the settings of one bench ingest run.
type ingestBenchOptions struct {
	batch  int
	repull bool
	sqlite sqlite.Options
}

// ingestBenchResult is the one JSON line dragnet bench ingest prints.
type ingestBenchResult struct {
	Bench string           `json:"bench"`
	Store string           `json:"store"`
	CSV   ingestBenchPart  `json:"csv"`
	MISP  *ingestBenchPart `json:"misp,omitempty"` // nil with --attributes 0
}

func (m *Main) runBenchIngest(ctx context.Context, args []string) error {
	fs := m.newFlagSet("bench ingest", "[--lines N] [--attributes N] [--data DIR]")
	var sf storeFlags
	sf.register(fs)
	lines := fs.Int("lines", 1_000_000, "lines of the generated CSV feed")
	attrs := fs.Int("attributes", 100_000, "to_ids attributes of the generated MISP event (0: no MISP event)")
	repull := fs.Bool("repull", true, "also time pulling each input again, unchanged")
	cacheMiB := fs.Int("writer-cache-mib", 0, "the store writer's page cache in MiB (0: the store's default)")
	ckpt := fs.Int("checkpoint-pages", 0, "WAL pages at which the store checkpoints (0: the store's default)")
	batch := fs.Int("batch", feed.DefaultBatch, "objects stored per transaction")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile (pprof) of the run to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	if *lines < 1 || *attrs < 0 {
		return dragnet.Errorf(dragnet.EINVALID, "--lines must be positive and --attributes not negative")
	}
	opts := ingestBenchOptions{batch: *batch, repull: *repull, sqlite: sqlite.Options{WriterCacheMiB: *cacheMiB, CheckpointPages: *ckpt}}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if sf.data != "" && sf.db != "" {
		return dragnet.Errorf(dragnet.EINVALID, "give either --data or --db, not both")
	}
	res := ingestBenchResult{Bench: "ingest", Store: "sqlite"}
	if sf.db != "" {
		res.Store = "postgres"
	}
	csvData := genCSVFeed(*lines)
	var err error
	if res.CSV, err = m.benchIngestOne(ctx, sf, &csv.Decoder{}, csvData, "bench.csv", opts); err != nil {
		return err
	}
	if *attrs == 0 {
		return m.printJSON(res)
	}
	mp, err := m.benchIngestOne(ctx, sf, &misp.Decoder{}, genMISPEvent(*attrs), "bench-event.json", opts)
	if err != nil {
		return err
	}
	res.MISP = &mp
	return m.printJSON(res)
}

// benchIngestOne decodes data without storing, then stores it into a new
// organisation's collection of a fresh store (or --data's), and times both.
func (m *Main) benchIngestOne(ctx context.Context, sf storeFlags, dec feed.Decoder, data []byte, source string, opts ingestBenchOptions) (ingestBenchPart, error) {
	part := ingestBenchPart{Bytes: len(data), Batch: opts.batch}
	b := &feed.Builder{Scope: "identity--5f0e3c55-0b5e-4c1d-9a43-6a3c1a0d7e21", Source: source}
	start, cpu := time.Now(), cpuSeconds()
	err := dec.Decode(ctx, bytes.NewReader(data), b, func(it *feed.Item) error {
		if it.Entry && it.Err == nil {
			part.Entries++
		}
		return nil
	})
	if err != nil {
		return part, err
	}
	part.DecodeSeconds = time.Since(start).Seconds()
	part.DecodeCPUSeconds = cpuSeconds() - cpu
	part.DecodeOnlyPerSec = float64(part.Entries) / part.DecodeSeconds
	part.DecodePerCPUSec = float64(part.Entries) / part.DecodeCPUSeconds

	var db dragnet.Store
	if sf.db != "" {
		// A new organisation each run: its collection starts empty in a
		// database that may hold earlier runs.
		if db, err = m.openStore(ctx, sf); err != nil {
			return part, err
		}
	} else {
		dir := sf.data
		if dir == "" {
			if dir, err = os.MkdirTemp("", "dragnet-bench-ingest-"); err != nil {
				return part, err
			}
			defer os.RemoveAll(dir)
		}
		if db, err = sqlite.Open(ctx, dir, opts.sqlite); err != nil {
			return part, err
		}
	}
	defer db.Close()
	org := &dragnet.Org{Name: fmt.Sprintf("bench-%d", time.Now().UnixNano()), Country: "ZZ", Kind: dragnet.KindOther}
	if !dragnet.ValidCountry(org.Country) {
		org.Country = "DE"
	}
	if err := db.CreateOrg(dragnet.SystemContext(ctx), org); err != nil {
		return part, err
	}
	octx := dragnet.OrgContext(ctx, org, dragnet.RoleWrite)
	cols, err := db.Collections(octx)
	if err != nil {
		return part, err
	}
	coll := ""
	for _, c := range cols {
		if c.Kind == dragnet.AudienceOrg && c.RefID == org.ID {
			coll = c.CollectionID
		}
	}
	b.Scope = org.IDScope()
	p := &feed.Pipeline{Store: db, Collection: coll, Batch: opts.batch}
	start, cpu = time.Now(), cpuSeconds()
	sum, err := p.Run(octx, dec, bytes.NewReader(data), b, source)
	if err != nil {
		return part, err
	}
	part.Seconds = time.Since(start).Seconds()
	part.CPUSeconds = cpuSeconds() - cpu
	part.IndicatorsPerCPUSec = float64(sum.Outcomes[feed.New]) / part.CPUSeconds
	part.Stored = sum.Objects.New
	part.IndicatorsPerSec = float64(sum.Outcomes[feed.New]) / part.Seconds
	part.StoreOverDecode = part.Seconds / part.DecodeSeconds

	if !opts.repull {
		return part, nil
	}
	fps := make(map[string]uint64, part.Entries)
	p.Seen = func(id string, fp uint64) { fps[id] = fp }
	start, cpu = time.Now(), cpuSeconds()
	sum, err = p.Run(octx, dec, bytes.NewReader(data), b, source)
	if err != nil {
		return part, err
	}
	part.RepullSeconds = time.Since(start).Seconds()
	part.RepullCPUSeconds = cpuSeconds() - cpu
	part.RepullUnchanged = sum.Outcomes[feed.Unchanged]
	part.RepullPerSec = float64(sum.Entries) / part.RepullSeconds

	p.Seen = nil
	p.Known = func(id string) (uint64, bool) { fp, ok := fps[id]; return fp, ok }
	start, cpu = time.Now(), cpuSeconds()
	if sum, err = p.Run(octx, dec, bytes.NewReader(data), b, source); err != nil {
		return part, err
	}
	if sum.Outcomes[feed.Unchanged] != part.RepullUnchanged {
		return part, fmt.Errorf("pulled with fingerprints: %d unchanged, %d without", sum.Outcomes[feed.Unchanged], part.RepullUnchanged)
	}
	part.RepullKnownSeconds = time.Since(start).Seconds()
	part.RepullKnownCPUSeconds = cpuSeconds() - cpu
	part.RepullKnownPerSec = float64(sum.Entries) / part.RepullKnownSeconds
	return part, nil
}

// genCSVFeed makes a blocklist of n lines in the abuse.ch style: a comment
// banner, a header in a comment, then value,first_seen,comment lines of
// IPv4 addresses, domains, URLs and SHA-256 hashes, all different.
func genCSVFeed(n int) []byte {
	r := mrand.New(mrand.NewPCG(1, 2))
	var b bytes.Buffer
	b.Grow(n * 60)
	b.WriteString("# generated feed for dragnet bench ingest\n# value,first_seen,comment\n")
	for i := 0; i < n; i++ {
		switch i % 10 {
		case 0, 1, 2, 3:
			fmt.Fprintf(&b, "%d.%d.%d.%d", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff)
		case 4, 5, 6:
			fmt.Fprintf(&b, "c2-%x.example-%d.com", r.Uint32(), i)
		case 7, 8:
			fmt.Fprintf(&b, "http://dl-%d.example.net/p/%x.bin", i, r.Uint64())
		default:
			fmt.Fprintf(&b, "%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), uint64(i))
		}
		fmt.Fprintf(&b, ",2026-0%d-%02d %02d:%02d:%02d,botnet c2 %d\n", 1+i%9, 1+i%28, i%24, i%60, (i/60)%60, i%50)
	}
	b.WriteString("# END\n")
	return b.Bytes()
}

// genMISPEvent makes one MISP event ({"Event": ...}) with n to_ids
// attributes of mixed types, each with its own uuid and timestamp.
func genMISPEvent(n int) []byte {
	r := mrand.New(mrand.NewPCG(3, 4))
	uuid := func() string {
		return fmt.Sprintf("%08x-%04x-4%03x-8%03x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xfff, r.Uint64()&0xffffffffffff)
	}
	type attr struct {
		UUID      string           `json:"uuid"`
		Type      string           `json:"type"`
		Category  string           `json:"category"`
		Value     string           `json:"value"`
		ToIDs     bool             `json:"to_ids"`
		Timestamp string           `json:"timestamp"`
		Comment   string           `json:"comment"`
		Tag       []map[string]any `json:"Tag,omitempty"`
	}
	attrs := make([]attr, n)
	for i := range attrs {
		a := attr{UUID: uuid(), ToIDs: true, Timestamp: fmt.Sprint(1700000000 + i), Category: "Network activity"}
		switch i % 5 {
		case 0, 1:
			a.Type, a.Value = "ip-dst", fmt.Sprintf("%d.%d.%d.%d", 11+i>>24&0x3f, i>>16&0xff, i>>8&0xff, i&0xff)
		case 2:
			a.Type, a.Value = "domain", fmt.Sprintf("evil-%d.example.org", i)
		case 3:
			a.Type, a.Value = "url", fmt.Sprintf("https://evil-%d.example.org/gate.php?id=%d", i%1000, i)
		default:
			a.Type, a.Category, a.Value = "sha256", "Payload delivery", fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), uint64(i))
		}
		if i%10 == 0 {
			a.Tag = []map[string]any{{"name": "kill-chain:Command and Control"}}
		}
		attrs[i] = a
	}
	ev := map[string]any{"Event": map[string]any{
		"uuid": uuid(), "info": "dragnet bench ingest: generated event", "date": "2026-01-01", "timestamp": "1800000000",
		"published": true, "threat_level_id": "2", "analysis": "2",
		"Orgc":      map[string]any{"uuid": uuid(), "name": "Bench CERT"},
		"Tag":       []map[string]any{{"name": "tlp:green"}, {"name": "type:OSINT"}},
		"Attribute": attrs,
	}}
	data, _ := json.Marshal(ev)
	return data
}
