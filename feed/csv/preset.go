package csv

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Preset is the reading of one feed as MISP configures it among its default
// feeds (app/files/feed-metadata/defaults.json): its name, provider, URL
// and the Config its csv or freetext settings amount to.
type Preset struct {
	Name     string
	Provider string
	URL      string
	Format   string // "csv" or "freetext"
	Config   Config
}

type mispFeedFile []struct {
	Feed struct {
		Name         string          `json:"name"`
		Provider     string          `json:"provider"`
		URL          string          `json:"url"`
		SourceFormat string          `json:"source_format"`
		Settings     json.RawMessage `json:"settings"`
	} `json:"Feed"`
}

type mispSettings struct {
	CSV struct {
		Value     string `json:"value"`
		Delimiter string `json:"delimiter"`
	} `json:"csv"`
	Common struct {
		ExcludeRegex string `json:"excluderegex"`
	} `json:"common"`
}

// LoadPresets reads a MISP feed-metadata file (a JSON array of {"Feed":
// {...}}) and returns the presets of its csv and freetext feeds; MISP's
// own "misp"-format feeds are left out (feed/misp reads those). The
// settings field may be an object or a JSON string holding one (MISP
// writes both, and sometimes a string holding a string).
func LoadPresets(r io.Reader) ([]Preset, error) {
	var f mispFeedFile
	if err := json.NewDecoder(r).Decode(&f); err != nil {
		return nil, fmt.Errorf("reading MISP feed metadata: %w", err)
	}
	var out []Preset
	for i, e := range f {
		sf := e.Feed.SourceFormat
		if sf != "csv" && sf != "freetext" {
			continue
		}
		p := Preset{Name: e.Feed.Name, Provider: e.Feed.Provider, URL: e.Feed.URL, Format: sf}
		s, err := decodeSettings(e.Feed.Settings)
		if err != nil {
			return nil, fmt.Errorf("feed %d (%s): settings: %w", i, e.Feed.Name, err)
		}
		p.Config.Text = sf == "freetext"
		if d := s.CSV.Delimiter; d != "" {
			if d == `\t` {
				d = "\t"
			}
			p.Config.Delimiter = []rune(d)[0]
		}
		if s.CSV.Value != "" {
			for _, c := range strings.Split(s.CSV.Value, ",") {
				n, err := strconv.Atoi(strings.TrimSpace(c))
				if err != nil || n < 1 {
					return nil, fmt.Errorf("feed %d (%s): settings.csv.value %q is not a list of column numbers", i, e.Feed.Name, s.CSV.Value)
				}
				p.Config.ValueColumns = append(p.Config.ValueColumns, n)
			}
		}
		if x := s.Common.ExcludeRegex; x != "" {
			re, err := compileExclude(x)
			if err != nil {
				return nil, fmt.Errorf("feed %d (%s): %w", i, e.Feed.Name, err)
			}
			p.Config.Exclude = re
		}
		out = append(out, p)
	}
	return out, nil
}

func decodeSettings(raw json.RawMessage) (mispSettings, error) {
	var s mispSettings
	for depth := 0; depth < 3 && len(raw) > 0; depth++ {
		if raw[0] == '"' {
			var inner string
			if err := json.Unmarshal(raw, &inner); err != nil {
				return s, err
			}
			raw = json.RawMessage(inner)
			continue
		}
		if string(raw) == "null" {
			return s, nil
		}
		return s, json.Unmarshal(raw, &s)
	}
	return s, nil
}

// FindPreset returns the preset whose name equals name (case-insensitive).
func FindPreset(ps []Preset, name string) (Preset, bool) {
	for _, p := range ps {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return Preset{}, false
}
