package loader

import (
	"log/slog"

	"github.com/yitu-gis/yitu/spatial/crs"
)

// Source is what an importer reads and how, as the user gave it (yitu import's flags). It lives here,
// beside Batch, so that format packages implement importers.Format without importing importers.
type Source struct {
	Path     string   // the file or folder as given
	Files    []string // the files that make up the source (a shapefile with its .dbf, .shx, .prj, .cpg)
	As       string   // what the data is: basemap, pipeline, boundary, reference ("" = the format decides)
	CRS      crs.CRS  // --srs; nil: the source says (.prj, DXF GEODATA) or the importer refuses
	SRS      string   // --srs as given (an EPSG code outside spatial/crs reaches formats that use PostGIS)
	Encoding string   // --encoding: gbk or utf-8; "" = the source says (.cpg, code page), else detected
	// --height-attr, --floors-attr: the attributes of vector building polygons that hold the height in
	// metres and the number of storeys ("" = recognised by their usual names).
	HeightAttr string
	FloorsAttr string
	// InFolder: the source is one file of a folder import (a file lacking the --height-attr attribute
	// is then no error: the folder's other files may have it).
	InFolder bool
	HomeLon  float64 // longitude of the county the server is set up for, for zone guesses (Laizhou 119.94)
	// 3D models (OSGB, OBJ; their --srs may also be an ENU frame, ENU:lat,lon): --origin (the point
	// model coordinates are relative to) and twin.height_offset (normal → ellipsoidal heights; nil
	// when not configured).
	Origin       *[3]float64
	HeightOffset *float64
	// Map is --map for borehole tables: a column mapping and legend (key=Header pairs or a YAML
	// file, see importers/geology).
	Map string
	// Cell is --cell: the cell size in metres of a DEM interpolated from a drawing's contours
	// (--as dem of a DXF; 0 = the default of the importer, importers/dem.DefaultCell).
	Cell float64
	Log  *slog.Logger
}
