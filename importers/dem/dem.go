// Package dem imports digital elevation models (GeoTIFF, ESRI ASCII grid) through GDAL into
// terrain.dem: the raster stays in its own CRS, cut into blocks of 256×256 cells, with its nodata
// cells kept (blocks with no height at all are not stored). Heights are stored as normal heights
// (the 1985 national height datum, the twin.height_offset rule): what the file says about its
// vertical datum decides how its heights are taken, and the report says so.
package dem

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/yitu-gis/yitu/importers/loader"
	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/crs"
	"github.com/yitu-gis/yitu/spatial/raster"
)

// Block is the size of the stored raster blocks, in cells.
const Block = 256

// Kind is the catalog.dataset kind of an imported DEM.
const Kind = "dem"

// Layer is the change-notification layer of the terrain: an import announces it, and the terrain
// tiles purge on it.
const Layer = "terrain"

// DEM is the format: a GeoTIFF (a TIFF with GeoTIFF keys) or an ESRI ASCII grid (.asc).
type DEM struct{}

// Name implements importers.Format.
func (DEM) Name() string { return "dem" }

// Kind implements importers.Kinder.
func (DEM) Kind(loader.Source) string { return Kind }

// Files are the source and its sidecars (.prj of an ASCII grid, a world file).
func (DEM) Files(path string) []string {
	files := []string{path}
	stem := strings.TrimSuffix(path, filepath.Ext(path))
	for _, ext := range []string{".prj", ".tfw", ".aux.xml"} {
		for _, p := range []string{stem + ext, path + ext} {
			if _, err := os.Stat(p); err == nil {
				files = append(files, p)
			}
		}
	}
	return files
}

// Sniff recognises an ASCII grid by its header and a GeoTIFF by the georeferencing tags of its
// first image (a TIFF without them, such as a texture, is not a DEM).
func (DEM) Sniff(path string, head []byte) bool {
	if head == nil {
		return false
	}
	if isASCIIGrid(head) {
		return true
	}
	return isGeoTIFF(path, head)
}

func isASCIIGrid(head []byte) bool {
	s := strings.ToLower(strings.TrimLeft(string(head), " \t\r\n\ufeff"))
	return strings.HasPrefix(s, "ncols") || strings.HasPrefix(s, "nrows")
}

// isGeoTIFF reads the first IFD of a classic or Big TIFF and looks for ModelPixelScale (33550),
// ModelTiepoint (33922) or ModelTransformation (34264).
func isGeoTIFF(path string, head []byte) bool {
	if len(head) < 16 {
		return false
	}
	var bo binary.ByteOrder
	switch string(head[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	big := false
	var off int64
	switch bo.Uint16(head[2:]) {
	case 42:
		off = int64(bo.Uint32(head[4:]))
	case 43:
		big = true
		off = int64(bo.Uint64(head[8:]))
	default:
		return false
	}
	cnt := make([]byte, 8)
	entry, countSize := 12, 2
	if big {
		entry, countSize = 20, 8
	}
	if _, err := f.ReadAt(cnt[:countSize], off); err != nil {
		return false
	}
	n := int64(bo.Uint16(cnt))
	if big {
		n = int64(bo.Uint64(cnt))
	}
	if n <= 0 || n > 4096 {
		return false
	}
	buf := make([]byte, int(n)*entry)
	if _, err := f.ReadAt(buf, off+int64(countSize)); err != nil {
		return false
	}
	for i := range int(n) {
		switch bo.Uint16(buf[i*entry:]) {
		case 33550, 33922, 34264:
			return true
		}
	}
	return false
}

// info is what gdalinfo -json says of the source.
type info struct {
	Size         [2]int    `json:"size"`
	GeoTransform []float64 `json:"geoTransform"`
	Driver       string    `json:"driverShortName"`
	Bands        []struct {
		Type        string   `json:"type"`
		NoData      *float64 `json:"noDataValue"`
		ColorInterp string   `json:"colorInterpretation"`
	} `json:"bands"`
	CoordinateSystem *struct {
		WKT string `json:"wkt"`
	} `json:"coordinateSystem"`
	STAC struct {
		EPSG     *int            `json:"proj:epsg"`
		PROJJSON json.RawMessage `json:"proj:projjson"`
	} `json:"stac"`
}

// projCRS is the part of a PROJJSON CRS the importer reads.
type projCRS struct {
	Type string `json:"type"`
	Name string `json:"name"`
	ID   *struct {
		Authority string `json:"authority"`
		Code      any    `json:"code"`
	} `json:"id"`
	CS *struct {
		Axis []struct {
			Name string `json:"name"`
		} `json:"axis"`
	} `json:"coordinate_system"`
	Components []projCRS `json:"components"`
}

func (c projCRS) epsg() int {
	if c.ID == nil || !strings.EqualFold(c.ID.Authority, "EPSG") {
		return 0
	}
	switch v := c.ID.Code.(type) {
	case float64:
		return int(v)
	case string:
		var n int
		fmt.Sscan(v, &n)
		return n
	}
	return 0
}

// Summary is the DEM part of the import report (loader.Report.Details["dem"]).
type Summary struct {
	Width          int        `json:"width"`
	Height         int        `json:"height"`
	SRID           int        `json:"srid"`
	CRS            string     `json:"crs"`
	ResolutionX    float64    `json:"resolution_x"` // cell size in CRS units
	ResolutionY    float64    `json:"resolution_y"`
	Units          string     `json:"units"` // metre, degree
	MinHeight      float64    `json:"min_height"`
	MaxHeight      float64    `json:"max_height"`
	NoData         *float64   `json:"nodata,omitempty"`
	NoDataCells    int64      `json:"nodata_cells"`
	Blocks         int        `json:"blocks"`    // stored blocks of Block×Block cells (full resolution)
	Overviews      []int      `json:"overviews"` // factors of the coarser copies stored (4, 16, …)
	EmptyBlocks    int        `json:"empty_blocks"`
	VerticalDatum  string     `json:"vertical_datum"` // what the file says ("" = nothing)
	VerticalRule   string     `json:"vertical_rule"`  // how its heights were taken
	HeightShift    float64    `json:"height_shift"`   // metres added to every height (ellipsoidal → normal)
	BBox           [4]float64 `json:"bbox_lonlat"`    // EPSG:4490
	SourceDataType string     `json:"source_data_type"`
}

// Import reads the DEM through GDAL and writes its blocks.
func (DEM) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	return importRaster(ctx, b, src, "")
}

// importRaster imports the raster src.Path; rule, when not "", is how its heights are taken (a DEM
// interpolated from a survey drawing's contours: the drawing's own heights).
func importRaster(ctx context.Context, b *loader.Batch, src loader.Source, rule string) error {
	in, err := gdalInfo(ctx, src.Path)
	if err != nil {
		return err
	}
	if len(in.Bands) == 0 {
		return fmt.Errorf("%s: no raster band: not a DEM", src.Path)
	}
	if len(in.Bands) > 1 {
		return fmt.Errorf("%s: %d bands (%s…): an image, not a DEM; a DEM has one band of heights", src.Path, len(in.Bands), in.Bands[0].ColorInterp)
	}
	band := in.Bands[0]
	switch strings.ToLower(band.ColorInterp) {
	case "palette", "red", "green", "blue", "alpha":
		return fmt.Errorf("%s: its band is a %s channel of an image, not heights", src.Path, band.ColorInterp)
	}
	gt := in.GeoTransform
	if len(gt) != 6 {
		return fmt.Errorf("%s: no georeferencing (geotransform): cannot place the DEM", src.Path)
	}
	if gt[2] != 0 || gt[4] != 0 {
		return fmt.Errorf("%s: a rotated raster (geotransform %v); warp it north-up first (gdalwarp)", src.Path, gt)
	}
	sum := &Summary{Width: in.Size[0], Height: in.Size[1], ResolutionX: gt[1], ResolutionY: -gt[5], NoData: band.NoData, SourceDataType: band.Type}

	// The CRS: --srs, else the file's.
	var file projCRS
	if len(in.STAC.PROJJSON) > 0 {
		_ = json.Unmarshal(in.STAC.PROJJSON, &file)
	}
	horiz, vert := file, projCRS{}
	if file.Type == "CompoundCRS" && len(file.Components) == 2 {
		horiz, vert = file.Components[0], file.Components[1]
	}
	srid := horiz.epsg()
	if horiz.Type == "" && in.STAC.EPSG != nil {
		srid = *in.STAC.EPSG
	}
	if src.SRS != "" {
		n, ok := crs.IsEPSG(src.SRS)
		if !ok && src.CRS != nil {
			n, ok = crs.IsEPSG(src.CRS.Code())
		}
		if !ok {
			return fmt.Errorf("%s: --srs %s: a DEM stays in its own CRS, which must be an EPSG code PostGIS knows (EPSG:4549, EPSG:4326…)", src.Path, src.SRS)
		}
		if srid != 0 && srid != n {
			b.Warn(fmt.Sprintf("the file says EPSG:%d; --srs EPSG:%d was used", srid, n))
		}
		srid, horiz = n, projCRS{Name: "EPSG:" + fmt.Sprint(n)}
	}
	if srid == 0 && in.CoordinateSystem != nil && strings.TrimSpace(in.CoordinateSystem.WKT) != "" {
		// An ESRI .prj (ASCII grids) carries no code: ask PROJ for the EPSG CRS it is.
		srid = identifyEPSG(ctx, src.Path)
		if horiz.Name == "" {
			horiz.Name = wktName(in.CoordinateSystem.WKT)
		}
		if strings.HasPrefix(strings.TrimSpace(in.CoordinateSystem.WKT), "GEOG") {
			horiz.Type = "GeographicCRS"
		}
	}
	if srid == 0 {
		if in.CoordinateSystem == nil || strings.TrimSpace(in.CoordinateSystem.WKT) == "" {
			return fmt.Errorf("%s: the DEM has no CRS (no GeoTIFF keys, no .prj beside an ASCII grid): its cells cannot be placed; give it with --srs EPSG:<code>", src.Path)
		}
		return fmt.Errorf("%s: the DEM's CRS (%s) has no EPSG code; give the code with --srs EPSG:<code>", src.Path, horiz.Name)
	}
	sum.SRID, sum.CRS = srid, fmt.Sprintf("EPSG:%d %s", srid, horiz.Name)
	b.SetSourceCRS(fmt.Sprintf("EPSG:%d", srid))
	var units string
	if horiz.Type == "GeographicCRS" {
		units = "degree"
	}

	// The vertical datum.
	shift, err := verticalRule(sum, horiz, vert, src.HeightOffset)
	if err != nil {
		return fmt.Errorf("%s: %w", src.Path, err)
	}
	if rule != "" {
		sum.VerticalRule = rule
	}
	// A 3D geographic CRS (ellipsoidal heights) is stored in its 2D counterpart.
	if two, ok := geographic2D[srid]; ok {
		srid = two
		sum.SRID, sum.CRS = srid, fmt.Sprintf("EPSG:%d (the 2D CRS of %s)", srid, horiz.Name)
		b.SetSourceCRS(fmt.Sprintf("EPSG:%d", srid))
	}

	if tx := b.Tx(); tx != nil {
		var known bool
		var proj4 string
		if err := tx.QueryRow(ctx, `SELECT true, coalesce(proj4text, '') FROM spatial_ref_sys WHERE srid = $1`, srid).Scan(&known, &proj4); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("%s: EPSG:%d is not in PostGIS's spatial_ref_sys: the DEM cannot be stored in it", src.Path, srid)
			}
			return err
		}
		if units == "" && strings.Contains(proj4, "+proj=longlat") {
			units = "degree"
		}
	}
	if units == "" {
		units = "metre"
	}
	sum.Units = units

	// The cells, as raw 32-bit floats (GDAL converts any source type).
	tmp, err := os.MkdirTemp("", "yitu-dem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	nodata := math.NaN()
	hasNoData := band.NoData != nil
	if hasNoData {
		nodata = float64(float32(*band.NoData))
	}
	sum.MinHeight, sum.MaxHeight = math.Inf(1), math.Inf(-1)
	ins := &inserter{b: b}
	lv := level{src: src.Path, tmp: tmp, w: sum.Width, h: sum.Height, gt: gt, srid: srid, nodata: nodata, hasNoData: hasNoData, shift: shift, overview: 1}
	if err := lv.write(ctx, b, ins, sum); err != nil {
		return err
	}
	w, h := sum.Width, sum.Height
	if sum.Blocks == 0 {
		return fmt.Errorf("%s: no heights: every one of its %d×%d cells is nodata", src.Path, w, h)
	}
	if sum.MinHeight < -12000 || sum.MaxHeight > 9000 {
		return fmt.Errorf("%s: heights from %.6g to %.6g m are not terrain heights in metres (a nodata value the file does not declare? heights in other units?)", src.Path, sum.MinHeight, sum.MaxHeight)
	}
	// Overviews: GDAL averages overview×overview cells (nodata left out), 4, 16, 64… until one
	// block holds the whole DEM.
	for f := 4; ; f *= 4 {
		ow, oh := (w+f-1)/f, (h+f-1)/f
		if ow < 2 || oh < 2 {
			break
		}
		o := lv
		o.w, o.h, o.overview = ow, oh, f
		o.gt = []float64{gt[0], gt[1] * float64(w) / float64(ow), 0, gt[3], 0, gt[5] * float64(h) / float64(oh)}
		var osum Summary
		osum.MinHeight, osum.MaxHeight = math.Inf(1), math.Inf(-1)
		if err := o.write(ctx, b, ins, &osum); err != nil {
			return err
		}
		sum.Overviews = append(sum.Overviews, f)
		if ow <= Block && oh <= Block {
			break
		}
	}
	if err := ins.flush(ctx); err != nil {
		return err
	}
	if !hasNoData {
		sum.NoData = nil
	}
	if err := finish(ctx, b, sum); err != nil {
		return err
	}
	b.Count("dem blocks", sum.Blocks)
	b.Detail("dem", sum)
	b.Warn(fmt.Sprintf("DEM %d×%d cells of %.6g×%.6g %s in %s; heights %.2f to %.2f m; %d nodata cells; %d blocks of %d×%d stored (%d without heights left out); overviews ×%v",
		w, h, sum.ResolutionX, sum.ResolutionY, units, sum.CRS, sum.MinHeight, sum.MaxHeight, sum.NoDataCells, sum.Blocks, Block, Block, sum.EmptyBlocks, sum.Overviews))
	b.Warn("heights: " + sum.VerticalRule)
	return nil
}

// geographic2D are the 2D geographic CRSs of 3D ones: WGS 84, CGCS2000, ETRS89.
var geographic2D = map[int]int{4979: 4326, 4480: 4490, 4937: 4258}

// verticalRule decides how the file's heights become normal heights: the shift added to them
// (non-zero only for ellipsoidal heights, by twin.height_offset), recorded in sum.
func verticalRule(sum *Summary, horiz, vert projCRS, offset *float64) (float64, error) {
	name := vert.Name
	ellipsoidal := horiz.Type == "GeographicCRS" && horiz.CS != nil && len(horiz.CS.Axis) == 3
	if ellipsoidal {
		name = horiz.Name + " ellipsoidal height"
	}
	sum.VerticalDatum = name
	lower := strings.ToLower(name)
	switch {
	case ellipsoidal || strings.Contains(lower, "ellipsoid"):
		if offset == nil {
			return 0, fmt.Errorf("its heights are ellipsoidal (%s) and twin.height_offset (the geoid undulation, YITU_TWIN_HEIGHT_OFFSET) is not configured: they cannot be made normal heights", name)
		}
		sum.HeightShift = -*offset
		sum.VerticalRule = fmt.Sprintf("ellipsoidal heights (%s) made normal heights by subtracting twin.height_offset %.3f m", name, *offset)
	case strings.Contains(lower, "egm"):
		sum.VerticalRule = fmt.Sprintf("geoid heights above %s, stored as normal heights unchanged: the geoid and the quasi-geoid differ by centimetres in lowlands and by at most about a metre in high mountains, below a global model's own error", name)
	case name != "":
		sum.VerticalRule = fmt.Sprintf("heights in %s, taken as normal heights (stored unchanged)", name)
	default:
		sum.VerticalRule = "the file names no vertical datum: heights taken as normal heights (1985 national height datum) and stored unchanged; " +
			"a global DEM (SRTM, MERIT, Copernicus) gives heights above the EGM96/EGM2008 geoid, within about a metre of normal heights. " +
			"Ellipsoidal heights must say so in the file's CRS (e.g. EPSG:4979 or a compound CRS) to be converted"
	}
	return sum.HeightShift, nil
}

// level is one resolution of the DEM: the source itself (overview 1) or a copy GDAL averaged to
// 1/overview of its cells along each side.
type level struct {
	src, tmp  string
	w, h      int
	gt        []float64
	srid      int
	nodata    float64
	hasNoData bool
	shift     float64
	overview  int
}

// write has GDAL write the level's cells as raw 32-bit floats and stores them in blocks,
// counting into sum.
func (lv level) write(ctx context.Context, b *loader.Batch, ins *inserter, sum *Summary) error {
	rawPath := filepath.Join(lv.tmp, fmt.Sprintf("dem-%d.raw", lv.overview))
	args := []string{"-q", "-of", "ENVI", "-ot", "Float32", "-b", "1"}
	if lv.overview > 1 {
		args = append(args, "-r", "average", "-outsize", strconv.Itoa(lv.w), strconv.Itoa(lv.h))
	}
	cmd := exec.CommandContext(ctx, "gdal_translate", append(args, lv.src, rawPath)...)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: GDAL cannot read the cells: %v: %s", lv.src, err, strings.TrimSpace(string(out)))
	}
	defer os.Remove(rawPath)
	f, err := os.Open(rawPath)
	if err != nil {
		return err
	}
	defer f.Close()
	w, h, gt := lv.w, lv.h, lv.gt
	if st, err := f.Stat(); err != nil || st.Size() != int64(w)*int64(h)*4 {
		return fmt.Errorf("%s: GDAL wrote %v bytes for %d×%d cells", lv.src, st.Size(), w, h)
	}
	var rd io.Reader = f
	if lv.overview == 1 {
		rd = b.Track(f, int64(w)*int64(h)*4)
	}
	r := bufio.NewReaderSize(rd, 1<<20)
	strip := make([]float32, w*Block)
	row := make([]byte, 4*w)
	for y0 := 0; y0 < h; y0 += Block {
		rows := min(Block, h-y0)
		for j := range rows {
			if _, err := io.ReadFull(r, row); err != nil {
				return fmt.Errorf("%s: reading row %d: %w", lv.src, y0+j, err)
			}
			for i := range w {
				strip[j*w+i] = math.Float32frombits(binary.LittleEndian.Uint32(row[4*i:]))
			}
		}
		for x0 := 0; x0 < w; x0 += Block {
			cols := min(Block, w-x0)
			blk := &raster.Raster{Width: cols, Height: rows, ScaleX: gt[1], ScaleY: gt[5], SRID: lv.srid,
				UpperLeftX: gt[0] + float64(x0)*gt[1], UpperLeftY: gt[3] + float64(y0)*gt[5],
				HasNoData: true, NoData: lv.nodata, Data: make([]float64, cols*rows)}
			if !lv.hasNoData {
				blk.NoData = -32768 // NaN cells (GDAL's "no value" in a float raster without nodata) are stored as it
			}
			valid := 0
			for j := range rows {
				for i := range cols {
					v := float64(strip[j*w+x0+i])
					if math.IsNaN(v) || (lv.hasNoData && v == lv.nodata) {
						blk.Data[j*cols+i] = blk.NoData
						sum.NoDataCells++
						continue
					}
					v += lv.shift
					blk.Data[j*cols+i] = v
					sum.MinHeight, sum.MaxHeight = min(sum.MinHeight, v), max(sum.MaxHeight, v)
					valid++
				}
			}
			if valid == 0 {
				sum.EmptyBlocks++
				continue
			}
			sum.Blocks++
			if err := ins.add(ctx, blk, lv.overview); err != nil {
				return err
			}
		}
	}
	return nil
}

// inserter writes blocks through the import's transaction in batches.
type inserter struct {
	b         *loader.Batch
	pending   [][]byte
	overviews []int16
}

func (in *inserter) add(ctx context.Context, r *raster.Raster, overview int) error {
	if in.b.DryRun() {
		return nil
	}
	in.pending = append(in.pending, r.Marshal())
	in.overviews = append(in.overviews, int16(overview))
	if len(in.pending) >= 32 {
		return in.flush(ctx)
	}
	return nil
}

func (in *inserter) flush(ctx context.Context) error {
	if len(in.pending) == 0 {
		return nil
	}
	tx := in.b.Tx()
	if tx == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO terrain.dem (dataset_id, overview, rast) SELECT $1, o, encode(r, 'hex')::raster FROM unnest($2::bytea[], $3::smallint[]) AS t(r, o)`,
		in.b.DatasetID(), in.pending, in.overviews)
	in.pending, in.overviews = in.pending[:0], in.overviews[:0]
	if err != nil {
		return fmt.Errorf("writing DEM blocks: %w", err)
	}
	return nil
}

// finish computes the DEM's lon/lat extent, checks the blocks are valid rasters and announces the
// change to the terrain.
func finish(ctx context.Context, b *loader.Batch, sum *Summary) error {
	tx := b.Tx()
	if tx == nil {
		return nil
	}
	var box [4]float64
	err := tx.QueryRow(ctx, `
		SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
		FROM (SELECT ST_Extent(ST_Transform(ST_Segmentize(ST_Envelope(rast)::geometry, greatest(abs(ST_ScaleX(rast)), abs(ST_ScaleY(rast))) * 64), 4490)) e
		      FROM terrain.dem WHERE dataset_id = $1 AND overview = 1) t`, b.DatasetID()).Scan(&box[0], &box[1], &box[2], &box[3])
	if err != nil {
		return fmt.Errorf("the DEM's extent in EPSG:4490: %w", err)
	}
	sum.BBox = box
	b.Extend(box[0], box[1], box[2], box[3])
	return spatial.NotifyChange(ctx, tx, spatial.Change{Layers: []string{Layer}, BBox: &box, Dataset: b.DatasetID(), Reason: "import"})
}

func gdalInfo(ctx context.Context, path string) (*info, error) {
	cmd := exec.CommandContext(ctx, "gdalinfo", "-json", path)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, errors.New("gdalinfo is not installed (Debian package gdal-bin; scripts/setup installs it)")
		}
		return nil, fmt.Errorf("%s: GDAL cannot read it as a raster: %s", path, strings.TrimSpace(stderr.String()))
	}
	var in info
	if err := json.Unmarshal(out, &in); err != nil {
		return nil, fmt.Errorf("%s: reading gdalinfo's answer: %w", path, err)
	}
	return &in, nil
}

// identifyEPSG asks GDAL (PROJ) which EPSG CRS the file's CRS is (0: none found).
func identifyEPSG(ctx context.Context, path string) int {
	cmd := exec.CommandContext(ctx, "gdalsrsinfo", "-e", "-o", "epsg", path)
	cmd.Env = append(os.Environ(), "GDAL_PAM_ENABLED=NO")
	out, err := cmd.Output()
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(out), "\n") {
		if code, ok := strings.CutPrefix(strings.TrimSpace(line), "EPSG:"); ok {
			var n int
			if _, err := fmt.Sscan(code, &n); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// wktName is the name of a WKT CRS: its first quoted string.
func wktName(wkt string) string {
	_, rest, ok := strings.Cut(wkt, `"`)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name
}
