package stix

import (
	"sync"
	"testing"
)

// Validate, Decode and the default validator are safe for concurrent use.
func TestValidateConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				raw := benchIndicator(g*1000 + i)
				o, err := Decode(raw)
				if err != nil {
					t.Error(err)
					return
				}
				if err := Validate(o); err != nil {
					t.Error(err)
					return
				}
				if err := ValidateJSON([]byte(baseObjects["x-custom"])); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
}
