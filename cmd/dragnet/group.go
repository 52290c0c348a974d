package main

import (
	"context"

	"strings"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/web"
)

func (m *Main) runGroup(ctx context.Context, args []string) error {
	return m.runSub(ctx, "group", args, map[string]subcommand{
		"add":     {"add a sharing group", (*Main).runGroupAdd},
		"members": {"add or remove members of a group", (*Main).runGroupMembers},
		"list":    {"list sharing groups", (*Main).runGroupList},
	})
}

func (m *Main) runGroupAdd(ctx context.Context, args []string) error {
	fs := m.newFlagSet("group add", "--data DIR --name NAME --members A,B,…")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "group name (unique among groups and organisations)")
	members := fs.String("members", "", "comma-separated organisations or groups")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	g, err := st.CreateGroup(dragnet.SystemContext(ctx), *name, splitList(*members))
	if err := m.auditAdmin(ctx, st, "group.create", *name, err); err != nil {
		return err
	}
	return m.printJSON(web.GroupJSON(g))
}

func (m *Main) runGroupMembers(ctx context.Context, args []string) error {
	fs := m.newFlagSet("group members", "--data DIR --name NAME [--add A,B] [--remove C]")
	var sf storeFlags
	sf.register(fs)
	name := fs.String("name", "", "group name")
	add := fs.String("add", "", "comma-separated organisations or groups to add")
	remove := fs.String("remove", "", "comma-separated organisations or groups to remove")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	sys := dragnet.SystemContext(ctx)
	if l := splitList(*add); len(l) > 0 {
		err := st.AddGroupMembers(sys, *name, l)
		if err := m.auditAdmin(ctx, st, "group.members", *name+" +"+strings.Join(l, ","), err); err != nil {
			return err
		}
	}
	if l := splitList(*remove); len(l) > 0 {
		err := st.RemoveGroupMembers(sys, *name, l)
		if err := m.auditAdmin(ctx, st, "group.members", *name+" -"+strings.Join(l, ","), err); err != nil {
			return err
		}
	}
	g, err := st.FindGroup(sys, *name)
	if err != nil {
		return err
	}
	return m.printJSON(web.GroupJSON(g))
}

func (m *Main) runGroupList(ctx context.Context, args []string) error {
	fs := m.newFlagSet("group list", "--data DIR")
	var sf storeFlags
	sf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	gs, err := st.ListGroups(dragnet.SystemContext(ctx))
	if err != nil {
		return err
	}
	for _, g := range gs {
		if err := m.printJSON(web.GroupJSON(g)); err != nil {
			return err
		}
	}
	return nil
}
