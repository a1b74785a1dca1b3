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
// in props; a non-areal feature in a building layer goes to basemap.other.
type basemapWriter struct {
	b      *loader.Batch
	class  string
	w      *loader.TableWriter
	other  *loader.TableWriter
	layer  string
	moved  int
	nameOf []string
}

func newBasemapWriter(b *loader.Batch, l Layer) *basemapWriter {
	class := basemapClass(l.Name, b.Options().Dataset)
	cols := []string{"source_layer", "name", "props", "geom"}
	w := &basemapWriter{b: b, class: class, layer: l.Name,
		w:      b.Table(class, ident("basemap", class), cols),
		nameOf: []string{"name", "名称", "NAME", "Name", "MC", "mc", "name_zh"}}
	if class == "building" {
		w.other = b.Table("other", ident("basemap", "other"), cols)
	}
	return w
}

func (w *basemapWriter) add(f Feature, ewkb []byte) (string, error) {
	if ewkb == nil {
		return "the base map keeps no feature without geometry", nil
	}
	var name any
	for _, k := range w.nameOf {
		if v, ok := f.Properties[k]; ok && v != nil {
			name = fmt.Sprint(v)
			delete(f.Properties, k)
			break
		}
	}
	props, _ := json.Marshal(f.Properties)
	tw := w.w
	if w.class == "building" {
		if _, ok := f.Geometry.(*geom.MultiPolygon); !ok {
			tw = w.other
			w.moved++
		}
	}
	if err := tw.Add(w.layer, name, props, ewkb); err != nil {
		if ge, ok := err.(*loader.GeometryError); ok {
			return ge.Err.Error(), nil
		}
		return "", err
	}
	return "", nil
}

func (w *basemapWriter) finish(context.Context) error {
	if w.moved > 0 {
		w.b.Warn(fmt.Sprintf("layer %s: %d features that are not polygons kept as basemap.other", w.layer, w.moved))
	}
	if w.class == "other" {
		w.b.Warn(fmt.Sprintf("layer %s matches no base map class by its name; kept as basemap.other", w.layer))
	}
	return nil
}
