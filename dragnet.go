// Package dragnet is the domain of the Dragnet cyber-crime intelligence
// exchange: organisations, tokens, sharing groups, audiences, TLP 2.0, the
// calling principal, the error codes, and the service interfaces every
// storage adapter implements.
//
// It imports only the standard library and the stix package. Adapters
// (sqlite, postgres, taxii, feed, match, ...) depend on it, never the reverse.
package dragnet

// Version is the program version, set at build time with
// -ldflags "-X github.com/dragnet-intel/dragnet.Version=...".
var Version = "0.1.0-dev"
