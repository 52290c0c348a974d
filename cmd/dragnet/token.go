package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/dragnet-intel/dragnet"
	"github.com/dragnet-intel/dragnet/web"
)

func (m *Main) runToken(ctx context.Context, args []string) error {
	return m.runSub(ctx, "token", args, map[string]subcommand{
		"add":    {"create a token and print it (shown only once)", (*Main).runTokenAdd},
		"list":   {"list an organisation's tokens (without secrets)", (*Main).runTokenList},
		"revoke": {"revoke a token by id", (*Main).runTokenRevoke},
	})
}

func (m *Main) runTokenAdd(ctx context.Context, args []string) error {
	fs := m.newFlagSet("token add", "--data DIR --org NAME --role read|write|admin [--expires 720h|2027-01-31] [--label TEXT]")
	var sf storeFlags
	sf.register(fs)
	org := fs.String("org", "", "organisation the token belongs to")
	role := fs.String("role", "read", "read, write or admin")
	expires := fs.String("expires", "", "lifetime (e.g. 720h) or date (YYYY-MM-DD, UTC); default: never")
	label := fs.String("label", "", "a note saying what the token is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := noArgs(fs); err != nil {
		return err
	}
	r, err := dragnet.ParseRole(*role)
	if err != nil {
		return err
	}
	exp, err := parseExpiry(*expires, time.Now())
	if err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	secret, _, err := st.CreateToken(dragnet.SystemContext(ctx), *org, r, *label, exp)
	if err := m.auditAdmin(ctx, st, "token.create", *org+" "+string(r), err); err != nil {
		return err
	}
	_, err = fmt.Fprintln(m.Stdout, secret)
	return err
}

// parseExpiry reads a lifetime ("720h") or a UTC date or RFC 3339 time.
func parseExpiry(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, dragnet.Errorf(dragnet.EINVALID, "--expires %q is not in the future", s)
		}
		return now.Add(d).UTC(), nil
	}
	for _, layout := range []string{"2006-01-02", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			if !t.After(now) {
				return time.Time{}, dragnet.Errorf(dragnet.EINVALID, "--expires %q is not in the future", s)
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, dragnet.Errorf(dragnet.EINVALID, "--expires %q is neither a duration (720h) nor a date (2027-01-31)", s)
}

func (m *Main) runTokenList(ctx context.Context, args []string) error {
	fs := m.newFlagSet("token list", "--data DIR --org NAME")
	var sf storeFlags
	sf.register(fs)
	org := fs.String("org", "", "organisation")
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	ts, err := st.ListTokens(dragnet.SystemContext(ctx), *org)
	if err != nil {
		return err
	}
	now := time.Now()
	for _, t := range ts {
		if err := m.printJSON(web.TokenJSON(t, now)); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) runTokenRevoke(ctx context.Context, args []string) error {
	fs := m.newFlagSet("token revoke", "--data DIR --id N")
	var sf storeFlags
	sf.register(fs)
	id := fs.String("id", "", "token id (from token list)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	n, err := strconv.ParseInt(*id, 10, 64)
	if err != nil || n <= 0 {
		return dragnet.Errorf(dragnet.EINVALID, "--id %q is not a token id", *id)
	}
	st, err := m.openStore(ctx, sf)
	if err != nil {
		return err
	}
	defer st.Close()
	return m.auditAdmin(ctx, st, "token.revoke", *id, st.RevokeToken(dragnet.SystemContext(ctx), n))
}
