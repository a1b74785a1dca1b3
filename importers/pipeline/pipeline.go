// Package pipeline imports underground pipeline surveys into pipeline.point and pipeline.segment:
// CJJ 61 point and segment tables (CSV in GBK or UTF-8, XLSX, or Shapefile attribute tables) and
// EPANET .inp water networks.
//
// Segments join points by point number. Each segment gets a 3D centreline and each point a 3D
// position. The survey measures a pipe's elevation at the top (管顶) for pressure pipes and cable
// ducts and at the inner bottom (管内底) for gravity drains, as pipeline.type.elev_ref says per type;
// elevation = ground elevation − depth (埋深), unless the table gives the elevation (起点高程). The
// centreline is then elevation − d/2 (top) or elevation + d/2 (bottom), d the diameter or the
// section height. A point's Z is its pipe elevation (ground − 埋深), its well depth kept in
// well_depth. Heights are as surveyed (1985 national height datum).
//
// Validation rejects, each with file, line or row and reason: a missing or duplicate point number,
// coordinates that are not numbers, an unknown pipe type, negative or implausible depths, a segment
// whose point number is dangling, a missing diameter, a zero-length segment, and a gravity pipe whose
// elevations run against its flow direction.
package pipeline

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial/crs"
)

// pipeType is a row of pipeline.type.
type pipeType struct {
	code, nameZh string
	gravity      bool
	elevRef      string // top or bottom
}

// builtinTypes mirror migrations/00004_pipeline.sql; the database's table wins when it can be read.
var builtinTypes = []pipeType{
	{"JS", "给水", false, "top"}, {"PS", "排水", true, "bottom"}, {"YS", "雨水", true, "bottom"},
	{"WS", "污水", true, "bottom"}, {"RQ", "燃气", false, "top"}, {"RL", "热力", false, "top"},
	{"DL", "电力", false, "top"}, {"TX", "通信", false, "top"}, {"GY", "工业", false, "top"},
}

func typeByCode(code string) (pipeType, bool) {
	for _, t := range builtinTypes {
		if t.code == code {
			return t, true
		}
	}
	return pipeType{}, false
}

// loadTypes reads pipeline.type (the built-in list on a dry run).
func loadTypes(ctx context.Context, b *loader.Batch) (map[string]pipeType, error) {
	m := map[string]pipeType{}
	tx := b.Tx()
	if tx == nil {
		for _, t := range builtinTypes {
			m[t.code] = t
		}
		return m, nil
	}
	rows, err := tx.Query(ctx, "SELECT code, name_zh, gravity, elev_ref FROM pipeline.type")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t pipeType
		if err := rows.Scan(&t.code, &t.nameZh, &t.gravity, &t.elevRef); err != nil {
			return nil, err
		}
		m[t.code] = t
	}
	return m, rows.Err()
}

// resolveType turns a 管线类型 cell (JS, 给水, 给水管) into a code.
func resolveType(types map[string]pipeType, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	if t, ok := types[strings.ToUpper(v)]; ok {
		return t.code, true
	}
	for _, t := range types {
		if strings.HasPrefix(v, t.nameZh) {
			return t.code, true
		}
	}
	return "", false
}

var pointPrefix = regexp.MustCompile(`^[A-Za-z]{2}`)

// Limits of plausibility (metres).
const (
	maxDepth     = 15.0 // 埋深: deep sewers reach 10 m
	maxWellDepth = 20.0
	minLength    = 0.001
	flowSlack    = 0.01 // a gravity pipe may look this much uphill within survey precision
)

// point is a validated pipe point.
type point struct {
	no, typ                                string
	feature, appendage, cover, road, owner string
	x, y                                   float64 // source coordinates as surveyed (X northing, Y easting)
	lon, lat                               float64
	ground, depth, wellDepth               *float64
	props                                  []byte
}

// num parses a measurement: "1.20", "1.20m", " 1,20 " (decimal comma), "" → nil.
func num(s string) (*float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.TrimSpace(s), "m"), "米"))
	if s == "" || s == "-" || s == "/" {
		return nil, nil
	}
	s = strings.Replace(s, ",", ".", 1)
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil, fmt.Errorf("%q is not a number", s)
	}
	return &v, nil
}

var diameterRe = regexp.MustCompile(`^(?:DN|dn|Φ|φ|Ф|D|d|De|de)?\s*([0-9]+(?:\.[0-9]+)?)\s*(?:mm)?$`)
var sectionRe = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*[xX×*＊]\s*([0-9]+(?:\.[0-9]+)?)\s*(?:mm)?$`)

// parseDiameter reads 管径 (300, DN300, Φ300) in millimetres.
func parseDiameter(s string) (float64, bool) {
	m := diameterRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, false
	}
	v, err := strconv.ParseFloat(m[1], 64)
	return v, err == nil && v > 0
}

// parseSection reads 断面尺寸 "宽X高" (800X600, 800×600) in millimetres.
func parseSection(s string) (w, h float64, ok bool) {
	m := sectionRe.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0, 0, false
	}
	w, _ = strconv.ParseFloat(m[1], 64)
	h, _ = strconv.ParseFloat(m[2], 64)
	return w, h, w > 0 && h > 0
}

var yearRe = regexp.MustCompile(`(19|20)\d\d`)

func parseYear(s string) any {
	if m := yearRe.FindString(s); m != "" {
		y, _ := strconv.Atoi(m)
		return y
	}
	return nil
}

func parseInt(s string) any {
	if v, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return v
	}
	return nil
}

// forward reports the flow direction of 流向: start→end (true), end→start (false); ok false when the
// cell says nothing readable (the survey convention then is start = upstream).
func forward(s string) (fwd, ok bool) {
	switch strings.TrimSpace(s) {
	case "", "/":
		return true, false
	case "+", "1", "正", "正向", "顺", "顺流", "→", "->", "起点至终点", "起→终":
		return true, true
	case "-", "-1", "0", "反", "反向", "逆", "逆流", "←", "<-", "终点至起点", "终→起":
		return false, true
	}
	return true, false
}

func strOrNil(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func f64OrNil(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

var (
	pointTable   = pgx.Identifier{"pipeline", "point"}
	segmentTable = pgx.Identifier{"pipeline", "segment"}
	pointColumns = []string{"point_no", "pipe_type", "feature", "appendage", "x", "y", "ground_elev", "depth", "well_depth",
		"cover_spec", "road_name", "owner", "props", "geom"}
	segmentColumns = []string{"pipe_type", "start_no", "end_no", "start_depth", "end_depth", "start_elev", "end_elev",
		"diameter_mm", "width_mm", "height_mm", "material", "burial", "pressure", "cables", "holes_total", "holes_used",
		"flow_dir", "built_year", "owner", "road_name", "props", "geom"}
)

// pointEWKB is a point's 3D position.
func pointEWKB(lon, lat, z float64) []byte {
	b, _ := loader.EWKB(geom.NewPointFlat(geom.XYZ, []float64{lon, lat, z}))
	return b
}

// metres is the ground distance between two lon/lat points (equirectangular, exact enough for a
// pipe segment's length check).
func metres(lon1, lat1, lon2, lat2 float64) float64 {
	dy := (lat2 - lat1) * 111320
	dx := (lon2 - lon1) * 111320 * math.Cos((lat1+lat2)/2*math.Pi/180)
	return math.Hypot(dx, dy)
}

// requireCRS is the CRS of survey coordinates (easting xs, northing ys): --srs (any CRS the
// importers take, bound to the points' extent under the datum rule); else longitude/latitude are
// taken as CGCS2000 with a note; else refused with the range seen and the likely zone.
func requireCRS(ctx context.Context, b *loader.Batch, src loader.Source, what string, xs, ys []float64) (crs.CRS, error) {
	minX, minY, maxX, maxY := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for i := range xs {
		minX, maxX = min(minX, xs[i]), max(maxX, xs[i])
		minY, maxY = min(minY, ys[i]), max(maxY, ys[i])
	}
	if src.CRS != nil {
		if len(xs) == 0 {
			return src.CRS, nil
		}
		return b.BindCRS(ctx, src.CRS, [4]float64{minX, minY, maxX, maxY})
	}
	g := crs.GuessZone(minX, minY, maxX, maxY, src.HomeLon)
	if len(g.Codes) > 0 && g.Codes[0] == crs.StorageCode {
		b.Warn(fmt.Sprintf("%s carry no CRS; they are longitude/latitude and were taken as CGCS2000 (EPSG:4490); "+
			"if they come from a Chinese web map, import again with --srs gcj02", what))
		return crs.EPSG(4490), nil
	}
	msg := fmt.Sprintf("%s carry no CRS; give --srs", what)
	if len(g.Codes) > 0 {
		msg += fmt.Sprintf(" (likely %s: %s)", strings.Join(g.Codes, " or "), g.Reason)
	} else {
		msg += " (" + g.Reason + ")"
	}
	return nil, fmt.Errorf("%s", msg)
}
