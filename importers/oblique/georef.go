package oblique

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// Georef places model coordinates on the earth. A model's own coordinates are relative to an
// origin in a source SRS; Georef converts them to metres east, north, up of a frame at that origin
// (heights ellipsoidal), whose matrix becomes the model's root transform.
type Georef struct {
	SRS          string     // as the source states it
	Origin       [3]float64 // in the source SRS
	frame        *geodesy.Frame
	enu          bool
	crs          crs.CRS // projected SRS of Yitu's registry (CGCS2000 Gauss-Krüger zones): converted in Go
	srid         int     // other projected SRS in spatial_ref_sys (PostGIS caches its PROJ transformation)
	proj         string  // else its WKT, transformed through PROJ text (slower: no cache)
	heightOffset float64 // normal → ellipsoidal height, for projected SRS
	tx           pgx.Tx
}

// newGeoref resolves an SRS. A projected SRS (EPSG code or WKT) is converted by PostGIS
// (ST_Transform with PROJ) inside tx; its heights are normal heights and get heightOffset. An ENU
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
	registry := crs.EPSG(p.srid)
	if registry == nil && p.kind == srsWKT && p.srid == 0 {
		registry, _ = crs.FromWKT(p.proj) // a Gauss-Krüger zone spelled out without its EPSG code
	}
	switch {
	case registry != nil && registry.Projected():
		g.crs = registry // CGCS2000 Gauss-Krüger zones: converted in Go, no database needed
	case tx == nil:
		return nil, invalid(where, "the SRS %s needs the database to check and convert it (not available on a dry run)", p.display)
	case p.srid > 0:
		var known bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)`, p.srid).Scan(&known); err != nil {
			return nil, err
		}
		if !known {
			return nil, invalid(where, "the SRS %s is unknown (not in PostGIS's spatial_ref_sys)", p.display)
		}
		g.srid = p.srid
	default:
		g.proj = p.proj
	}
	ll, err := g.lonLat(ctx, [][3]float64{origin})
	if err != nil {
		return nil, invalid(where, "the SRS %s is unknown to PostGIS/PROJ or the origin %v lies outside it: %v", p.display, origin, err)
	}
	if math.Abs(origin[0]) <= 180 && math.Abs(origin[1]) <= 90 && math.Abs(ll[0][0]-origin[0]) < 1 && math.Abs(ll[0][1]-origin[1]) < 1 {
		return nil, invalid(where, "the SRS %s is geographic (degrees); models need a projected SRS in metres or ENU:lat,lon", p.display)
	}
	g.frame = geodesy.NewFrame(ll[0][0], ll[0][1], origin[2]+heightOffset)
	return g, nil
}

// lonLat converts absolute source coordinates to lon/lat (z kept): in Go for the registry's CRSs,
// else through PostGIS in one statement.
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
	xs, ys := make([]float64, len(pts)), make([]float64, len(pts))
	for i, p := range pts {
		xs[i], ys[i] = p[0], p[1]
	}
	var lons, lats []float64
	transform := `ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $1::int), 4490)`
	var from any = g.srid
	if g.srid == 0 {
		transform, from = `ST_Transform(ST_MakePoint(x, y), $1::text, 4490)`, g.proj
	}
	err := g.tx.QueryRow(ctx, `
		SELECT coalesce(array_agg(ST_X(p) ORDER BY i), '{}'), coalesce(array_agg(ST_Y(p) ORDER BY i), '{}')
		FROM (SELECT i, `+transform+` p
		      FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS t(x, y, i)) s`, from, xs, ys).Scan(&lons, &lats)
	if err != nil {
		return nil, fmt.Errorf("converting coordinates from %s: %v", g.SRS, pgMessage(err))
	}
	out := make([][3]float64, len(pts))
	for i := range pts {
		if math.IsInf(lons[i], 0) || math.IsNaN(lons[i]) || math.IsInf(lats[i], 0) || math.IsNaN(lats[i]) {
			return nil, fmt.Errorf("coordinate %v is outside %s", pts[i], g.SRS)
		}
		out[i] = [3]float64{lons[i], lats[i], pts[i][2]}
	}
	return out, nil
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

// pgMessage is a PostgreSQL error's message without the driver's decoration.
func pgMessage(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	return err.Error()
}
