package postgres_test

import (
	"testing"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/postgres"
	"github.com/dragnet-intel/dragnet/postgres/pgtest"
)

// BenchmarkStatusBatch times one AddObjects call of 500 objects that
// resolves its pendings in a status posted as one envelope of `batches`
// batches: the first batch or the last (the 99 before it resolved). The
// objects are stored already, so the time is mostly the status update;
// with statuses stored in chunks it does not grow with the envelope.
func BenchmarkStatusBatch(b *testing.B) {
	const size = 500
	db := pgtest.Open(b, postgres.Options{})
	w := newWorld(&testing.T{}, db)
	all := benchBatches(b, 0, 100, size)
	for _, batch := range all {
		addAll(b, db, w.actx, batch)
	}
	for _, tc := range []struct {
		name           string
		batches, which int
	}{{"batches=1", 1, 0}, {"batches=100/first", 100, 0}, {"batches=100/last", 100, 99}} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				st := &dragnet.Status{CollectionID: dragnet.CommunityCollectionID}
				for _, batch := range all[:tc.batches] {
					for _, s := range batch {
						st.Pendings = append(st.Pendings, dragnet.StatusDetail{ID: s.Object.ID, Version: s.Object.Version()})
					}
				}
				if err := db.CreateStatus(w.actx, st); err != nil {
					b.Fatal(err)
				}
				for _, batch := range all[:tc.which] {
					if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, st.ID, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.StartTimer()
				if _, err := db.AddObjects(w.actx, dragnet.CommunityCollectionID, st.ID, all[tc.which]); err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				got, err := db.Status(w.actx, st.ID)
				if err != nil {
					b.Fatal(err)
				}
				if want := (tc.which + 1) * size; len(got.Successes) != want || len(got.Pendings) != (tc.batches-tc.which-1)*size {
					b.Fatalf("status after batch %d: %d successes, %d pendings", tc.which, len(got.Successes), len(got.Pendings))
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/batch")
		})
	}
}
