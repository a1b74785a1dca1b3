package oblique

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// Georef places model coordinates on the earth. A model's own coordinates are relative to an
// origin in a source SRS; Georef converts them to metres east, north, up of a frame at that origin
// (heights ellipsoidal), whose matrix becomes the model's root transform.
type Georef struct {
	SRS    string     // as the source states it
	Origin [3]float64 // in the source SRS
	frame  *geodesy.Frame
	enu    bool
	crs    crs.CRS // the projected SRS: the registry's, or PROJ's bound around the origin (spatial/crs)
	// Transformation is the datum transformation PROJ applies (empty for the registry's CRSs).
	Transformation string
	heightOffset   float64 // normal → ellipsoidal height, for projected SRS
	tx             pgx.Tx
}

// newGeoref resolves an SRS. A projected SRS (EPSG code or WKT) is converted through spatial/crs (the
// registry in Go, any other CRS by PROJ inside tx under the datum rule); its heights are normal
// heights and get heightOffset. An ENU
// frame needs no database. An SRS PostGIS does not know is an error naming where it came from.
func newGeoref(ctx context.Context, tx pgx.Tx, srs string, origin [3]float64, heightOffset float64, where string) (*Georef, error) {
	p, err := parseSRS(srs)
	if err != nil {
		return nil, invalid(where, "%v", err)
	}
	g := &Georef{SRS: srs, Origin: origin}
	if p.kind == srsENU {
		// ContextCapture's ENU frame sits on the ellipsoid at the given point; SRSOrigin is an offset in it.
		g.enu = true
		g.frame = geodesy.NewFrame(p.lon, p.lat, 0)
		return g, nil
	}
	g.heightOffset, g.tx = heightOffset, tx
	// The one CRS path of the importers (spatial/crs): the registry's CRSs in Go, any other through
	// PROJ under the datum rule, sampled over the reach of a model around its origin.
	var c crs.CRS
	if p.srid > 0 {
		c, err = crs.Lookup(fmt.Sprintf("EPSG:%d", p.srid))
	} else {
		c, err = crs.FromWKT(p.proj)
	}
	if err != nil {
		return nil, invalid(where, "the SRS %s: %v", p.display, err)
	}
	if pc, ok := c.(*crs.Proj); ok {
		if tx == nil {
			return nil, invalid(where, "the SRS %s needs the database to check and convert it (not available on a dry run)", p.display)
		}
		geographic, err := pc.Geographic(ctx, tx)
		if err != nil {
			return nil, invalid(where, "the SRS %s: %v", p.display, err)
		}
		if geographic {
			return nil, invalid(where, "the SRS %s is geographic (degrees); models need a projected SRS in metres or ENU:lat,lon", p.display)
		}
		const reach = 50000 // a model set reaches at most this far from its origin (in the SRS's units)
		bound, err := crs.Bind(ctx, tx, pc, [4]float64{origin[0] - reach, origin[1] - reach, origin[0] + reach, origin[1] + reach})
		if err != nil {
			return nil, invalid(where, "%v", err)
		}
		c, g.Transformation = bound, bound.(*crs.Bound).Transformation
	}
	if !c.Projected() {
		return nil, invalid(where, "the SRS %s is geographic (degrees); models need a projected SRS in metres or ENU:lat,lon", p.display)
	}
	g.crs = c
	ll, err := g.lonLat(ctx, [][3]float64{origin})
	if err != nil {
		return nil, invalid(where, "the origin %v lies outside the SRS %s: %v", origin, p.display, err)
	}
	g.frame = geodesy.NewFrame(ll[0][0], ll[0][1], origin[2]+heightOffset)
	return g, nil
}

// lonLat converts absolute source coordinates to lon/lat (z kept).
func (g *Georef) lonLat(ctx context.Context, pts [][3]float64) ([][3]float64, error) {
	if g.crs != nil {
		out := make([][3]float64, len(pts))
		for i, p := range pts {
			lon, lat := g.crs.ToLonLat(p[0], p[1])
			if math.IsNaN(lon) || math.IsNaN(lat) || math.Abs(lat) > 90 {
				return nil, fmt.Errorf("coordinate %v is outside %s", p, g.SRS)
			}
			out[i] = [3]float64{lon, lat, p[2]}
		}
		return out, nil
	}
	return nil, fmt.Errorf("the SRS %s has no conversion", g.SRS)
}

// ToLocal converts points given relative to the origin, in place, to the frame's east, north, up.
func (g *Georef) ToLocal(ctx context.Context, pts [][3]float64) error {
	if g.enu {
		for i := range pts {
			pts[i] = [3]float64{pts[i][0] + g.Origin[0], pts[i][1] + g.Origin[1], pts[i][2] + g.Origin[2]}
		}
		return nil
	}
	abs := make([][3]float64, len(pts))
	for i, p := range pts {
		abs[i] = [3]float64{p[0] + g.Origin[0], p[1] + g.Origin[1], p[2] + g.Origin[2]}
	}
	ll, err := g.lonLat(ctx, abs)
	if err != nil {
		return err
	}
	for i, p := range ll {
		e, n, u := g.frame.ENU(p[0], p[1], p[2]+g.heightOffset)
		pts[i] = [3]float64{e, n, u}
	}
	return nil
}

// RootTransform is the model frame → ECEF matrix (column-major).
func (g *Georef) RootTransform() [16]float64 { return g.frame.Matrix() }

// LonLat returns the geodetic position of a point of the frame.
func (g *Georef) LonLat(p [3]float64) (lon, lat, h float64) { return g.frame.Geodetic(p) }

func invalid(where, format string, args ...any) error {
	return spatial.Invalid(where, format, args...)
}
