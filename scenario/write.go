package scenario

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// WriteDir generates the scenario into dir: one STIX 2.1 bundle per
// reporting organisation (NAME.json, named after the organisation) and
// truth.json. It returns the number of objects written.
func (s *Scenario) WriteDir(dir string) (int, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, fmt.Errorf("creating %s: %w", dir, err)
	}
	files := make([]*os.File, len(s.Orgs))
	writers := make([]*bufio.Writer, len(s.Orgs))
	closeAll := func() {
		for _, f := range files {
			if f != nil {
				f.Close()
			}
		}
	}
	defer closeAll()
	for i, o := range s.Orgs {
		f, err := os.Create(filepath.Join(dir, FileName(o)))
		if err != nil {
			return 0, fmt.Errorf("creating bundle: %w", err)
		}
		files[i] = f
		writers[i] = bufio.NewWriterSize(f, 1<<16)
		fmt.Fprintf(writers[i], `{"type":"bundle","id":"bundle--%s","objects":[`, bundleUUID(o))
	}
	first := make([]bool, len(s.Orgs))
	n, err := s.Generate(func(org int, raw []byte) error {
		w := writers[org]
		if first[org] {
			w.WriteString(",\n")
		} else {
			w.WriteString("\n")
			first[org] = true
		}
		_, err := w.Write(raw)
		return err
	})
	if err != nil {
		return n, err
	}
	for i, w := range writers {
		w.WriteString("\n]}\n")
		if err := w.Flush(); err != nil {
			return n, fmt.Errorf("writing %s: %w", files[i].Name(), err)
		}
		if err := files[i].Close(); err != nil {
			return n, fmt.Errorf("writing %s: %w", files[i].Name(), err)
		}
		files[i] = nil
	}
	truth, err := json.MarshalIndent(s.Truth, "", " ")
	if err != nil {
		return n, err
	}
	if err := os.WriteFile(filepath.Join(dir, "truth.json"), append(truth, '\n'), 0o644); err != nil {
		return n, fmt.Errorf("writing truth: %w", err)
	}
	return n, nil
}

// FileName is the bundle file name of an organisation.
func FileName(o Org) string {
	return strings.ToLower(strings.ReplaceAll(o.Name, " ", "-")) + ".json"
}

func bundleUUID(o Org) string {
	id := scoID("bundle", map[string]any{"identity": o.Identity})
	return strings.TrimPrefix(id, "bundle--")
}
