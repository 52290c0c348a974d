// Package taxii pulls a remote TAXII 2.1 collection into Dragnet: a thin
// connector over the taxii package's client. It follows next, resumes
// from the last date_added it read (X-TAXII-Date-Added-Last), and
// validates every object as a STIX bundle's objects are validated.
package taxii

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dragnet-intel/dragnet/feed"
	fstix "github.com/dragnet-intel/dragnet/feed/stix"
	"github.com/dragnet-intel/dragnet/stix"
	"github.com/dragnet-intel/dragnet/taxii"
)

// Decoder reads the objects of one collection added after Since. It
// implements feed.Decoder; the reader it is given is not used. After
// Decode, Last is the date_added to resume from.
type Decoder struct {
	Client     *taxii.Client
	Collection string
	Since      time.Time
	PageSize   int // 0: the server's default
	Last       time.Time
}

var _ feed.Decoder = (*Decoder)(nil)

// Decode implements feed.Decoder.
func (d *Decoder) Decode(ctx context.Context, _ io.Reader, b *feed.Builder, emit feed.Emit) error {
	n := 0
	last, err := d.Client.GetObjects(ctx, d.Collection, taxii.Query{AddedAfter: d.Since, Limit: d.PageSize}, func(p *taxii.Page) error {
		for _, raw := range p.Objects {
			for _, it := range fstix.Items(fmt.Sprintf("objects[%d]", n), raw) {
				if err := emit(it); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	d.Last = last
	if err != nil {
		return fmt.Errorf("reading TAXII collection %s: %w", d.Collection, err)
	}
	return nil
}

// Present lists the ids of every object the collection holds now, from
// its manifest (TAXII 2.1 section 5.3), page by page: what the puller
// compares with the ids it pulled before to find objects gone from the
// collection. It follows next while the server says more; a server that
// says more without a next is resumed with added_after set to the last
// record's date_added.
func Present(ctx context.Context, c *taxii.Client, collection string) (map[string]bool, error) {
	out := map[string]bool{}
	var q taxii.Query
	for {
		m, err := c.Manifest(ctx, collection, q)
		if err != nil {
			return nil, fmt.Errorf("reading the manifest of TAXII collection %s: %w", collection, err)
		}
		for _, r := range m.Objects {
			out[r.ID] = true
		}
		if !m.More || len(m.Objects) == 0 {
			return out, nil
		}
		if m.Next != "" {
			q.Next = m.Next
			continue
		}
		last, err := stix.ParseTimestamp(m.Objects[len(m.Objects)-1].DateAdded)
		if err != nil || !last.After(q.AddedAfter) {
			return nil, fmt.Errorf("reading the manifest of TAXII collection %s: more pages announced without next and without a later date_added", collection)
		}
		q.Next, q.AddedAfter = "", last
	}
}

// FormatCursor and ParseCursor keep the resume point in a feed's state.
func FormatCursor(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return stix.FormatTimestamp(t)
}

// ParseCursor reads a cursor written by FormatCursor ("" is the start).
func ParseCursor(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return stix.ParseTimestamp(s)
}
