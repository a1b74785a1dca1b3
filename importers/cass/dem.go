package cass

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/importers/dxf"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// Takes implements importers.Taker: a drawing is a base map (--as basemap, the default) or, with
// --as dem, the DEM its contours and spot heights make (see ImportDEM).
func (DXF) Takes(_ loader.Source, kind string) error {
	switch kind {
	case "basemap", "dem":
		return nil
	}
	return fmt.Errorf("--as %s cannot be honoured: a DXF drawing is imported as a base map (the basemap tables) or, with --as dem, as the DEM interpolated from its contours and spot heights", kind)
}

// ImportDEM reads the contours (class contour: layer DGX or 等高线, codes 201101–201104, 7101xxx)
// and spot heights (elevation_point: GCD, 202101, 7201xxx; control points with a height too) of a
// drawing and builds a DEM from them (dem.FromContours) in the drawing's own projected CRS, cells
// of src.Cell metres (0: dem.DefaultCell). A contour's height is its elevation (group 38 of an
// LWPOLYLINE, the Z of a POLYLINE's vertices); a spot height's is its GC/高程/H/ELEV attribute, else
// its Z.
func ImportDEM(ctx context.Context, b *loader.Batch, src loader.Source, o Options) error {
	d, err := open(b, src.Path, &o)
	if err != nil {
		return err
	}
	defer d.f.Close()
	name, code, geo := d.ropts.Name, d.code, d.geo
	srid, ok := crs.IsEPSG(code)
	if !ok {
		return refuse(b, fmt.Errorf("%s: its coordinate system is %s: a DEM from contours stays in the drawing's own CRS, which must be a projected EPSG CRS in metres (CGCS2000 Gauss-Krüger: EPSG:4549, EPSG:4528)", name, code))
	}
	b.SetSourceCRS(fmt.Sprintf("EPSG:%d", srid))
	r, err := dxf.NewReader(b.Track(d.f, d.size), d.ropts)
	if err != nil {
		return refuse(b, err)
	}
	s := dem.Samples{Source: name, SRID: srid, Cell: src.Cell}
	place := func(x, y float64) (float64, float64) {
		if geo != nil {
			return geo.Transform(dxf.Vec{X: x, Y: y})
		}
		return x, y
	}
	var labels []dem.SpotHeight // numbers written on the spot heights' layer
	var unlabelled []int        // spot heights at Z 0 without a height attribute
	err = entities(ctx, b, r, func(e *dxf.Entity) error {
		if e.PaperSpace {
			return nil
		}
		m := o.Table.Resolve(e.Layer, e.XString(App))
		if m.Class == nil {
			return nil
		}
		if e.Text != nil {
			// The height written beside a spot height (a drawing flattened to Z 0 keeps only it).
			if v, err := strconv.ParseFloat(strings.TrimSpace(e.Text.Value), 64); err == nil && m.Class.ID == "elevation_point" && e.Geom.Kind == dxf.KindPoint {
				x, y := place(e.Geom.Coords[0], e.Geom.Coords[1])
				labels = append(labels, dem.SpotHeight{X: x, Y: y, Z: v})
			}
			return nil
		}
		where := fmt.Sprintf("%s on layer %s, line %d", e.Type, e.Layer, e.Line)
		g := &e.Geom
		switch m.Class.ID {
		case "contour":
			if g.Kind != dxf.KindLineString || g.NumPoints() < 2 {
				return nil
			}
			z := e.Elevation
			if z == 0 {
				for i := range g.NumPoints() {
					if v := g.Point(i).Z; v != 0 {
						z = v
						break
					}
				}
			}
			c := dem.Contour{Z: z, Where: where, XY: make([]float64, 0, 2*g.NumPoints())}
			for i := range g.NumPoints() {
				p := g.Point(i)
				x, y := place(p.X, p.Y)
				c.XY = append(c.XY, x, y)
			}
			if g.Closed && (c.XY[0] != c.XY[len(c.XY)-2] || c.XY[1] != c.XY[len(c.XY)-1]) {
				c.XY = append(c.XY, c.XY[0], c.XY[1])
			}
			s.Contours = append(s.Contours, c)
		case "elevation_point", "control_point":
			if g.Kind != dxf.KindPoint {
				return nil
			}
			p := g.Point(0)
			z := p.Z
			if z == 0 {
				z = e.Elevation
			}
			if v, ok := attrNumber(e, "GC", "高程", "H", "ELEV"); ok {
				z = v
			}
			if m.Class.ID == "control_point" && z == 0 {
				return nil // a control point without a height (a traverse point surveyed in plan only)
			}
			x, y := place(p.X, p.Y)
			if math.IsNaN(x) || math.IsNaN(y) {
				return nil
			}
			if z == 0 {
				unlabelled = append(unlabelled, len(s.Spots))
			}
			s.Spots = append(s.Spots, dem.SpotHeight{X: x, Y: y, Z: z, Where: where})
		}
		return nil
	})
	if err != nil {
		return err
	}
	if n := labelSpots(s.Spots, unlabelled, labels); n > 0 {
		b.Warn(fmt.Sprintf("%d of %d spot heights drawn at Z 0 took their height from the number written beside them (within %g m)", n, len(s.Spots), labelReach))
	}
	if err := dem.FromContours(ctx, b, src, s); err != nil {
		return refuse(b, err)
	}
	return nil
}

// labelReach is how far from a spot height the number written beside it may stand, in metres: the
// label starts a symbol's width to its right (about 1 m at 1:500, 4 m at 1:2000).
const labelReach = 5.0

// labelSpots gives each spot height of the list that has no height (Z 0) the nearest unused number
// of labels within labelReach; it returns how many it gave one.
func labelSpots(spots []dem.SpotHeight, list []int, labels []dem.SpotHeight) int {
	if len(list) == 0 || len(labels) == 0 {
		return 0
	}
	cell := func(x, y float64) [2]int64 {
		return [2]int64{int64(math.Floor(x / labelReach)), int64(math.Floor(y / labelReach))}
	}
	grid := map[[2]int64][]int{}
	for i, l := range labels {
		k := cell(l.X, l.Y)
		grid[k] = append(grid[k], i)
	}
	used := make([]bool, len(labels))
	n := 0
	for _, si := range list {
		p := &spots[si]
		k := cell(p.X, p.Y)
		best, bestD := -1, labelReach
		for dx := int64(-1); dx <= 1; dx++ {
			for dy := int64(-1); dy <= 1; dy++ {
				for _, li := range grid[[2]int64{k[0] + dx, k[1] + dy}] {
					if d := math.Hypot(labels[li].X-p.X, labels[li].Y-p.Y); !used[li] && d <= bestD {
						best, bestD = li, d
					}
				}
			}
		}
		if best >= 0 {
			used[best] = true
			p.Z = labels[best].Z
			n++
		}
	}
	return n
}
