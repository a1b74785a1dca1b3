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

// AnyEPSG is a Format that transforms coordinates with PostGIS: --srs may name any EPSG code, not only
// those spatial/crs knows.
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
		oblique.OSGB{},    // oblique photography: ContextCapture export folders, .osgb files
		oblique.OBJ{},     // OBJ models with MTL and textures
		oblique.Tileset{}, // existing 3D Tiles tilesets
		pipeline.EPANET{},
		pipeline.Folder{},    // a folder of CJJ 61 tables: one pipeline dataset
		pipeline.CSV{},       // CJJ 61 point or segment table
		pipeline.XLSX{},      // a workbook of CJJ 61 tables
		pipeline.Shapefile{}, // a shapefile whose attributes are a CJJ 61 table
		cim.CityGML{},        // CityGML 2.0/3.0
		cim.CityJSONSeq{},    // CityJSON Text Sequences, .city.jsonl (before CityJSON: it starts with a CityJSON line)
		cim.CityJSON{},       // CityJSON 1.1/2.0 (before GeoJSON: both are JSON)
		vector.Shapefile{},
		vector.GeoPackage{},
		vector.GeoJSON{},
	}
}

// Kinds are the values --as takes.
var Kinds = []string{"basemap", "pipeline", "boundary", "reference"}

// Detect finds the format of a file or folder from its content.
func Detect(formats []Format, path string) (Format, error) {
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
	for _, f := range formats {
		if f.Sniff(path, head) {
			return f, nil
		}
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
	As         string // basemap, pipeline, boundary, reference; "" = the format decides
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
}

// Result is one import of a Run: a folder of unrelated files gives one per file.
type Result struct {
	Path   string
	Report *loader.Report // nil when the import failed before its report
	Err    error
}

// Run imports a file, or a folder: a folder one format claims (a set of CJJ 61 tables) is one
// dataset; any other folder gives one dataset per file it recognises.
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
	var srsErr error // an EPSG code spatial/crs lacks: only formats that transform with PostGIS take it
	if req.SRS != "" {
		if srs, srsErr = crs.Lookup(req.SRS); srsErr != nil {
			// an ENU frame (ENU:lat,lon) is no CRS either; the 3D model formats take it
			enu := strings.HasPrefix(strings.ToUpper(strings.TrimSpace(req.SRS)), "ENU:")
			if _, ok := crs.IsEPSG(req.SRS); !ok && !enu {
				return nil, spatial.Invalid("srs", "%v", srsErr)
			}
		}
	}
	f, err := Detect(formats, req.Path)
	if err != nil {
		if srsErr != nil { // the CRS is the first thing wrong
			return nil, spatial.Invalid("srs", "%v", srsErr)
		}
		return nil, err
	}
	if f != nil {
		return []Result{importOne(ctx, l, f, req, srs, srsErr, log)}, nil
	}
	entries, err := os.ReadDir(req.Path)
	if err != nil {
		return nil, err
	}
	var results []Result
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(req.Path, e.Name())
		f, err := Detect(formats, p)
		if err != nil {
			continue // sidecar files (.dbf, .prj) and files of other kinds
		}
		r := req
		r.Path = p
		if req.Dataset != "" {
			r.Dataset = req.Dataset + "/" + stem(p)
		}
		results = append(results, importOne(ctx, l, f, r, srs, srsErr, log))
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("%s: no file in this folder is in a format Yitu imports (%s)", req.Path, names(formats))
	}
	return results, nil
}

func stem(p string) string {
	b := filepath.Base(filepath.Clean(p))
	return strings.TrimSuffix(b, filepath.Ext(b))
}

func importOne(ctx context.Context, l *loader.Loader, f Format, req Request, srs crs.CRS, srsErr error, log *slog.Logger) Result {
	if _, ok := f.(AnyEPSG); srsErr != nil && !ok {
		return Result{Path: req.Path, Err: spatial.Invalid("srs", "%v", srsErr)}
	}
	src := loader.Source{Path: req.Path, As: req.As, CRS: srs, SRS: req.SRS, Encoding: normEncoding(req.Encoding), HomeLon: req.HomeLon, Log: log,
		Origin: req.Origin, HeightOffset: req.HeightOffset}
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
	b, err := l.Begin(ctx, o)
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
