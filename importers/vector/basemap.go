package vector

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
)

// basemapClasses maps words in a layer's (or dataset's) name to the base map's feature classes, for
// vector data imported with --as basemap. The DXF importer maps CASS layers and codes precisely; this
// is the coarse mapping for data that arrives as Shapefile, GeoPackage or GeoJSON.
var basemapClasses = []struct{ class, words string }{
	{"building", "building buildings house 房屋 建筑 居民地 jmd"},
	{"road", "road roads street highway 道路 街道 dlss"},
	{"water", "water river lake 水系 河流 水体 sxss"},
	{"boundary", "boundary boundaries admin district 境界 行政区 jjx"},
	{"vegetation", "vegetation landuse landcover 植被 zbtz"},
	{"contour", "contour contours 等高线 dgx"},
}

func basemapClass(names ...string) string {
	for _, c := range basemapClasses {
		for _, n := range names {
			ln := strings.ToLower(n)
			for _, w := range strings.Fields(c.words) {
				if strings.Contains(ln, w) {
					return c.class
				}
			}
		}
	}
	return "other"
}

// basemapWriter writes features into basemap.<class> with the name in name and every other attribute
// in props. In a building layer, polygons are buildings (basemap.building, with height and floors) and
// other features go to basemap.other; in a layer of another class, the polygons that are buildings by
// their attributes (OSM's building tag, a height or floors attribute) go to basemap.building.
type basemapWriter struct {
	b      *loader.Batch
	class  string
	w      *loader.TableWriter
	other  *loader.TableWriter
	bw     *buildingWriter // nil: no feature of the layer can be a building
	layer  string
	moved  int
	routed int
}

func newBasemapWriter(b *loader.Batch, l Layer, attrs buildingAttrs) *basemapWriter {
	class := basemapClass(l.Name, b.Options().Dataset)
	cols := []string{"source_layer", "name", "props", "geom"}
	w := &basemapWriter{b: b, class: class, layer: l.Name}
	if class == "building" || attrs.any() {
		w.bw = newBuildingWriter(b, l.Name, attrs)
	}
	if class == "building" {
		w.other = b.Table("other", ident("basemap", "other"), cols)
	} else {
		w.w = b.Table(class, ident("basemap", class), cols)
	}
	return w
}

func (w *basemapWriter) add(rec int, f Feature, ewkb []byte) (string, error) {
	if ewkb == nil {
		return "the base map keeps no feature without geometry", nil
	}
	_, polygon := f.Geometry.(*geom.MultiPolygon)
	tw := w.w
	switch {
	case w.class == "building" && polygon:
		return w.bw.add(rec, f, ewkb)
	case w.class == "building":
		tw = w.other
		w.moved++
	case w.bw != nil && w.bw.attrs.isBuilding(f):
		w.routed++
		return w.bw.add(rec, f, ewkb)
	}
	name := popName(f)
	props, _ := json.Marshal(f.Properties)
	if err := tw.Add(w.layer, name, props, ewkb); err != nil {
		if ge, ok := err.(*loader.GeometryError); ok {
			return ge.Err.Error(), nil
		}
		return "", err
	}
	return "", nil
}

func (w *basemapWriter) finish(context.Context) error {
	if w.bw != nil {
		w.bw.finish()
	}
	if w.moved > 0 {
		w.b.Warn(fmt.Sprintf("layer %s: %d features that are not polygons kept as basemap.other", w.layer, w.moved))
	}
	if w.class == "other" {
		w.b.Warn(fmt.Sprintf("layer %s matches no base map class by its name; kept as basemap.other", w.layer))
	}
	return nil
}
