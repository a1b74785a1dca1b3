package geology

import (
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/yitu-gis/yitu/importers/loader"
)

// The canonical columns of borehole tables. A hole table has hole, north and east (or lon and lat),
// collar and, usually, depth; a layer table has hole and top and/or base depths, code, name and
// lithology. One sheet may be both (the hole columns repeated on every layer row).
const (
	cHole      = "hole"
	cNorth     = "north" // CJJ 61 / Chinese survey X: northing
	cEast      = "east"  // Y: easting
	cLon       = "lon"
	cLat       = "lat"
	cCollar    = "collar"
	cDepth     = "depth"
	cTop       = "top"
	cBase      = "base"
	cThickness = "thickness"
	cCode      = "code"
	cName      = "name"
	cLithology = "lithology"
	// A survey table of inclined holes (survey.go): station depth, azimuth, and inclination or dip.
	cAt          = "at"
	cAzimuth     = "azimuth"
	cInclination = "inclination"
	cDip         = "dip"
)

var canonical = []string{cHole, cNorth, cEast, cLon, cLat, cCollar, cDepth, cTop, cBase, cThickness, cCode, cName, cLithology,
	cAt, cAzimuth, cInclination, cDip}

// aliases are the header names surveyors write for each column (normalised: no spaces, no units in
// brackets, lower case). X is the northing and Y the easting, as in CJJ 61 and every Chinese survey
// table; files in the other convention need a mapping (east=X,north=Y).
var aliases = map[string][]string{
	cHole:      {"钻孔编号", "孔号", "钻孔号", "孔位编号", "勘探点编号", "勘探孔编号", "钻孔名称", "hole", "holeid", "hole_id", "borehole", "bh", "name", "well", "wellname"},
	cNorth:     {"x", "x坐标", "坐标x", "北坐标", "纵坐标", "northing", "north", "nort"},
	cEast:      {"y", "y坐标", "坐标y", "东坐标", "横坐标", "easting", "east"},
	cLon:       {"经度", "lon", "lng", "longitude"},
	cLat:       {"纬度", "lat", "latitude"},
	cCollar:    {"孔口高程", "孔口标高", "地面高程", "孔口高", "高程", "collar", "elev", "elevation", "altitude", "rl"},
	cDepth:     {"孔深", "钻孔深度", "终孔深度", "孔深度", "终孔孔深", "depth", "totaldepth", "total_depth", "td", "eodh"},
	cTop:       {"层顶深度", "层顶埋深", "顶板深度", "顶深", "top", "from", "defr", "depth_from", "md"},
	cBase:      {"层底深度", "层底埋深", "底板深度", "底深", "层底", "base", "bottom", "to", "deto", "depth_to"},
	cThickness: {"层厚", "分层厚度", "厚度", "thickness"},
	cCode:      {"地层编号", "层号", "地层代号", "土层编号", "岩土层编号", "地层号", "code", "stratum", "formation", "geol", "unit", "lithcode"},
	cName:      {"地层名称", "岩土名称", "土层名称", "岩性名称", "土名", "stratum_name", "formation_name"},
	cLithology: {"岩性描述", "岩土描述", "描述", "地层描述", "lithology", "description", "lith"},
	// A survey table's station depth may also be its 孔深/depth or from/md column.
	cAt:          {"测点深度", "测斜深度", "测深", "斜深", "测点孔深", "at", "deat", "station", "survey_depth", "measured_depth", "measureddepth"},
	cAzimuth:     {"方位角", "方位", "坐标方位角", "azimuth", "azim", "azi", "az", "bearing"},
	cInclination: {"顶角", "天顶角", "inclination", "incl", "inc"},
	cDip:         {"倾角", "dip"},
}

var aliasIndex = loader.AliasIndex(aliases)

// Stratum is one entry of a legend: the strata of the site, top to bottom.
type Stratum struct {
	Code  string `yaml:"code"`
	Name  string `yaml:"name"`
	Color string `yaml:"color"` // #rrggbb; default from the name (素填土 brown, 砂 yellow…) or a palette
}

// Mapping says how the columns of a table in another layout map to the canonical ones, and
// optionally gives the legend (the strata list; a code outside it is refused).
type Mapping struct {
	// Columns maps a canonical column (hole, north, east, lon, lat, collar, depth, top, base,
	// thickness, code, name, lithology) to the header of the file; an empty header turns the column
	// off (base: "" reads formation tops only, each layer ending at the next top or the hole's depth).
	Columns map[string]string `yaml:"columns"`
	Strata  []Stratum         `yaml:"strata"`
	// Unnamed is the stratum code given to layers whose code and name are empty (formation tops
	// files leave the interval below the last pick unnamed); "" refuses such layers.
	Unnamed string `yaml:"unnamed"`
	// Tops reads the layer table as formation tops (picks): each layer ends at the next top, and only
	// the last at its own bottom (层底深度) or the hole's depth; picks' own bottoms, which such files
	// often leave inconsistent, are not used.
	Tops bool `yaml:"tops"`
	// Gaps is the stratum code given to the intervals between a hole's logged layers (sheets that
	// log separate intervals, not a contiguous column); "" refuses a hole with gaps.
	Gaps string `yaml:"gaps"`
	// Tolerance (metres) within which a layer's top may differ from the bottom of the layer above
	// (survey rounding); default 0.05.
	Tolerance float64 `yaml:"tolerance"`
	// Cell is the model grid's cell size in metres (default: the extent / 64, at least 2 m).
	Cell float64 `yaml:"cell"`
	// Radius is the IDW search radius in metres (default: 3 × the median distance between
	// neighbouring holes, at least 50 m).
	Radius float64 `yaml:"radius"`
	// Margin is how far the model reaches beyond the holes' hull, metres (default: the cell × 3).
	Margin float64 `yaml:"margin"`
}

// ParseMapping reads --map: a YAML file (.yaml, .yml), or key=Header pairs separated by commas
// (hole=Name,east=X,north=Y,top=md,base=).
func ParseMapping(s string) (*Mapping, error) {
	m := &Mapping{Columns: map[string]string{}}
	s = strings.TrimSpace(s)
	if s == "" {
		return m, nil
	}
	if strings.HasSuffix(s, ".yaml") || strings.HasSuffix(s, ".yml") {
		b, err := os.ReadFile(s)
		if err != nil {
			return nil, fmt.Errorf("--map %s: %w", s, err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(m); err != nil {
			return nil, fmt.Errorf("--map %s: %w", s, err)
		}
		if m.Columns == nil {
			m.Columns = map[string]string{}
		}
	} else {
		for _, kv := range strings.Split(s, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return nil, fmt.Errorf("--map %q: %q is not column=Header (or give a .yaml file)", s, kv)
			}
			switch k = strings.TrimSpace(strings.ToLower(k)); k {
			case "unnamed":
				m.Unnamed = strings.TrimSpace(v)
				continue
			case "tops":
				m.Tops = strings.TrimSpace(v) == "true" || strings.TrimSpace(v) == "yes"
				continue
			case "gaps":
				m.Gaps = strings.TrimSpace(v)
				continue
			}
			m.Columns[k] = strings.TrimSpace(v)
		}
	}
	for k := range m.Columns {
		if !slices.Contains(canonical, k) {
			return nil, fmt.Errorf("--map: %q is not a borehole column; the columns are %s (and unnamed=<code> names layers without a code, tops=true reads formation tops)", k, strings.Join(canonical, ", "))
		}
	}
	seen := map[string]bool{}
	for i, st := range m.Strata {
		if strings.TrimSpace(st.Code) == "" {
			return nil, fmt.Errorf("--map: legend entry %d has no code", i+1)
		}
		if seen[st.Code] {
			return nil, fmt.Errorf("--map: legend code %q twice", st.Code)
		}
		seen[st.Code] = true
		if st.Color != "" && !validColor(st.Color) {
			return nil, fmt.Errorf("--map: legend %s colour %q is not #rrggbb", st.Code, st.Color)
		}
	}
	if m.Tolerance < 0 || m.Cell < 0 || m.Radius < 0 || m.Margin < 0 {
		return nil, fmt.Errorf("--map: tolerance, cell, radius and margin are metres ≥ 0")
	}
	return m, nil
}

func validColor(c string) bool {
	if len(c) != 7 || c[0] != '#' {
		return false
	}
	for _, r := range c[1:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// mapHeader finds the canonical columns of a header row under the mapping: a mapped column by its
// header (exact, then normalised), the others by their aliases. The first column claiming a key wins.
func (m *Mapping) mapHeader(header []string) map[string]int {
	cols := map[string]int{}
	off := map[string]bool{}
	for k, h := range m.Columns {
		if h == "" {
			off[k] = true
			continue
		}
		for i, hh := range header {
			if strings.TrimSpace(hh) == h || loader.NormHeader(hh) == loader.NormHeader(h) {
				cols[k] = i
				break
			}
		}
	}
	claimed := map[int]bool{}
	for _, i := range cols {
		claimed[i] = true
	}
	for i, h := range header {
		if claimed[i] {
			continue
		}
		k, ok := aliasIndex[loader.NormHeader(h)]
		if !ok || off[k] {
			continue
		}
		if _, mapped := m.Columns[k]; mapped {
			continue // the mapping names another header for it
		}
		if _, dup := cols[k]; !dup {
			cols[k] = i
		}
	}
	return cols
}

// missingMapped lists mapped headers a header row lacks, for the refusal.
func (m *Mapping) missingMapped(header []string, cols map[string]int) []string {
	var out []string
	for k, h := range m.Columns {
		if _, ok := cols[k]; !ok && h != "" {
			out = append(out, fmt.Sprintf("%s=%s", k, h))
		}
	}
	sort.Strings(out)
	return out
}
