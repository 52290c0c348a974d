package taxii

import (
	"encoding/json"
	"time"
)

// Media types of TAXII 2.1 (section 1.6.8) and of the STIX content it
// carries.
const (
	MediaType         = "application/taxii+json;version=2.1"
	MediaTypeBare     = "application/taxii+json"
	STIXMediaType     = "application/stix+json;version=2.1"
	taxiiVersionParam = "2.1"
)

// TimestampFormat is the TAXII 2.1 timestamp form with microsecond
// precision, used for date_added, request_timestamp and the
// X-TAXII-Date-Added-First/Last headers.
const TimestampFormat = "2006-01-02T15:04:05.000000Z"

// FormatTime prints t as a TAXII timestamp (UTC, microseconds).
func FormatTime(t time.Time) string { return t.UTC().Format(TimestampFormat) }

// Discovery is the discovery resource (section 4.1.1).
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Contact     string   `json:"contact,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots,omitempty"`
}

// APIRoot is the API root resource (section 4.2.1).
type APIRoot struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// CollectionInfo is the collection resource (section 5.2.1).
type CollectionInfo struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types,omitempty"`
}

// Collections is the collections resource (section 5.1.1).
type Collections struct {
	Collections []CollectionInfo `json:"collections,omitempty"`
}

// Envelope is the envelope resource (section 3.7): one page of objects.
type Envelope struct {
	More    bool              `json:"more,omitempty"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// ManifestRecord is one entry of a manifest resource (section 5.3.1).
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type,omitempty"`
}

// Manifest is the manifest resource (section 5.3.1).
type Manifest struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

// Versions is the versions resource (section 5.8.1).
type Versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

// StatusDetail is one object's entry in a status resource (section 4.3.1.1).
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version,omitempty"` // empty when the object's version could not be read
	Message string `json:"message,omitempty"`
}

// Status is the status resource (section 4.3.1).
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp,omitempty"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// Complete reports whether no object of the request is pending.
func (s *Status) Complete() bool { return s.Status == "complete" }

// ErrorResource is the TAXII error message (section 3.6.1).
type ErrorResource struct {
	Title           string            `json:"title"`
	Description     string            `json:"description,omitempty"`
	ErrorID         string            `json:"error_id,omitempty"`
	ErrorCode       string            `json:"error_code,omitempty"`
	HTTPStatus      string            `json:"http_status,omitempty"`
	ExternalDetails string            `json:"external_details,omitempty"`
	Details         map[string]string `json:"details,omitempty"`
}
