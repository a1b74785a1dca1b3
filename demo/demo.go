package demo

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/yitu-gis/yitu/spatial/crs"
)

// Files are the generated survey files.
type Files struct {
	Dir          string
	BaseMap      string // CASS-style DXF, EPSG:4528, code page 936
	PipePoints   string // CJJ 61 point table, CSV, GBK
	PipeSegments string // CJJ 61 segment table, CSV, GBK
	Boundary     string // district boundary, GeoJSON (lon/lat)
	Oblique      string // oblique photography set: ContextCapture-style folder (metadata.xml, Data/Tile_*/*.osgb)
	// HeightOffset is twin.height_offset, which Load applies to the oblique set's normal heights
	// (nil: not configured, and the import report says so). The caller sets it before Load.
	HeightOffset *float64
	CityJSON     string // the core blocks' LoD2 buildings, CityJSON 2.0, EPSG:4528
	// Forest are the fire command's layers around the hill: roads into the hills (base map), villages,
	// shelters, water sources, depots, firebreaks (reference layers); GeoJSON, lon/lat.
	Forest    []ForestFile
	DEM       string // the ground: a GeoTIFF DEM, EPSG:4528, 5 m cells, normal heights
	Boreholes string // folder of the borehole tables (钻孔表, 分层表), CSV, GBK, EPSG:4528
	Strata    string // the site's stratum legend, a --map YAML
	Stats     Stats
}

// File names in the demo folder.
const (
	BaseMapFile      = "laizhou_500.dxf"
	PipePointsFile   = "laizhou_pipe_points.csv"
	PipeSegmentsFile = "laizhou_pipe_segments.csv"
	BoundaryFile     = "laizhou_district.geojson"
	ObliqueFolder    = "laizhou_oblique"
)

// SourceCRS is the CRS of the base map and the pipe tables: CGCS2000 3-degree Gauss-Krüger zone 40.
const SourceCRS = "EPSG:4528"

// Generate writes the demo city's files into dir.
func Generate(dir string, o Options) (*Files, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	c := newCity(o)
	f := &Files{Dir: dir, BaseMap: filepath.Join(dir, BaseMapFile), PipePoints: filepath.Join(dir, PipePointsFile),
		PipeSegments: filepath.Join(dir, PipeSegmentsFile), Boundary: filepath.Join(dir, BoundaryFile)}
	net := c.pipes()
	err := writeFile(f.BaseMap, func(w *bufio.Writer) error {
		st, err := c.writeDXF(w, net)
		f.Stats = st
		return err
	})
	if err != nil {
		return nil, err
	}
	f.Stats.PipePoints, f.Stats.PipeSegments = len(net.points), len(net.segments)
	if err := writeFile(f.PipePoints, func(w *bufio.Writer) error { return net.writePoints(w) }); err != nil {
		return nil, err
	}
	if err := writeFile(f.PipeSegments, func(w *bufio.Writer) error { return net.writeSegments(w) }); err != nil {
		return nil, err
	}
	if err := writeFile(f.Boundary, func(w *bufio.Writer) error { return c.writeBoundary(w) }); err != nil {
		return nil, err
	}
	f.Oblique = filepath.Join(dir, ObliqueFolder)
	if f.Stats.ObliqueTiles, f.Stats.ObliqueBuilding, err = c.writeOblique(f.Oblique); err != nil {
		return nil, err
	}
	f.DEM = filepath.Join(dir, DEMFile)
	if f.Stats.DEMCells, err = c.writeDEM(f.DEM); err != nil {
		return nil, err
	}
	f.CityJSON = filepath.Join(dir, CityJSONFile)
	if err := writeFile(f.CityJSON, func(w *bufio.Writer) error {
		n, err := c.writeCityJSON(w)
		f.Stats.CIMBuildings = n
		return err
	}); err != nil {
		return nil, err
	}
	if f.Forest, err = c.writeForest(dir); err != nil {
		return nil, err
	}
	if f.Boreholes, f.Strata, err = c.writeBoreholes(dir); err != nil {
		return nil, err
	}
	return f, nil
}

func writeFile(path string, write func(w *bufio.Writer) error) error {
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(out, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return os.Rename(tmp, path)
}

// writeBoundary writes the district as a GeoJSON FeatureCollection in CGCS2000 longitude/latitude.
func (c *city) writeBoundary(w *bufio.Writer) error {
	gk := crs.EPSG(4528)
	b := c.boundary()
	ring := make([][2]json.Number, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		lon, lat := gk.ToLonLat(b[i], b[i+1])
		ring = append(ring, [2]json.Number{num7(lon), num7(lat)})
	}
	fc := map[string]any{
		"type": "FeatureCollection",
		"name": "laizhou_district",
		"features": []any{map[string]any{
			"type": "Feature",
			"properties": map[string]any{
				"name": "文昌路街道", "level": "街道", "county": "莱州市", "adcode": "370683",
			},
			"geometry": map[string]any{"type": "Polygon", "coordinates": [][][2]json.Number{ring}},
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(fc)
}

func num7(v float64) json.Number { return json.Number(strconv.FormatFloat(v, 'f', 7, 64)) }
