package taxii

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkDecodeEnvelope measures streaming decoding and validation of an
// envelope of 1,000 generated indicators, as POST does it.
func BenchmarkDecodeEnvelope(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString(`{"objects":[`)
	for i := 0; i < 1000; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(genIndicator(i))
	}
	buf.WriteString(`]}`)
	body := buf.Bytes()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		err := decodeEnvelope(bytes.NewReader(body), func(i int, raw json.RawMessage) error {
			if _, _, err := decodeObject(raw); err != nil {
				b.Fatal(err)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "objects/s")
}
