package main

import (
	"context"
	"flag"
	"net/netip"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/enrich"
	"github.com/dragnet-intel/dragnet/graph"
)

// graphFlags are the flags of the commands that query the graph as one
// organisation.
type graphFlags struct {
	storeFlags
	org        string
	geoCountry string
	geoASN     string
}

func (gf *graphFlags) register(fs *flag.FlagSet) {
	gf.storeFlags.register(fs)
	fs.StringVar(&gf.org, "org", "", "organisation to act as: only what it may see is used")
	fs.StringVar(&gf.geoCountry, "geoip-country", "", "GeoLite2-format country database (.mmdb) to locate addresses with")
	fs.StringVar(&gf.geoASN, "geoip-asn", "", "GeoLite2-format ASN database (.mmdb) to locate addresses with")
}

// graphOptions returns the graph options the flags ask for, and a function
// that releases what they opened.
func (gf *graphFlags) graphOptions() (graph.Options, func(), error) {
	if gf.geoCountry == "" && gf.geoASN == "" {
		return graph.Options{}, func() {}, nil
	}
	e, err := enrich.Open(gf.geoCountry, gf.geoASN)
	if err != nil {
		return graph.Options{}, nil, dragnet.Errorf(dragnet.EINVALID, "%v", err)
	}
	locate := func(a netip.Addr) (graph.Location, bool) {
		info, ok := e.Lookup(a)
		return graph.Location{Country: info.Country, ASN: info.ASN, ASOrg: info.ASOrg}, ok
	}
	return graph.Options{Locate: locate}, func() { e.Close() }, nil
}

// loadGraph opens the store, builds the graph from it and returns the
// Access of the organisation the flags name.
func (m *Main) loadGraph(ctx context.Context, gf graphFlags) (*graph.Graph, *dragnet.Access, error) {
	if gf.org == "" {
		return nil, nil, dragnet.Errorf(dragnet.EINVALID, "--org is required: the graph answers as one organisation")
	}
	st, err := m.openStore(ctx, gf.storeFlags)
	if err != nil {
		return nil, nil, err
	}
	defer st.Close()
	sc, ok := st.(dragnet.ObjectScanner)
	if !ok {
		return nil, nil, dragnet.Errorf(dragnet.EUNSUPPORTED, "this store cannot feed the graph (no object scan)")
	}
	sys := dragnet.SystemContext(ctx)
	org, err := st.FindOrg(sys, gf.org)
	if err != nil {
		return nil, nil, err
	}
	a, err := st.Access(dragnet.OrgContext(ctx, org, dragnet.RoleRead))
	if err != nil {
		return nil, nil, err
	}
	orgs, err := st.ListOrgs(sys)
	if err != nil {
		return nil, nil, err
	}
	opts, release, err := gf.graphOptions()
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	g, skipped, err := graph.Load(sys, sc, orgs, opts)
	if err != nil {
		release()
		return nil, nil, err
	}
	m.Logger.Info("graph loaded", "nodes", g.Len(), "edges", g.Edges(), "skipped", skipped, "took", time.Since(start).Round(time.Millisecond))
	// The locator stays open for the life of the command.
	return g, a, nil
}

// runCorrelate prints who else reported a value or an object.
func (m *Main) runCorrelate(ctx context.Context, args []string) error {
	fs := m.newFlagSet("correlate", "--data DIR --org NAME VALUE|ID...")
	var gf graphFlags
	gf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return dragnet.Errorf(dragnet.EINVALID, "name a value (address, domain, e-mail, kind:value) or a STIX id")
	}
	g, a, err := m.loadGraph(ctx, gf)
	if err != nil {
		return err
	}
	for _, key := range fs.Args() {
		c, err := g.Correlate(a, key)
		if err != nil {
			return err
		}
		if err := m.printJSON(c); err != nil {
			return err
		}
	}
	return nil
}
