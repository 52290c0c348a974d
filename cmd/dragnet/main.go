// Command dragnet runs the Dragnet cyber-crime intelligence exchange and
// its tools. Each subcommand lives in a file of its own.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"sort"
	"syscall"

	"github.com/dragnet-intel/dragnet"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Ingest allocates many short-lived values over a small live heap, so
	// the collector's default pace (GOGC=100) ran it often enough to cost
	// about a sixth of the CPU of a TAXII add (bench taxii: 12.9 against
	// 10.7 CPU-seconds per 100,000 objects at 400). GOGC, when set, rules.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	m := NewMain()
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(m.Stderr, "dragnet:", userMessage(err))
		}
		os.Exit(exitCode(err))
	}
}

// Main is the program, as a value, so that tests run the real thing with
// their own standard streams and environment.
type Main struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	Logger *slog.Logger

	// listening, if set, is told the address serve listens on (tests
	// start servers on port 0).
	listening func(net.Addr)
}

// NewMain returns a Main on the process's standard streams.
func NewMain() *Main {
	return &Main{
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Getenv: os.Getenv,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

// command is one subcommand.
type command struct {
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

// commands is the table of subcommands.
func (m *Main) commands() map[string]command {
	return map[string]command{
		"audit":     {"read the audit log", (*Main).runAudit},
		"match":     {"match telemetry on stdin against the indicators an organisation may see", (*Main).runMatch},
		"bench":     {"measure user-visible figures: bench taxii, bench match", (*Main).runBench},
		"group":     {"manage sharing groups: add, members, list", (*Main).runGroup},
		"help":      {"show help for a command", (*Main).runHelp},
		"migrate":   {"apply the PostgreSQL schema migrations", (*Main).runMigrate},
		"org":       {"manage member organisations: add, list", (*Main).runOrg},
		"pattern":   {"validate STIX patterns and match them against observations", (*Main).runPattern},
		"serve":     {"serve TAXII 2.1, the JSON API and the UI", (*Main).runServe},
		"token":     {"manage API tokens: add, list, revoke", (*Main).runToken},
		"version":   {"print the version", (*Main).runVersion},
		"scenario":  {"write a training scenario (STIX bundles and truth), or score tracing and clustering on one", (*Main).runScenario},
		"correlate": {"who else reported a value or object (JSON)", (*Main).runCorrelate},
		"trace":     {"ranked origin candidates of an incident, sighting or addresses (JSON)", (*Main).runTrace},
		"cluster":   {"botnet clusters an organisation can see (JSON lines)", (*Main).runCluster},
		"export":    {"write what an organisation may see as STIX, MISP, CSV, Suricata, Zeek or plain lists", (*Main).runExport},
		"feed":      {"manage scheduled feeds: add, list, run, remove", (*Main).runFeed},
		"ingest":    {"load STIX, MISP, CSV and text intelligence into a collection", (*Main).runIngest},
	}
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return flag.ErrHelp
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		m.usage(m.Stdout)
		return nil
	}
	c, ok := m.commands()[args[0]]
	if !ok {
		m.usage(m.Stderr)
		return dragnet.Errorf(dragnet.EINVALID, "unknown command %q", args[0])
	}
	return c.run(m, ctx, args[1:])
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "dragnet — a cyber-crime intelligence exchange (STIX 2.1, TAXII 2.1, TLP 2.0)")
	fmt.Fprintln(w, "\nUsage: dragnet COMMAND [flags]\n\nCommands:")
	cmds := m.commands()
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'dragnet help COMMAND' or 'dragnet COMMAND -h' for a command's flags.")
}

func (m *Main) runHelp(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage(m.Stdout)
		return nil
	}
	c, ok := m.commands()[args[0]]
	if !ok {
		return dragnet.Errorf(dragnet.EINVALID, "unknown command %q", args[0])
	}
	err := c.run(m, ctx, append(args[1:len(args):len(args)], "-h"))
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}

// newFlagSet returns a flag set that writes its usage to m.Stderr and
// returns errors instead of exiting.
func (m *Main) newFlagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("dragnet "+name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: dragnet %s %s\n\nFlags:\n", name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// userMessage is what the user sees of an error: the domain message for
// domain errors, the error text otherwise (the CLI user is the operator).
func userMessage(err error) string {
	var e *dragnet.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

func exitCode(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if dragnet.ErrorCode(err) == dragnet.EINVALID {
		return 2
	}
	return 1
}
