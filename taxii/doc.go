// Package taxii implements TAXII 2.1 (OASIS Standard, 10 June 2021) over the
// dragnet services: a Server (http.Handler) exposing discovery, one API
// root, collections, objects, object, versions, manifest and status, and a
// Client for the same protocol that ingest and federation use to read and
// write remote collections.
//
// The server speaks application/taxii+json;version=2.1 and serves clients
// that ask for the unversioned application/taxii+json. Every error is a
// TAXII error resource (section 3.6.1); internal details go to the log
// only. Access rules are the store's: the server only carries the caller's
// principal into each store call, so an absent and an invisible collection
// or object both answer 404.
package taxii
