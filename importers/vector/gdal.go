package vector

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/geojson"
)

// Layer is what ogrinfo says about one layer of a source.
type Layer struct {
	Name     string
	Geometry string     // ogrinfo's geometry type: Polygon, 3D Line String, Unknown (any), None
	Count    int        // Feature Count
	WKT      string     // the layer's CRS as WKT, "" when unknown
	FID      string     // FID column, if any
	Extent   [4]float64 // minx, miny, maxx, maxy; empty (min > max) when ogrinfo gives none
	Fields   []Field
}

// Field is an attribute field with its OGR type (String, Integer, Integer64, Real, Date, ...).
type Field struct {
	Name    string
	Type    string // OGR type, subtype in parentheses: Integer(Boolean)
	Width   int
	Decimal int
}

// fieldLine matches "name: Type (width.precision)" in ogrinfo -so output.
var fieldLine = regexp.MustCompile(`^(.+): ([A-Za-z0-9]+(?:\([A-Za-z0-9]+\))?) \((\d+)\.(\d+)\)(?: .*)?$`)

var extentLine = regexp.MustCompile(`^Extent: \(([-0-9.e+]+), ([-0-9.e+]+)\) - \(([-0-9.e+]+), ([-0-9.e+]+)\)`)

// Info runs ogrinfo (read-only, summary) on a source and parses its layers.
func Info(ctx context.Context, path string, openOptions ...string) ([]Layer, error) {
	args := []string{"-ro", "-so", "-al", "-nomd", "-wkt_format", "WKT1_ESRI"}
	for _, o := range openOptions {
		args = append(args, "-oo", o)
	}
	args = append(args, path)
	cmd := exec.CommandContext(ctx, "ogrinfo", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, gdalError("ogrinfo", path, err, stderr.String())
	}
	if msg := gdalErrors(stderr.String()); msg != "" {
		return nil, fmt.Errorf("GDAL cannot read %s: %s", path, msg)
	}
	return parseInfo(string(out))
}

func parseInfo(out string) ([]Layer, error) {
	var layers []Layer
	var cur *Layer
	wkt := false
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimRight(line, "\r")
		if name, ok := strings.CutPrefix(line, "Layer name: "); ok {
			layers = append(layers, Layer{Name: name, Extent: [4]float64{1, 1, -1, -1}})
			cur = &layers[len(layers)-1]
			continue
		}
		if cur == nil {
			continue
		}
		if wkt { // until its brackets balance
			if line == "(unknown)" {
				wkt = false
				continue
			}
			cur.WKT += strings.TrimSpace(line)
			if strings.Count(cur.WKT, "[") == strings.Count(cur.WKT, "]") && strings.Contains(cur.WKT, "[") {
				wkt = false
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "Geometry: "):
			cur.Geometry = strings.TrimPrefix(line, "Geometry: ")
		case strings.HasPrefix(line, "Feature Count: "):
			n, err := strconv.Atoi(strings.TrimPrefix(line, "Feature Count: "))
			if err != nil {
				return nil, fmt.Errorf("ogrinfo: %q", line)
			}
			cur.Count = n
		case strings.HasPrefix(line, "Layer SRS WKT:"):
			wkt = true
		case strings.HasPrefix(line, "Extent: "):
			if m := extentLine.FindStringSubmatch(line); m != nil {
				for i := range cur.Extent {
					cur.Extent[i], _ = strconv.ParseFloat(m[i+1], 64)
				}
			}
		case strings.HasPrefix(line, "FID Column = "):
			cur.FID = strings.TrimPrefix(line, "FID Column = ")
		default:
			addField(cur, line)
		}
	}
	return layers, nil
}

func addField(l *Layer, line string) {
	m := fieldLine.FindStringSubmatch(line)
	if m == nil {
		return
	}
	w, _ := strconv.Atoi(m[3])
	d, _ := strconv.Atoi(m[4])
	l.Fields = append(l.Fields, Field{Name: m[1], Type: m[2], Width: w, Decimal: d})
}

// Feature is one feature as ogr2ogr writes it in GeoJSON.
type Feature struct {
	Properties map[string]any // json.Number for numbers
	Geometry   geom.T         // nil for a feature without geometry
	GeomErr    error          // the geometry could not be decoded
}

// Read streams the features of one layer through ogr2ogr (GeoJSON on a pipe, no reprojection: the
// coordinates are the source's), calling fn for each in order. GDAL's error messages on a damaged
// file make it an error, so a truncated file never imports as a shorter one.
func Read(ctx context.Context, path, layer string, openOptions []string, fn func(i int, f Feature) error) error {
	args := []string{"-f", "GeoJSON", "/vsistdout/", path, layer, "-lco", "RFC7946=NO", "-lco", "WRITE_BBOX=NO"}
	for _, o := range openOptions {
		args = append(args, "-oo", o)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ogr2ogr", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("running ogr2ogr (install gdal-bin: scripts/setup): %w", err)
	}
	perr := decodeCollection(bufio.NewReaderSize(stdout, 1<<16), fn)
	if perr != nil {
		cancel()
		_, _ = io.Copy(io.Discard, stdout)
	}
	werr := cmd.Wait()
	if perr != nil && ctx.Err() == nil {
		return perr
	}
	if werr != nil {
		if perr != nil {
			return perr
		}
		return gdalError("ogr2ogr", path, werr, stderr.String())
	}
	if msg := gdalErrors(stderr.String()); msg != "" {
		return fmt.Errorf("GDAL reports errors reading %s: %s", path, msg)
	}
	return perr
}

// decodeCollection reads a FeatureCollection feature by feature.
func decodeCollection(r io.Reader, fn func(int, Feature) error) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	if err := expectDelim(dec, '{'); err != nil {
		return err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		if tok != "features" {
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
			continue
		}
		if err := expectDelim(dec, '['); err != nil {
			return err
		}
		for i := 0; dec.More(); i++ {
			var raw struct {
				Properties map[string]any   `json:"properties"`
				Geometry   *json.RawMessage `json:"geometry"`
			}
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("reading feature %d from ogr2ogr: %w", i+1, err)
			}
			f := Feature{Properties: raw.Properties}
			if raw.Geometry != nil && string(*raw.Geometry) != "null" {
				var g geom.T
				if err := geojson.Unmarshal(*raw.Geometry, &g); err != nil {
					f.GeomErr = err
				} else {
					f.Geometry = g
				}
			}
			if err := fn(i, f); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
	}
	return nil
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("reading ogr2ogr output: %w", err)
	}
	if tok != d {
		return fmt.Errorf("reading ogr2ogr output: expected %q, got %v", d, tok)
	}
	return nil
}

// gdalErrors picks the ERROR lines of GDAL's messages ("" if none): GDAL often reports damaged input
// with an ERROR message and still exits 0.
func gdalErrors(stderr string) string {
	var errs []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "ERROR") {
			errs = append(errs, strings.TrimSpace(l))
		}
	}
	if len(errs) > 3 {
		errs = append(errs[:3], fmt.Sprintf("(and %d more)", len(errs)-3))
	}
	return strings.Join(errs, "; ")
}

func gdalError(tool, path string, err error, stderr string) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		return fmt.Errorf("%s is not installed (Debian package gdal-bin; scripts/setup installs it): %w", tool, err)
	}
	msg := gdalErrors(stderr)
	if msg == "" {
		msg = strings.TrimSpace(stderr)
	}
	if msg == "" {
		msg = err.Error()
	}
	return fmt.Errorf("GDAL (%s) cannot read %s: %s", tool, path, msg)
}
