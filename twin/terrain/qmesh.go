package terrain

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/yitu-gis/yitu/spatial/geodesy"
)

// Quantized-mesh 1.0 tiles (https://github.com/CesiumGS/quantized-mesh) in the geographic tiling
// scheme CesiumJS asks for: level 0 is two tiles of 180°×180°, y counts from the south (TMS). A tile
// over a DEM is a regular grid of MeshSize×MeshSize vertices (CesiumJS adds the skirts from the
// edge lists); a tile outside every DEM is the ellipsoid (17×17 vertices at height 0), so the
// globe is whole everywhere.

// Extensions of quantized-mesh a client may ask for (Accept: ...;extensions=a-b).
const (
	ExtNormals   = "octvertexnormals"
	ExtWaterMask = "watermask"
)

const flatSize = 17

// LayerJSON is the layer.json CesiumTerrainProvider reads.
type LayerJSON struct {
	TileJSON    string        `json:"tilejson"`
	Name        string        `json:"name"`
	Description string        `json:"description"`
	Version     string        `json:"version"`
	Format      string        `json:"format"`
	Attribution string        `json:"attribution"`
	Scheme      string        `json:"scheme"`
	Tiles       []string      `json:"tiles"`
	Projection  string        `json:"projection"`
	Bounds      [4]float64    `json:"bounds"`
	MinZoom     int           `json:"minzoom"`
	MaxZoom     int           `json:"maxzoom"`
	Extensions  []string      `json:"extensions"`
	Available   [][]TileRange `json:"available"`
}

// TileRange is a rectangle of available tiles of one level.
type TileRange struct {
	StartX int `json:"startX"`
	StartY int `json:"startY"`
	EndX   int `json:"endX"`
	EndY   int `json:"endY"`
}

// MeshMaxZoom is the deepest quantized-mesh level: where the grid spacing is about the finest
// DEM's cell.
func (s *Service) MeshMaxZoom(ctx context.Context) (int, error) {
	return s.maxZoom(ctx, 180*111320/float64(s.cfg.MeshSize-1), 18)
}

// Layer describes the quantized-mesh layer: level 0 everywhere (the ellipsoid where no DEM is),
// deeper levels over the DEMs. Its tile URLs carry a version that changes whenever the DEMs do.
func (s *Service) Layer(ctx context.Context) (*LayerJSON, error) {
	dems, err := s.DEMs(ctx)
	if err != nil {
		return nil, err
	}
	version := Version(dems)
	maxZ, err := s.MeshMaxZoom(ctx)
	if err != nil {
		return nil, err
	}
	lj := &LayerJSON{TileJSON: "2.1.0", Name: "terrain", Description: "一图 Yitu terrain: the imported DEMs, ellipsoidal heights (normal height + twin.height_offset)",
		Version: "1.0.0", Format: "quantized-mesh-1.0", Attribution: "一图 Yitu", Scheme: "tms",
		Tiles: []string{"{z}/{x}/{y}.terrain?v=" + version}, Projection: "EPSG:4326",
		Bounds: [4]float64{-180, -90, 180, 90}, MaxZoom: maxZ, Extensions: []string{ExtNormals, ExtWaterMask}}
	lj.Available = append(lj.Available, []TileRange{{0, 0, 1, 0}})
	for z := 1; z <= maxZ; z++ {
		var level []TileRange
		for _, d := range dems {
			n := float64(int(1) << z)
			x0 := int(math.Floor((d.BBox[0] + 180) / 180 * n))
			x1 := int(math.Floor((d.BBox[2] + 180) / 180 * n))
			y0 := int(math.Floor((d.BBox[1] + 90) / 180 * n))
			y1 := int(math.Floor((d.BBox[3] + 90) / 180 * n))
			r := TileRange{max(x0, 0), max(y0, 0), min(x1, 2<<z-1), min(y1, 1<<z-1)}
			if !slices.Contains(level, r) {
				level = append(level, r)
			}
		}
		if level == nil {
			level = []TileRange{}
		}
		lj.Available = append(lj.Available, level)
	}
	return lj, nil
}

// Version identifies a set of DEMs (their datasets), for tile URLs that change when they do.
func Version(dems []DEM) string {
	h := fnv.New32a()
	for _, d := range dems {
		fmt.Fprintf(h, "%d,", d.Dataset)
	}
	return strconv.FormatUint(uint64(h.Sum32()), 36)
}

// ParseExtensions reads the extensions a client accepts from an Accept header
// (application/vnd.quantized-mesh;extensions=octvertexnormals-watermask), in a fixed order.
func ParseExtensions(accept string) []string {
	var out []string
	for _, part := range strings.Split(accept, ",") {
		for _, p := range strings.Split(part, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || strings.TrimSpace(k) != "extensions" {
				continue
			}
			for _, e := range strings.Split(v, "-") {
				e = strings.TrimSpace(e)
				if (e == ExtNormals || e == ExtWaterMask) && !slices.Contains(out, e) {
					out = append(out, e)
				}
			}
		}
	}
	slices.Sort(out) // octvertexnormals before watermask: the order the spec gives their ids
	return out
}

// TileBounds is the lon/lat extent of geographic TMS tile z/x/y: west, south, east, north.
func TileBounds(z, x, y int) [4]float64 {
	size := 180 / float64(int(1)<<z)
	w, s := -180+float64(x)*size, -90+float64(y)*size
	return [4]float64{w, s, w + size, s + size}
}

// Mesh returns quantized-mesh tile z/x/y (gzip-compressed) with the extensions asked for.
func (s *Service) Mesh(ctx context.Context, z, x, y int, exts []string) (Content, error) {
	if err := checkTile(z, x, y, 2, 1, 24); err != nil {
		return Content{}, invalid(err)
	}
	key := fmt.Sprintf("q/%d/%d/%d/%s", z, x, y, strings.Join(exts, "-"))
	return s.cached(ctx, key, func() (Content, error) {
		b := TileBounds(z, x, y)
		n := s.cfg.MeshSize
		d := [2]float64{(b[2] - b[0]) / float64(n-1), (b[3] - b[1]) / float64(n-1)}
		g := Grid{SRID: 4326, X0: b[0], Y0: b[3], DX: d[0], DY: d[1], W: n, H: n, LonLat: b}
		hs, any, err := s.Heights(ctx, g)
		if err != nil {
			return Content{}, err
		}
		if !any {
			n = flatSize
			hs = make([]float64, n*n)
			for i := range hs {
				hs[i] = math.NaN()
			}
		}
		for i, v := range hs {
			if math.IsNaN(v) {
				hs[i] = 0 // the ellipsoid, as tiles without a DEM
			} else {
				hs[i] = v + s.offset
			}
		}
		raw := EncodeMesh(b, n, hs, exts)
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
		zw.Write(raw)
		if err := zw.Close(); err != nil {
			return Content{}, err
		}
		ct := "application/vnd.quantized-mesh"
		if len(exts) > 0 {
			ct += ";extensions=" + strings.Join(exts, "-")
		}
		return Content{Data: buf.Bytes(), Type: ct, Encoding: "gzip"}, nil
	})
}

// EncodeMesh writes a quantized-mesh 1.0 tile of an n×n grid of ellipsoidal heights over bounds
// (row-major from the north-west corner, as Grid samples).
func EncodeMesh(bounds [4]float64, n int, hs []float64, exts []string) []byte {
	minH, maxH := math.Inf(1), math.Inf(-1)
	for _, v := range hs {
		minH, maxH = min(minH, v), max(maxH, v)
	}
	// Grid index (i east, j north from the south row) → ECEF position.
	at := func(i, j int) float64 { return hs[(n-1-j)*n+i] }
	lonlat := func(i, j int) (float64, float64) {
		return bounds[0] + (bounds[2]-bounds[0])*float64(i)/float64(n-1), bounds[1] + (bounds[3]-bounds[1])*float64(j)/float64(n-1)
	}
	// Triangles over the grid (counter-clockwise seen from above: east = u, north = v), and the
	// vertex order of first use, which the high-water-mark encoding needs.
	order := make([]int, n*n)
	for i := range order {
		order[i] = -1
	}
	var verts []int // grid index (j*n + i) of each vertex in output order
	var idx []uint32
	use := func(g int) {
		if order[g] < 0 {
			order[g] = len(verts)
			verts = append(verts, g)
		}
		idx = append(idx, uint32(order[g]))
	}
	for j := range n - 1 {
		for i := range n - 1 {
			a, b, c, d := j*n+i, j*n+i+1, (j+1)*n+i+1, (j+1)*n+i
			use(a)
			use(b)
			use(c)
			use(a)
			use(c)
			use(d)
		}
	}
	nv := len(verts)
	ecef := make([][3]float64, nv)
	u := make([]uint16, nv)
	v := make([]uint16, nv)
	hq := make([]uint16, nv)
	lo, hi := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}, [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for k, g := range verts {
		i, j := g%n, g/n
		lon, lat := lonlat(i, j)
		h := at(i, j)
		ecef[k] = geodesy.ECEF(lon, lat, h)
		for c := range 3 {
			lo[c], hi[c] = min(lo[c], ecef[k][c]), max(hi[c], ecef[k][c])
		}
		u[k] = uint16(math.Round(float64(i) * 32767 / float64(n-1)))
		v[k] = uint16(math.Round(float64(j) * 32767 / float64(n-1)))
		if maxH > minH {
			hq[k] = uint16(math.Round((h - minH) / (maxH - minH) * 32767))
		}
	}
	center := [3]float64{(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, (lo[2] + hi[2]) / 2}
	var radius float64
	for _, p := range ecef {
		radius = max(radius, dist(p, center))
	}
	occl := horizonOcclusionPoint(center, ecef)

	var buf bytes.Buffer
	le := binary.LittleEndian
	w := func(x any) { binary.Write(&buf, le, x) }
	w(center)
	w(float32(minH))
	w(float32(maxH))
	w(center)
	w(radius)
	w(occl)
	w(uint32(nv))
	for _, arr := range [][]uint16{u, v, hq} {
		prev := 0
		for _, x := range arr {
			w(zigzag(int(x) - prev))
			prev = int(x)
		}
	}
	wide := nv > 65536
	if wide {
		for buf.Len()%4 != 0 {
			buf.WriteByte(0)
		}
	} else if buf.Len()%2 != 0 {
		buf.WriteByte(0)
	}
	writeIdx := func(x uint32) {
		if wide {
			w(x)
		} else {
			w(uint16(x))
		}
	}
	w(uint32(len(idx) / 3))
	highest := uint32(0)
	for _, x := range idx {
		writeIdx(highest - x)
		if x == highest {
			highest++
		}
	}
	// Edges: west and east south→north, south and north west→east.
	edge := func(keep func(i, j int) bool, key func(i, j int) int) {
		var list []int
		for k, g := range verts {
			if keep(g%n, g/n) {
				list = append(list, k)
			}
		}
		slices.SortFunc(list, func(a, b int) int { return key(verts[a]%n, verts[a]/n) - key(verts[b]%n, verts[b]/n) })
		w(uint32(len(list)))
		for _, k := range list {
			writeIdx(uint32(k))
		}
	}
	byJ := func(_, j int) int { return j }
	byI := func(i, _ int) int { return i }
	edge(func(i, _ int) bool { return i == 0 }, byJ)
	edge(func(_, j int) bool { return j == 0 }, byI)
	edge(func(i, _ int) bool { return i == n-1 }, byJ)
	edge(func(_, j int) bool { return j == n-1 }, byI)
	for _, e := range exts {
		switch e {
		case ExtNormals:
			normals := vertexNormals(ecef, idx)
			buf.WriteByte(1)
			w(uint32(2 * nv))
			for _, nm := range normals {
				x, y := octEncode(nm)
				buf.WriteByte(x)
				buf.WriteByte(y)
			}
		case ExtWaterMask:
			// No water data: the one-byte mask of a tile that is all land.
			buf.WriteByte(2)
			w(uint32(1))
			buf.WriteByte(0)
		}
	}
	return buf.Bytes()
}

func zigzag(d int) uint16 { return uint16((d << 1) ^ (d >> 31)) }

func dist(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}

// WGS 84 radii.
const (
	ellA = 6378137.0
	ellB = 6356752.3142451793
)

// horizonOcclusionPoint is CesiumJS's EllipsoidalOccluder.computeHorizonCullingPoint: a point in
// the ellipsoid-scaled frame, in the direction of the tile's centre, that is below the horizon only
// when every vertex is.
func horizonOcclusionPoint(center [3]float64, pts [][3]float64) [3]float64 {
	scale := func(p [3]float64) [3]float64 { return [3]float64{p[0] / ellA, p[1] / ellA, p[2] / ellB} }
	dir := scale(center)
	l := math.Sqrt(dir[0]*dir[0] + dir[1]*dir[1] + dir[2]*dir[2])
	if l == 0 {
		return [3]float64{}
	}
	dir = [3]float64{dir[0] / l, dir[1] / l, dir[2] / l}
	maxMag := 0.0
	for _, p := range pts {
		sp := scale(p)
		magSq := sp[0]*sp[0] + sp[1]*sp[1] + sp[2]*sp[2]
		mag := math.Sqrt(magSq)
		d := [3]float64{sp[0] / mag, sp[1] / mag, sp[2] / mag}
		magSq, mag = max(1, magSq), max(1, mag)
		cosA := d[0]*dir[0] + d[1]*dir[1] + d[2]*dir[2]
		cr := [3]float64{d[1]*dir[2] - d[2]*dir[1], d[2]*dir[0] - d[0]*dir[2], d[0]*dir[1] - d[1]*dir[0]}
		sinA := math.Sqrt(cr[0]*cr[0] + cr[1]*cr[1] + cr[2]*cr[2])
		cosB := 1 / mag
		sinB := math.Sqrt(magSq-1) * cosB
		den := cosA*cosB - sinA*sinB
		if den <= 0 { // a vertex beyond 90° of the centre (level-0 tiles): no finite point
			maxMag = 1e3
			break
		}
		maxMag = max(maxMag, 1/den)
	}
	return [3]float64{dir[0] * maxMag, dir[1] * maxMag, dir[2] * maxMag}
}

// vertexNormals are the area-weighted unit normals of the triangles around each vertex (ECEF).
func vertexNormals(pts [][3]float64, idx []uint32) [][3]float64 {
	out := make([][3]float64, len(pts))
	for t := 0; t+2 < len(idx); t += 3 {
		a, b, c := pts[idx[t]], pts[idx[t+1]], pts[idx[t+2]]
		e1 := [3]float64{b[0] - a[0], b[1] - a[1], b[2] - a[2]}
		e2 := [3]float64{c[0] - a[0], c[1] - a[1], c[2] - a[2]}
		nm := [3]float64{e1[1]*e2[2] - e1[2]*e2[1], e1[2]*e2[0] - e1[0]*e2[2], e1[0]*e2[1] - e1[1]*e2[0]}
		for _, k := range idx[t : t+3] {
			for c := range 3 {
				out[k][c] += nm[c]
			}
		}
	}
	for k, nm := range out {
		l := math.Sqrt(nm[0]*nm[0] + nm[1]*nm[1] + nm[2]*nm[2])
		if l == 0 {
			p := pts[k] // a degenerate fan: the ellipsoid's up
			l = math.Sqrt(p[0]*p[0] + p[1]*p[1] + p[2]*p[2])
			nm = p
		}
		out[k] = [3]float64{nm[0] / l, nm[1] / l, nm[2] / l}
	}
	return out
}

// octEncode is CesiumJS's AttributeCompression.octEncode into two bytes.
func octEncode(n [3]float64) (uint8, uint8) {
	s := math.Abs(n[0]) + math.Abs(n[1]) + math.Abs(n[2])
	x, y := n[0]/s, n[1]/s
	if n[2] < 0 {
		x, y = (1-math.Abs(y))*signNotZero(x), (1-math.Abs(x))*signNotZero(y)
	}
	snorm := func(f float64) uint8 { return uint8(math.Round((math.Max(-1, math.Min(f, 1))*0.5 + 0.5) * 255)) }
	return snorm(x), snorm(y)
}

// OctDecode is the inverse of the two-byte oct encoding.
func OctDecode(a, b uint8) [3]float64 {
	x, y := float64(a)/255*2-1, float64(b)/255*2-1
	z := 1 - math.Abs(x) - math.Abs(y)
	if z < 0 {
		x, y = (1-math.Abs(y))*signNotZero(x), (1-math.Abs(x))*signNotZero(y)
	}
	l := math.Sqrt(x*x + y*y + z*z)
	return [3]float64{x / l, y / l, z / l}
}

func signNotZero(f float64) float64 {
	if f < 0 {
		return -1
	}
	return 1
}
