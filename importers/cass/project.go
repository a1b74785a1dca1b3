package cass

import (
	"context"
	"fmt"
	"math"

	"github.com/yitu-gis/yitu/importers/dxf"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// projector turns drawing coordinates into CGCS2000 longitude/latitude: GEODATA's local placement
// first (when the CRS came from it), then the CRS through the importers' one CRS path (spatial/crs:
// the registry in Go, any other CRS by PROJ under the datum rule, bound to each batch's extent).
type projector struct {
	ctx  context.Context
	b    *loader.Batch
	code string
	geo  *dxf.GeoData
	c    crs.CRS
}

func newProjector(ctx context.Context, b *loader.Batch, code string, geo *dxf.GeoData) (*projector, error) {
	c, err := crs.Lookup(code)
	if err != nil {
		return nil, err
	}
	if _, proj := c.(*crs.Proj); proj && b.DryRun() {
		return nil, fmt.Errorf("%s is converted by PROJ in PostGIS, which a dry run does not use; import without --dry-run", c.Code())
	}
	return &projector{ctx: ctx, b: b, geo: geo, c: c, code: c.Code()}, nil
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
	ext := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, f := range fs {
		for i := 0; i+1 < len(f.coords); i += 2 {
			x, y := f.coords[i], f.coords[i+1]
			ext = [4]float64{min(ext[0], x), min(ext[1], y), max(ext[2], x), max(ext[3], y)}
		}
	}
	if ext[0] > ext[2] {
		return nil
	}
	c, err := p.b.BindCRS(p.ctx, p.c, ext)
	if err != nil {
		return err
	}
	for _, f := range fs {
		cs := f.coords
		for i := 0; i+1 < len(cs); i += 2 {
			cs[i], cs[i+1] = c.ToLonLat(cs[i], cs[i+1])
		}
	}
	return nil
}
