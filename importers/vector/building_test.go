package vector

import (
	"encoding/json"
	"math"
	"testing"
)

func TestParseHeightAndFloors(t *testing.T) {
	for _, c := range []struct {
		v       any
		h       float64
		set, ok bool
	}{
		{nil, 0, false, true}, {"", 0, false, true}, {" ", 0, false, true},
		{json.Number("12"), 12, true, true}, {"12.5", 12.5, true, true}, {"12 m", 12, true, true},
		{"12米", 12, true, true}, {"约12米", 12, true, true}, {"12,5", 12.5, true, true}, {"40 ft", 12.192, true, true},
		{"33'", 10.0584, true, true}, {"12 metres", 12, true, true},
		{"tall", 0, true, false}, {"0", 0, true, false}, {"1200", 0, true, false}, {"-3", 0, true, false}, {"12-15", 0, true, false},
	} {
		h, set, ok := parseHeight(c.v)
		if set != c.set || ok != c.ok || ok && math.Abs(h-c.h) > 1e-9 {
			t.Errorf("parseHeight(%#v) = %v, %v, %v; want %v, %v, %v", c.v, h, set, ok, c.h, c.set, c.ok)
		}
	}
	for _, c := range []struct {
		v       any
		n       int32
		set, ok bool
	}{
		{nil, 0, false, true}, {json.Number("5"), 5, true, true}, {"6层", 6, true, true}, {"地上6层", 6, true, true},
		{"5F", 5, true, true}, {"3.5", 4, true, true}, {"4 floors", 4, true, true},
		{"0", 0, true, false}, {"many", 0, true, false}, {"-1", 0, true, false},
	} {
		n, set, ok := parseFloors(c.v)
		if set != c.set || ok != c.ok || n != c.n {
			t.Errorf("parseFloors(%#v) = %v, %v, %v; want %v, %v, %v", c.v, n, set, ok, c.n, c.set, c.ok)
		}
	}
}
