package cim

import "testing"

// TestDegenerateIsRelative: whether a polygon encloses an area does not depend on its units: a 1 m
// square roof in degrees (1e-5°) is a polygon, points on a line are not, in degrees or metres.
func TestDegenerateIsRelative(t *testing.T) {
	square := func(x, y, d float64) polygon {
		return polygon{rings: [][][3]float64{{{x, y, 10}, {x + d, y, 10}, {x + d, y + d, 10}, {x, y + d, 10}, {x, y, 10}}}}
	}
	line := func(x, y, d float64) polygon {
		return polygon{rings: [][][3]float64{{{x, y, 10}, {x + d, y + d, 10}, {x + 2*d, y + 2*d, 10}, {x, y, 10}}}}
	}
	for _, c := range []struct {
		name string
		p    polygon
		want error
	}{
		{"1 m roof in degrees", square(119.94, 37.18, 1e-5), nil},
		{"1 m roof in metres", square(500000, 4115000, 1), nil},
		{"points on a line in degrees", line(119.94, 37.18, 1e-5), errDegenerate},
		{"points on a line in metres", line(500000, 4115000, 1), errDegenerate},
	} {
		if err := c.p.check(0.1); err != c.want {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
