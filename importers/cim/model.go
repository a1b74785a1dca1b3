// Package cim imports city information models: CityGML 2.0 and 3.0 (streamed token by token, one
// city object in memory at a time) and CityJSON 1.1 and 2.0, into cim.building, cim.surface,
// cim.texture and cim.city_object through the loader, with geometry transformed to EPSG:4490 by
// PostGIS (any EPSG code the source names: 25832, 25833, 7415, 4528 ...) or, for a local engineering
// CRS given as --srs local:<grid.yaml> (or GCJ-02), by spatial/crs in Go.
//
// Invalid polygons (rings not closed, too few points, non-planar surfaces) are rejected with the
// file, line and gml:id; the loader refuses the whole import unless --max-rejects allows them.
package cim

import (
	"errors"
	"fmt"
	"math"
)

// errDegenerate marks a polygon without area (all points on a line): real data has them; they are
// skipped and counted in a warning rather than refusing the import.
var errDegenerate = errors.New("polygon encloses no area")

// Options of a CIM import.
type Options struct {
	// SRS overrides the CRS the file declares (EPSG:25833), and is required when it declares none
	// or a local engineering CRS: then local:<grid.yaml> (a spatial/crs local grid with its 4- or
	// 7-parameter transformation) takes x, y to EPSG:4490 in Go. Heights are kept as they are
	// (normal heights; a 7-parameter datum shift's change of ellipsoidal height is not applied).
	SRS string
	// MaxLoD is the highest level of detail kept (0-3; default 2): each object keeps its highest LoD
	// up to it.
	MaxLoD int
	// PlanarTolerance (metres) is how far a polygon's points may lie off its plane (default 0.1).
	PlanarTolerance float64
}

func (o Options) maxLoD() int {
	if o.MaxLoD <= 0 || o.MaxLoD > 4 {
		return 2
	}
	return o.MaxLoD
}

func (o Options) tolerance() float64 {
	if o.PlanarTolerance <= 0 {
		return 0.1
	}
	return o.PlanarTolerance
}

// polygon is a surface polygon in source coordinates: closed rings, exterior first.
type polygon struct {
	id    string
	srs   string // the srsName it is written in ("" = the file's)
	rings [][][3]float64
}

// surface is a thematic boundary surface of a building (RoofSurface, WallSurface, ...).
type surface struct {
	id         string
	kind       string
	lod        int
	polys      []polygon
	appearance map[string]any
}

// cityObject is one parsed object: a Building, a BuildingPart or any other city object.
type cityObject struct {
	id, class, parent                        string
	name, function, usage, roofType, address string
	height                                   *float64
	storeysAbove, storeysBelow, year         *int
	attrs                                    map[string]any
	lod                                      int // -1: no geometry of its own
	polys                                    []polygon
	surfaces                                 []surface
	srs                                      string // srsName found in the object, if any
	line                                     int
}

func (o *cityObject) isBuilding() bool { return o.class == "Building" || o.class == "BuildingPart" }

// check validates a polygon: closed rings of at least four points, points on one plane.
func (p *polygon) check(tol float64) error {
	for i, r := range p.rings {
		what := "exterior ring"
		if i > 0 {
			what = fmt.Sprintf("interior ring %d", i)
		}
		if len(r) < 4 {
			return fmt.Errorf("%s has %d points; a closed ring needs at least 4", what, len(r))
		}
		a, z := r[0], r[len(r)-1]
		if math.Abs(a[0]-z[0]) > 1e-6 || math.Abs(a[1]-z[1]) > 1e-6 || math.Abs(a[2]-z[2]) > 1e-6 {
			return fmt.Errorf("%s is not closed: it starts at (%g %g %g) and ends at (%g %g %g)", what, a[0], a[1], a[2], z[0], z[1], z[2])
		}
	}
	// Planarity: distance of every point from the plane through the centroid with Newell's normal.
	ext := p.rings[0]
	var n, c [3]float64
	for i := 0; i+1 < len(ext); i++ {
		u, v := ext[i], ext[i+1]
		n[0] += (u[1] - v[1]) * (u[2] + v[2])
		n[1] += (u[2] - v[2]) * (u[0] + v[0])
		n[2] += (u[0] - v[0]) * (u[1] + v[1])
		c[0], c[1], c[2] = c[0]+u[0], c[1]+u[1], c[2]+u[2]
	}
	l := math.Sqrt(n[0]*n[0] + n[1]*n[1] + n[2]*n[2])
	// Degenerate relative to the ring's own size (|n| is twice the area; the squared diagonal of the
	// bounding box is the largest it can be), so a 1 m roof in degrees (1e-10 square degrees) is a
	// polygon, as it is in metres, while points on a line are not.
	lo, hi := ext[0], ext[0]
	for _, q := range ext {
		for k := range 3 {
			lo[k], hi[k] = min(lo[k], q[k]), max(hi[k], q[k])
		}
	}
	diag2 := (hi[0]-lo[0])*(hi[0]-lo[0]) + (hi[1]-lo[1])*(hi[1]-lo[1]) + (hi[2]-lo[2])*(hi[2]-lo[2])
	if diag2 == 0 || l < 1e-9*diag2 {
		return errDegenerate
	}
	k := float64(len(ext) - 1)
	c = [3]float64{c[0] / k, c[1] / k, c[2] / k}
	worst := 0.0
	for _, r := range p.rings {
		for _, q := range r {
			d := math.Abs((q[0]-c[0])*n[0]+(q[1]-c[1])*n[1]+(q[2]-c[2])*n[2]) / l
			worst = max(worst, d)
		}
	}
	if worst > tol {
		return fmt.Errorf("polygon is not planar: a point lies %.3f m off its plane (tolerance %.3f m)", worst, tol)
	}
	return nil
}
