package features

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/yitu-gis/yitu/spatial"
)

// checkGeometry refuses a written geometry that would break reads for everyone: coordinates that are
// not finite or not on the Earth in a geographic CRS, polygon rings that are not closed or have fewer
// than four points, and (asked of PostGIS) anything ST_IsValid rejects, with its reason.
func (s *Store) checkGeometry(ctx context.Context, l *spatial.Layer, crs CRS, raw json.RawMessage) error {
	g, err := geojson.UnmarshalGeometry(raw)
	if err != nil {
		return spatial.Invalid("geometry", "not a GeoJSON geometry: %v", err)
	}
	geographic := crs.SRID == 4490
	var bad error
	check := func(where string, p orb.Point) {
		x, y := p[0], p[1]
		if crs.Flip {
			x, y = y, x
		}
		switch {
		case bad != nil:
		case math.IsNaN(x) || math.IsInf(x, 0) || math.IsNaN(y) || math.IsInf(y, 0):
			bad = spatial.Invalid("geometry", "%s: a coordinate is not a finite number", where)
		case geographic && (x < -180 || x > 180 || y < -90 || y > 90):
			bad = spatial.Invalid("geometry", "%s: %g, %g is not a longitude and latitude", where, x, y)
		}
	}
	ring := func(where string, r orb.Ring) {
		if bad != nil {
			return
		}
		if len(r) < 4 {
			bad = spatial.Invalid("geometry", "%s has %d points; a ring needs at least 4", where, len(r))
			return
		}
		if !r.Closed() {
			bad = spatial.Invalid("geometry", "%s is not closed: it ends at %v, not at its first point %v", where, r[len(r)-1], r[0])
		}
		for i, p := range r {
			check(fmt.Sprintf("%s point %d", where, i), p)
		}
	}
	polygon := func(where string, p orb.Polygon) {
		for i, r := range p {
			ring(fmt.Sprintf("%sring %d", where, i), r)
		}
	}
	switch g := g.Geometry().(type) {
	case orb.Point:
		check("the point", g)
	case orb.MultiPoint:
		for i, p := range g {
			check(fmt.Sprintf("point %d", i), p)
		}
	case orb.LineString:
		for i, p := range g {
			check(fmt.Sprintf("point %d", i), p)
		}
	case orb.MultiLineString:
		for j, ls := range g {
			for i, p := range ls {
				check(fmt.Sprintf("line %d point %d", j, i), p)
			}
		}
	case orb.Polygon:
		polygon("", g)
	case orb.MultiPolygon:
		for i, p := range g {
			polygon(fmt.Sprintf("polygon %d ", i), p)
		}
	}
	if bad != nil {
		return bad
	}
	var reason string
	if err := s.pool.QueryRow(ctx, `SELECT ST_IsValidReason(`+geometryInput(l, crs, "$1")+`)`, string(raw)).Scan(&reason); err != nil {
		return spatial.Invalid("geometry", "PostGIS cannot read the geometry")
	}
	if reason != "Valid Geometry" {
		return spatial.Invalid("geometry", "the geometry is not valid: %s", reason)
	}
	return nil
}
