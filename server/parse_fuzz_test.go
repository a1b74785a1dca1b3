package server

import (
	"math"
	"testing"
)

// FuzzParseSubscribe feeds arbitrary WebSocket messages from a browser to parseSubscribe: never a
// panic, and an accepted subscription passes its own validation.
func FuzzParseSubscribe(f *testing.F) {
	for _, s := range []string{
		`{"subscribe":{"bbox":[119.8,37.0,120.2,37.3],"kinds":["vehicle","sensor"],"layers":["live.fence"]}}`,
		`{"subscribe":{}}`,
		`{"subscribe":{"bbox":[1,2,3]}}`,
		`{"subscribe":{"bbox":[200,-100,-200,100],"kinds":["ufo"]}}`,
		`{"unsubscribe":true}`,
		`null`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		flt, err := parseSubscribe(data)
		if err != nil {
			if flt != nil {
				t.Fatalf("a filter and the error %v", err)
			}
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("accepted filter %+v fails validation: %v", flt, err)
		}
	})
}

// FuzzParseNumbers feeds arbitrary query values (bbox=…) to parseNumbers: never a panic, and what
// it accepts is lo to hi finite numbers.
func FuzzParseNumbers(f *testing.F) {
	for _, s := range []string{"119.8,37.0,120.2,37.3", "1,2,3,4,5,6", "1,,2,3", " 1 , 2 , 3 , 4 ", "NaN,1,2,3", "1e400,0,0,0", "", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := parseNumbers("bbox", s, 4, 6)
		if err != nil {
			return
		}
		if len(v) < 4 || len(v) > 6 {
			t.Fatalf("%q → %d numbers", s, len(v))
		}
		for _, x := range v {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				t.Fatalf("%q → %v", s, v)
			}
		}
	})
}
