// Package importers takes survey data as it comes (DXF, Shapefile, GeoPackage, GeoJSON, CJJ 61
// pipeline tables in CSV or XLSX, EPANET networks…) and lands it in PostGIS through the one loader
// (importers/loader). Each format lives in its own package and implements Format; Formats lists them
// all, and Run recognises a file's format from its content, not its name.
package importers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yitu-gis/yitu/importers/cass"
	"github.com/yitu-gis/yitu/importers/cim"
	"github.com/yitu-gis/yitu/importers/dem"
	"github.com/yitu-gis/yitu/importers/geology"
	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/importers/oblique"
	"github.com/yitu-gis/yitu/importers/pipeline"
	"github.com/yitu-gis/yitu/importers/vector"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// Format is one source format.
type Format interface {
	// Name is the format as catalog.dataset records it: dxf, shapefile, gpkg, geojson, csv, ...
	Name() string
	// Sniff reports whether the file (or, with head nil, the folder) is in this format; head is up to
	// the first 4 KiB of the file.
	Sniff(path string, head []byte) bool
	// Import reads the source and writes it through the batch. Rows it cannot take become
	// rejections (b.Reject); a source it cannot read at all is an error.
	Import(ctx context.Context, b *loader.Batch, src loader.Source) error
}

// Kinder is a Format that says what its data is when --as does not (basemap, pipeline, reference, ...).
type Kinder interface {
	Kind(src loader.Source) string
}

// Taker is a Format that honours more than one --as kind: Takes says why it cannot import the source
// as kind (nil: it can). A Format without it honours only the kind it reports (Kinder), and refuses
// any other --as: a combination that cannot do what it says is refused, never written somewhere else.
type Taker interface {
	Takes(src loader.Source, kind string) error
}

// takes is why f cannot import src as src.As (nil: it can, or no --as was given).
func takes(f Format, src loader.Source) error {
	if src.As == "" {
		return nil
	}
	if t, ok := f.(Taker); ok {
		return t.Takes(src, src.As)
	}
	own := "reference"
	if k, ok := f.(Kinder); ok {
		own = k.Kind(src)
	}
	if own == src.As {
		return nil
	}
	return fmt.Errorf("--as %s cannot be honoured: %s data is imported as %s (%s), and --as does not change that", src.As, f.Name(), own, whereKind[own])
}

// whereKind says where the data of each kind goes, for refusals.
var whereKind = map[string]string{
	"basemap":   "the base map tables basemap.*",
	"pipeline":  "pipeline.point and pipeline.segment",
	"reference": "a reference layer of its own, schema reference",
	"boundary":  "a reference layer of its own, schema reference",
	"cim":       "the CIM tables cim.*",
	"oblique":   "3D models, twin.model",
	"tileset":   "3D models, twin.model",
	"dem":       "the terrain, terrain.dem",
	"boreholes": "geology.borehole, geology.layer and the stratum model",
}

// BuildingHeights is a Format that takes --height-attr and --floors-attr (the vector formats, whose
// polygons may be buildings).
type BuildingHeights interface {
	BuildingHeights()
}

// AnyEPSG is a Format that also takes an ENU frame (ENU:lat,lon) as --srs: the 3D model formats.
// (Every format takes any CRS crs.Lookup resolves.)
type AnyEPSG interface {
	AnyEPSG()
}

// Filer is a Format whose source is several files (a shapefile and its sidecars): they make the
// source hash.
type Filer interface {
	Files(path string) []string
}

// Formats is the registry: every format yitu import knows, in the order they are tried.
func Formats() []Format {
	return []Format{
		cass.DXF{},        // DXF base maps (CASS layers and codes)
		dem.DEM{},         // DEMs: GeoTIFF (with GeoTIFF keys), ESRI ASCII grid
		oblique.OSGB{},    // oblique photography: ContextCapture export folders, .osgb files
		oblique.OBJ{},     // OBJ models with MTL and textures
		oblique.Tileset{}, // existing 3D Tiles tilesets
		pipeline.EPANET{},
		pipeline.Folder{},    // a folder of CJJ 61 tables: one pipeline dataset
		pipeline.CSV{},       // CJJ 61 point or segment table
		pipeline.XLSX{},      // a workbook of CJJ 61 tables
		pipeline.Shapefile{}, // a shapefile whose attributes are a CJJ 61 table
		geology.Folder{},     // a folder of borehole tables (holes and layers)
		geology.CSV{},        // borehole tables: holes, layers, or both in one sheet
		geology.XLSX{},
		cim.CityGML{},     // CityGML 2.0/3.0
		cim.CityJSONSeq{}, // CityJSON Text Sequences, .city.jsonl (before CityJSON: it starts with a CityJSON line)
		cim.CityJSON{},    // CityJSON 1.1/2.0 (before GeoJSON: both are JSON)
		vector.Shapefile{},
		vector.GeoPackage{},
		vector.GeoJSON{},
	}
}

// Kinds are the values --as takes.
var Kinds = []string{"basemap", "pipeline", "boundary", "reference", "dem", "boreholes"}

// Detect finds the format of a file or folder from its content.
func Detect(formats []Format, path string) (Format, error) { return detect(formats, path, "") }

// detect finds the format of a file or folder from its content; of several formats that recognise
// it (a shapefile whose attributes are a CJJ 61 table is a pipeline table and a vector layer), the
// first that takes --as as.
func detect(formats []Format, path, as string) (Format, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, spatial.Invalid("path", "%v", err)
	}
	var head []byte
	if !st.IsDir() {
		f, err := os.Open(path)
		if err != nil {
			return nil, spatial.Invalid("path", "%v", err)
		}
		head = make([]byte, 4096)
		n, _ := io.ReadFull(f, head)
		f.Close()
		head = head[:n]
	}
	var first Format
	for _, f := range formats {
		if f.Sniff(path, head) {
			if as == "" || takes(f, loader.Source{Path: path, As: as}) == nil {
				return f, nil
			}
			if first == nil {
				first = f
			}
		}
	}
	if first != nil {
		return first, nil // importOne refuses it, saying why
	}
	if st.IsDir() {
		return nil, nil // a folder of files, each imported on its own
	}
	return nil, fmt.Errorf("%s: not a format Yitu imports (%s); recognised by content: %s", path, describe(head), names(formats))
}

func names(formats []Format) string {
	var s []string
	for _, f := range formats {
		s = append(s, f.Name())
	}
	return strings.Join(s, ", ")
}

// describe says what a file's first bytes look like, for the refusal message.
func describe(head []byte) string {
	switch {
	case len(head) == 0:
		return "the file is empty"
	case strings.HasPrefix(string(head), "AutoCAD Binary DXF"):
		return "a binary DXF"
	case strings.HasPrefix(string(head), "PK\x03\x04"):
		return "a ZIP archive that is not a spreadsheet of pipeline tables"
	case strings.HasPrefix(string(head), "SQLite format 3"):
		return "an SQLite database that is not a GeoPackage"
	}
	return fmt.Sprintf("it starts with %q", truncate(string(head), 24))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Request is one yitu import.
type Request struct {
	Path       string
	As         string // basemap, pipeline, boundary, reference, dem; "" = the format decides
	SRS        string // --srs
	Encoding   string // --encoding
	Dataset    string // default: the file or folder name without extension
	Actor      string
	DryRun     bool
	MaxRejects int
	Progress   io.Writer
	HomeLon    float64
	// 3D models: --origin, and twin.height_offset (nil when not configured; see loader.Source).
	Origin       *[3]float64
	HeightOffset *float64
	// --height-attr, --floors-attr: the attributes of building polygons that hold the height in
	// metres and the number of storeys (default: the usual names, see importers/vector).
	HeightAttr string
	FloorsAttr string
	Map        string // --map: borehole column mapping (importers/geology)
	// Cell is --cell: the cell size in metres of a DEM interpolated from a DXF's contours (--as dem).
	Cell     float64
	inFolder bool
}

// Result is one import of a Run: a folder of unrelated files gives one per file, and one per file
// it skipped.
type Result struct {
	Path    string
	Report  *loader.Report // nil when the import failed before its report
	Err     error
	Skipped string // a file of the folder not imported: why (not a format Yitu imports, a folder)
}

// Run imports a file, or a folder: a folder one format claims (a set of CJJ 61 tables) is one
// dataset; any other folder gives one dataset per file it recognises, all in one transaction: if one
// file is refused, nothing of the folder is written. Files of the folder in no format Yitu imports
// (besides the sidecar files of those it imports) are listed as skipped.
func Run(ctx context.Context, l *loader.Loader, formats []Format, req Request, log *slog.Logger) ([]Result, error) {
	if req.As != "" && !slices.Contains(Kinds, req.As) {
		return nil, spatial.Invalid("as", "%q is not one of %s", req.As, strings.Join(Kinds, ", "))
	}
	switch strings.ToLower(req.Encoding) {
	case "", "gbk", "gb18030", "cp936", "utf-8", "utf8":
	default:
		return nil, spatial.Invalid("encoding", "%q is not gbk or utf-8", req.Encoding)
	}
	var srs crs.CRS
	var srsErr error // an ENU frame is no CRS: only the 3D model formats take it
	if req.SRS != "" {
		// Every importer takes what crs.Lookup resolves: the registry, local grids, GCJ-02, and any
		// EPSG code PostGIS knows (converted by PROJ under the datum rule, see crs.Proj).
		if srs, srsErr = crs.Lookup(req.SRS); srsErr != nil {
			if !strings.HasPrefix(strings.ToUpper(strings.TrimSpace(req.SRS)), "ENU:") {
				return nil, spatial.Invalid("srs", "%v", srsErr)
			}
		} else if err := l.CheckCRS(ctx, srs); err != nil {
			return nil, spatial.Invalid("srs", "%v", err)
		}
	}
	f, err := detect(formats, req.Path, req.As)
	if err != nil {
		if srsErr != nil { // the CRS is the first thing wrong
			return nil, spatial.Invalid("srs", "%v", srsErr)
		}
		return nil, err
	}
	if f != nil {
		return []Result{importOne(ctx, l.Begin, f, req, srs, srsErr, log)}, nil
	}
	entries, err := os.ReadDir(req.Path)
	if err != nil {
		return nil, err
	}
	type file struct {
		path string
		f    Format
	}
	var files []file
	var skipped []Result
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(req.Path, e.Name())
		if e.IsDir() {
			skipped = append(skipped, Result{Path: p, Skipped: "a folder inside the folder (only the folder's own files are imported; import it on its own)"})
			continue
		}
		f, err := detect(formats, p, req.As)
		if err != nil {
			skipped = append(skipped, Result{Path: p, Skipped: strings.TrimPrefix(err.Error(), p+": ")})
			continue
		}
		files = append(files, file{p, f})
	}
	skipped = slices.DeleteFunc(skipped, func(r Result) bool {
		return slices.ContainsFunc(files, func(fl file) bool { return isSidecar(r.Path, fl.path, fl.f) })
	})
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no file in this folder is in a format Yitu imports (%s)", req.Path, names(formats))
	}
	byName := map[string]string{}
	for _, fl := range files {
		if other, ok := byName[stem(fl.path)]; ok {
			return nil, fmt.Errorf("%s: %s and %s would both be dataset %q (one would replace the other); import them on their own with --dataset",
				req.Path, filepath.Base(other), filepath.Base(fl.path), stem(fl.path))
		}
		byName[stem(fl.path)] = fl.path
	}
	g, err := l.BeginGroup(ctx, req.DryRun)
	if err != nil {
		return nil, err
	}
	defer g.Rollback(ctx)
	var results []Result
	var refused []string
	for _, fl := range files {
		r := req
		r.Path, r.inFolder = fl.path, true
		if req.Dataset != "" {
			r.Dataset = req.Dataset + "/" + stem(fl.path)
		}
		res := importOne(ctx, g.Begin, fl.f, r, srs, srsErr, log)
		if res.Err != nil {
			var inv *spatial.InvalidError
			if errors.As(res.Err, &inv) {
				return nil, res.Err // a flag this format cannot take: a usage error, nothing written
			}
			if !strings.Contains(res.Err.Error(), fl.path) {
				res.Err = fmt.Errorf("%s: %w", fl.path, res.Err)
			}
			refused = append(refused, filepath.Base(fl.path))
		}
		results = append(results, res)
	}
	if len(refused) == 0 {
		if err := g.Commit(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w; nothing of the folder was written", req.Path, err)
		}
	} else {
		g.Rollback(ctx)
		for _, r := range results {
			if r.Err == nil && r.Report != nil && !r.Report.DryRun {
				r.Report.Refused = true
				r.Report.DatasetID = 0
				r.Report.Warnings = append(r.Report.Warnings, fmt.Sprintf("not written: the folder %s is imported all or nothing, and %s was refused",
					req.Path, strings.Join(refused, ", ")))
			}
		}
	}
	if len(skipped) > 0 {
		var list []string
		for _, s := range skipped {
			list = append(list, s.Path+": "+s.Skipped)
		}
		for _, r := range results {
			if r.Report != nil {
				r.Report.Skipped = list
			}
		}
	}
	return append(results, skipped...), nil
}

// isSidecar reports whether p, a file of a folder that no format recognises, belongs to main, a file of
// that folder in format f: the .shx, .dbf, .prj, .cpg, spatial indexes and metadata of a shapefile,
// the materials and textures of a 3D model, the metadata.xml of an oblique export, a tileset's tiles.
func isSidecar(p, main string, f Format) bool {
	if fl, ok := f.(Filer); ok && slices.Contains(fl.Files(main), p) {
		return true
	}
	ext := strings.ToLower(filepath.Ext(p))
	name := strings.ToLower(filepath.Base(p))
	switch f.Name() {
	case "shapefile":
		return strings.HasPrefix(name, strings.ToLower(stem(main))+".")
	case "obj", "osgb", "citygml", "cityjson", "3dtiles":
		switch ext {
		case ".mtl", ".jpg", ".jpeg", ".png", ".tga", ".bmp", ".dds", ".ktx2", ".webp", ".tif", ".tiff",
			".b3dm", ".i3dm", ".pnts", ".cmpt", ".glb", ".gltf", ".bin", ".subtree":
			return true
		}
		return name == "metadata.xml"
	}
	return false
}

func stem(p string) string {
	b := filepath.Base(filepath.Clean(p))
	return strings.TrimSuffix(b, filepath.Ext(b))
}

func importOne(ctx context.Context, begin func(context.Context, loader.Options) (*loader.Batch, error), f Format, req Request, srs crs.CRS, srsErr error, log *slog.Logger) Result {
	if _, ok := f.(AnyEPSG); srsErr != nil && !ok {
		return Result{Path: req.Path, Err: spatial.Invalid("srs", "%v", srsErr)}
	}
	src := loader.Source{Path: req.Path, As: req.As, CRS: srs, SRS: req.SRS, Encoding: normEncoding(req.Encoding), HomeLon: req.HomeLon, Log: log,
		Origin: req.Origin, HeightOffset: req.HeightOffset, HeightAttr: req.HeightAttr, FloorsAttr: req.FloorsAttr,
		InFolder: req.inFolder, Map: req.Map, Cell: req.Cell}
	if fl, ok := f.(Filer); ok {
		src.Files = fl.Files(req.Path)
	}
	kind := req.As
	if kind == "" {
		kind = "reference"
		if k, ok := f.(Kinder); ok {
			kind = k.Kind(src)
		}
	}
	name := req.Dataset
	if name == "" {
		name = stem(req.Path)
	}
	o := loader.Options{Dataset: name, Kind: kind, Format: f.Name(), Source: req.Path, Files: src.Files,
		Actor: req.Actor, DryRun: req.DryRun, MaxRejects: req.MaxRejects, Progress: req.Progress}
	if srs != nil {
		o.SourceCRS = srs.Code()
	} else if n, ok := crs.IsEPSG(req.SRS); ok {
		o.SourceCRS = fmt.Sprintf("EPSG:%d", n)
	}
	if _, ok := f.(BuildingHeights); !ok && (req.HeightAttr != "" || req.FloorsAttr != "") {
		return Result{Path: req.Path, Err: &loader.RefusedError{Dataset: name, Reason: fmt.Sprintf(
			"%s: --height-attr and --floors-attr name the attributes of building polygons in GeoJSON, shapefiles and GeoPackages; %s data has none",
			req.Path, f.Name())}}
	}
	if req.Cell != 0 && (req.As != "dem" || f.Name() != "dxf") {
		return Result{Path: req.Path, Err: spatial.Invalid("cell", "--cell is the cell size of a DEM interpolated from a DXF's contours (--as dem); %s data as %s has none", f.Name(), kind)}
	}
	if err := takes(f, src); err != nil {
		return Result{Path: req.Path, Err: &loader.RefusedError{Dataset: name, Reason: fmt.Sprintf("%s: %v", req.Path, err)}}
	}
	b, err := begin(ctx, o)
	if err != nil {
		return Result{Path: req.Path, Err: err}
	}
	defer b.Rollback(ctx)
	if err := f.Import(ctx, b, src); err != nil {
		var refused *loader.RefusedError
		if !errors.As(err, &refused) {
			err = &loader.RefusedError{Dataset: name, Reason: err.Error()}
		}
		return Result{Path: req.Path, Err: err}
	}
	rep, err := b.Commit(ctx)
	return Result{Path: req.Path, Report: rep, Err: err}
}

func normEncoding(e string) string {
	switch strings.ToLower(e) {
	case "gbk", "gb18030", "cp936":
		return "gbk"
	case "utf-8", "utf8":
		return "utf-8"
	}
	return ""
}
