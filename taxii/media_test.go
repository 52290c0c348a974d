package taxii

import "testing"

func TestAcceptable(t *testing.T) {
	tests := []struct {
		header []string
		want   bool
	}{
		{nil, true},
		{[]string{"application/taxii+json;version=2.1"}, true},
		{[]string{"application/taxii+json; version=2.1"}, true},
		{[]string{"application/taxii+json"}, true},
		{[]string{"*/*"}, true},
		{[]string{"application/*"}, true},
		{[]string{"text/html, application/taxii+json;version=2.1;q=0.5"}, true},
		{[]string{"text/html", "application/taxii+json"}, true},
		{[]string{""}, true},
		{[]string{"application/taxii+json;version=2.0"}, false},
		{[]string{"application/json"}, false},
		{[]string{"application/stix+json;version=2.1"}, false},
		{[]string{"text/html"}, false},
		{[]string{"application/taxii+json;q=0"}, false},
		{[]string{"application/taxii+json;q=x"}, false},
		{[]string{";;;"}, false},
	}
	for _, tt := range tests {
		if got := acceptable(tt.header); got != tt.want {
			t.Errorf("acceptable(%q) = %v, want %v", tt.header, got, tt.want)
		}
	}
}

func TestContentTypeOK(t *testing.T) {
	tests := []struct {
		ct   string
		want bool
	}{
		{"application/taxii+json;version=2.1", true},
		{"application/taxii+json", true},
		{"Application/TAXII+JSON; version=2.1", true},
		{"application/taxii+json;version=2.0", false},
		{"application/json", false},
		{"application/stix+json;version=2.1", false},
		{"", false},
		{"garbage;;", false},
	}
	for _, tt := range tests {
		if got := contentTypeOK(tt.ct); got != tt.want {
			t.Errorf("contentTypeOK(%q) = %v, want %v", tt.ct, got, tt.want)
		}
	}
}
