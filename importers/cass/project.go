package cass

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/importers/dxf"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// projector turns drawing coordinates into CGCS2000 longitude/latitude: GEODATA's local placement
// first (when the CRS came from it), then the CRS, in Go for the CRSs spatial/crs knows and through
// PostGIS ST_Transform, one query per batch of features, for any other EPSG code.
type projector struct {
	ctx  context.Context
	b    *loader.Batch
	code string
	geo  *dxf.GeoData
	c    crs.CRS // nil: PostGIS
	epsg int
}

func newProjector(ctx context.Context, b *loader.Batch, code string, geo *dxf.GeoData) (*projector, error) {
	p := &projector{ctx: ctx, b: b, geo: geo}
	c, err := crs.Lookup(code)
	if err == nil {
		p.c, p.code = c, c.Code()
		return p, nil
	}
	n, ok := crs.IsEPSG(code)
	if !ok {
		return nil, err
	}
	if b.DryRun() {
		return nil, fmt.Errorf("EPSG:%d is converted by PostGIS, which a dry run does not use; import without --dry-run", n)
	}
	var known bool
	if err := b.Tx().QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM spatial_ref_sys WHERE srid = $1)", n).Scan(&known); err != nil {
		return nil, err
	}
	if !known {
		return nil, fmt.Errorf("EPSG:%d is neither in Yitu's CRS registry nor in PostGIS's spatial_ref_sys", n)
	}
	p.epsg, p.code = n, fmt.Sprintf("EPSG:%d", n)
	return p, nil
}

// project converts the coordinates of fs in place.
func (p *projector) project(fs []*feature) error {
	if p.geo != nil {
		for _, f := range fs {
			c := f.coords
			for i := 0; i+1 < len(c); i += 2 {
				c[i], c[i+1] = p.geo.Transform(dxf.Vec{X: c[i], Y: c[i+1]})
			}
		}
	}
	if p.c != nil {
		for _, f := range fs {
			c := f.coords
			for i := 0; i+1 < len(c); i += 2 {
				c[i], c[i+1] = p.c.ToLonLat(c[i], c[i+1])
			}
		}
		return nil
	}
	var xs, ys []float64
	for _, f := range fs {
		for i := 0; i+1 < len(f.coords); i += 2 {
			xs = append(xs, f.coords[i])
			ys = append(ys, f.coords[i+1])
		}
	}
	rows, err := p.b.Tx().Query(p.ctx, `
		SELECT ST_X(g), ST_Y(g) FROM (
			SELECT ST_Transform(ST_SetSRID(ST_MakePoint(x, y), $3), 4490) AS g, n
			FROM unnest($1::float8[], $2::float8[]) WITH ORDINALITY AS t(x, y, n)) s
		ORDER BY n`, xs, ys, p.epsg)
	if err != nil {
		return fmt.Errorf("converting from EPSG:%d with PostGIS: %w", p.epsg, err)
	}
	var lon, lat float64
	k := 0
	_, err = pgx.ForEachRow(rows, []any{&lon, &lat}, func() error {
		if k < len(xs) {
			xs[k], ys[k] = lon, lat
		}
		k++
		return nil
	})
	if err != nil {
		return fmt.Errorf("converting from EPSG:%d with PostGIS: %w", p.epsg, err)
	}
	k = 0
	for _, f := range fs {
		for i := 0; i+1 < len(f.coords); i += 2 {
			f.coords[i], f.coords[i+1] = xs[k], ys[k]
			k++
		}
	}
	return nil
}
