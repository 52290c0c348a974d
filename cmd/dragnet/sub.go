package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/dragnet-intel/dragnet"
)

// subcommand is one verb of a command with verbs (org add, token list, …).
type subcommand struct {
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

// runSub dispatches args[0] among subs.
func (m *Main) runSub(ctx context.Context, name string, args []string, subs map[string]subcommand) error {
	usage := func(w io.Writer) {
		fmt.Fprintf(w, "Usage: dragnet %s VERB [flags]\n\nVerbs:\n", name)
		verbs := make([]string, 0, len(subs))
		for v := range subs {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		for _, v := range verbs {
			fmt.Fprintf(w, "  %-8s %s\n", v, subs[v].summary)
		}
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(m.Stderr)
		return flag.ErrHelp
	}
	s, ok := subs[args[0]]
	if !ok {
		usage(m.Stderr)
		return dragnet.Errorf(dragnet.EINVALID, "unknown verb %q for dragnet %s", args[0], name)
	}
	return s.run(m, ctx, args[1:])
}

// noArgs refuses positional arguments left after the flags.
func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return dragnet.Errorf(dragnet.EINVALID, "unexpected argument %q (flags come before arguments; see -h)", fs.Arg(0))
	}
	return nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
