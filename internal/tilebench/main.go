// Command tilebench measures Yitu's vector tiles against tegola's, side by side in one run on the same
// database and data: the same list of composite base-map tiles at z12–z16, fetched by 16 concurrent
// clients, uncached; then Yitu's cached throughput and the county-wide z10 tile.
//
// scripts/bench-tiles builds tegola (from the Go module proxy, into a temporary directory) and Yitu,
// then runs this program. It creates a database yitu_bench, loads the demo city into it with `yitu demo`
// (the survey files written and imported as make run does) and drops it at the end.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb/encoding/mvt"

	"github.com/yitu-gis/yitu/internal/benchcity"
	"github.com/yitu-gis/yitu/tiles"
)

// The composite base map: every layer of the one-map base.
var layers = []string{"basemap.vegetation", "basemap.water", "basemap.road", "basemap.building", "basemap.boundary",
	"basemap.annotation", "basemap.control_point", "basemap.elevation_point", "basemap.label", "pipeline.segment", "pipeline.point"}

func main() {
	yitu := flag.String("yitu", "bin/yitu", "the yitu binary")
	tegola := flag.String("tegola", "", "the tegola binary (v0.21.2)")
	clients := flag.Int("clients", 16, "concurrent clients")
	rounds := flag.Int("rounds", 2, "measured rounds per server (alternating Yitu and tegola)")
	keep := flag.Bool("keep", false, "keep the yitu_bench database")
	zooms := flag.String("zooms", "12-16", "zoom range of the tile list")
	flag.Parse()
	if *tegola == "" {
		fmt.Fprintln(os.Stderr, "tilebench: give --tegola (scripts/bench-tiles builds it)")
		os.Exit(2)
	}
	var lo, hi int
	if _, err := fmt.Sscanf(*zooms, "%d-%d", &lo, &hi); err != nil {
		fmt.Fprintln(os.Stderr, "tilebench: --zooms wants a range such as 12-16")
		os.Exit(2)
	}
	if err := run(*yitu, *tegola, *clients, *rounds, *keep, lo, hi); err != nil {
		fmt.Fprintln(os.Stderr, "tilebench:", err)
		os.Exit(1)
	}
}

func run(yituBin, tegolaBin string, clients, rounds int, keep bool, minZoom, maxZoom int) error {
	ctx := context.Background()
	demo, err := benchcity.NewDemo(ctx, yituBin, "yitu_bench")
	if err != nil {
		return err
	}
	defer demo.Close(keep)
	dbURL, pool, cityBBox := demo.URL, demo.Pool, demo.BBox
	var buildings, segments, roads int
	pool.QueryRow(ctx, "SELECT (SELECT count(*) FROM basemap.building), (SELECT count(*) FROM pipeline.segment), (SELECT count(*) FROM basemap.road)").Scan(&buildings, &segments, &roads)
	fmt.Printf("data: the demo city (yitu demo): %d buildings, %d road segments, %d pipe segments over %.4f,%.4f,%.4f,%.4f; generated and imported in %.0fs\n",
		buildings, roads, segments, cityBBox[0], cityBBox[1], cityBBox[2], cityBBox[3], demo.Loaded.Seconds())

	dir, err := os.MkdirTemp("", "tilebench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	uncached, err := benchcity.StartYitu(ctx, yituBin, dbURL, []string{"YITU_TILES_CACHE_MB=0"})
	if err != nil {
		return err
	}
	defer uncached.Stop()
	teg, err := startTegola(ctx, pool, tegolaBin, dbURL, dir)
	if err != nil {
		return err
	}
	defer teg.Stop()

	list := tileList(cityBBox, minZoom, maxZoom)
	yURL := func(t tiles.Tile) string {
		return fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", uncached.Base, strings.Join(layers, ","), t.Z, t.X, t.Y)
	}
	tURL := func(t tiles.Tile) string { return fmt.Sprintf("%s/maps/onemap/%d/%d/%d.pbf", teg.Base, t.Z, t.X, t.Y) }
	if err := compareContent(list, yURL, tURL); err != nil {
		return err
	}
	fmt.Printf("tiles: %d composite tiles (%d layers) at z%d–z%d over the city, each client in its own random order, %d clients\n\n",
		len(list), len(layers), minZoom, maxZoom, clients)

	// Warm up both (connections, prepared statements, the database's buffers), then alternate.
	measure(list, yURL, 4, 1)
	measure(list, tURL, 4, 1)
	var yRes, tRes result
	for i := range rounds {
		yRes = yRes.add(measure(list, yURL, clients, 1))
		fmt.Fprintf(os.Stderr, "round %d: Yitu done (%.0fs so far)\n", i+1, yRes.elapsed.Seconds())
		tRes = tRes.add(measure(list, tURL, clients, 1))
		fmt.Fprintf(os.Stderr, "round %d: tegola done (%.0fs so far)\n", i+1, tRes.elapsed.Seconds())
	}
	fmt.Printf("%-32s %10s %9s %9s %9s %12s\n", fmt.Sprintf("uncached, z%d–z%d", minZoom, maxZoom), "tiles/s", "p50 ms", "p95 ms", "p99 ms", "p95 z14–16")
	yRow, tRow := report("Yitu", yRes), report("tegola v0.21.2 (postgis)", tRes)
	fmt.Printf("%-32s %10.1f\n", "Yitu ÷ tegola throughput", yRow/tRow)
	// The same list with fewer clients: what a tile costs when requests do not queue for the two cores.
	for _, n := range []int{1, 4} {
		report(fmt.Sprintf("Yitu, %d client(s)", n), measure(list, yURL, n, 1))
	}
	fmt.Println()

	// Cached: a second Yitu with its memory cache, warmed by one pass.
	cached, err := benchcity.StartYitu(ctx, yituBin, dbURL, []string{"YITU_TILES_CACHE_MB=256"})
	if err != nil {
		return err
	}
	defer cached.Stop()
	cURL := func(t tiles.Tile) string {
		return fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", cached.Base, strings.Join(layers, ","), t.Z, t.X, t.Y)
	}
	measure(list, cURL, clients, 1)
	cRes := measure(list, cURL, clients, 20)
	fmt.Printf("%-32s %10s %9s %9s %9s\n", fmt.Sprintf("cached (memory), z%d–z%d", minZoom, maxZoom), "tiles/s", "p50 ms", "p95 ms", "p99 ms")
	report("Yitu", cRes)
	fmt.Println()

	// The county-wide z10 tile, uncached, one request at a time.
	center := tiles.WebMercatorQuad.At(10, (cityBBox[0]+cityBBox[2])/2, (cityBBox[1]+cityBBox[3])/2)
	z10 := make([]tiles.Tile, 20)
	for i := range z10 {
		z10[i] = center
	}
	fmt.Printf("%-32s %10s %9s %9s %9s %12s\n", fmt.Sprintf("z10 county tile %d/%d/%d", center.Z, center.X, center.Y), "tiles/s", "p50 ms", "p95 ms", "max ms", "bytes")
	yz := measure(z10, yURL, 1, 1)
	tz := measure(z10, tURL, 1, 1)
	reportMax("Yitu (generalized views)", yz)
	reportMax("tegola v0.21.2 (same views)", tz)
	return nil
}

// tileList is every tile over the city in a zoom range.
func tileList(cityBBox [4]float64, minZoom, maxZoom int) []tiles.Tile {
	e := tiles.Extent{Grid: tiles.WebMercatorQuad, Layers: layers, BBox: cityBBox, MinZoom: minZoom, MaxZoom: maxZoom}
	var out []tiles.Tile
	for t := range e.Tiles() {
		out = append(out, t)
	}
	return out
}

// startTegola configures tegola with exactly Yitu's layers: the same tables, properties, zoom bands
// (the generalized views at low zooms), buffers and extents, read from the catalog.
func startTegola(ctx context.Context, pool *pgxpool.Pool, bin, dbURL, dir string) (*benchcity.Server, error) {
	port, err := benchcity.FreePort()
	if err != nil {
		return nil, err
	}
	cfg, err := tegolaConfig(ctx, pool, dbURL, port)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "tegola.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--config", path, "--log-level", "WARN")
	cmd.Stderr = os.Stderr
	s := &benchcity.Server{Base: fmt.Sprintf("http://127.0.0.1:%d", port), Cmd: cmd}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return s, s.WaitFor("/capabilities")
}

func tegolaConfig(ctx context.Context, pool *pgxpool.Pool, dbURL string, port int) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "[webserver]\nport = \"127.0.0.1:%d\"\n\n[[providers]]\nname = \"pg\"\ntype = \"postgis\"\nuri = %q\nsrid = 3857\nmax_connections = 32\n\n", port, dbURL)
	var maps strings.Builder
	maps.WriteString("[[maps]]\nname = \"onemap\"\n\n")
	for _, id := range layers {
		var schema, table, idCol, tileCol string
		var minZoom, maxZoom int
		var props []string
		var propZooms []int
		err := pool.QueryRow(ctx, `SELECT schema_name, table_name, id_column, tile_column, min_zoom, max_zoom,
			ARRAY(SELECT p->>'name' FROM jsonb_array_elements(properties) p),
			ARRAY(SELECT coalesce((p->>'tile_min_zoom')::integer, 0) FROM jsonb_array_elements(properties) p)
			FROM catalog.layer WHERE id = $1`, id).
			Scan(&schema, &table, &idCol, &tileCol, &minZoom, &maxZoom, &props, &propZooms)
		if err != nil {
			return "", fmt.Errorf("layer %s: %w", id, err)
		}
		type band struct {
			schema, table string
			lo, hi        int
		}
		rows, _ := pool.Query(ctx, "SELECT schema_name, table_name, min_zoom, max_zoom FROM tiles.generalized WHERE layer_id = $1 ORDER BY min_zoom", id)
		bands, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (band, error) {
			var bd band
			err := r.Scan(&bd.schema, &bd.table, &bd.lo, &bd.hi)
			return bd, err
		})
		if err != nil {
			return "", err
		}
		lo := minZoom
		for _, bd := range bands {
			if bd.hi >= lo {
				lo = bd.hi + 1
			}
		}
		bands = append(bands, band{schema, table, lo, maxZoom})
		// Like Yitu, a property enters the tiles at its tile_min_zoom: split the bands there.
		var split []band
		for _, bd := range bands {
			for lo := bd.lo; lo <= bd.hi; {
				hi := bd.hi
				for _, z := range propZooms {
					if z > lo && z <= hi {
						hi = z - 1
					}
				}
				split = append(split, band{bd.schema, bd.table, lo, hi})
				lo = hi + 1
			}
		}
		for i, bd := range split {
			var inTiles []string
			for k, p := range props {
				if propZooms[k] <= bd.lo {
					inTiles = append(inTiles, p)
				}
			}
			cols, err := existing(ctx, pool, bd.schema, bd.table, inTiles)
			if err != nil {
				return "", err
			}
			name := fmt.Sprintf("%s_%d", strings.ReplaceAll(id, ".", "_"), i)
			sel := append([]string{pgx.Identifier{idCol}.Sanitize()}, cols...)
			fmt.Fprintf(&b, "  [[providers.layers]]\n  name = %q\n  geometry_fieldname = \"geom\"\n  id_fieldname = %q\n  geometry_type = %q\n  sql = %q\n\n",
				name, idCol, tegolaGeomType(id),
				fmt.Sprintf("SELECT %s, ST_AsBinary(%s) AS geom FROM %s WHERE %s && !BBOX!", strings.Join(sel, ", "),
					pgx.Identifier{tileCol}.Sanitize(), pgx.Identifier{bd.schema, bd.table}.Sanitize(), pgx.Identifier{tileCol}.Sanitize()))
			fmt.Fprintf(&maps, "  [[maps.layers]]\n  name = %q\n  provider_layer = \"pg.%s\"\n  min_zoom = %d\n  max_zoom = %d\n\n", id, name, bd.lo, bd.hi)
		}
	}
	return b.String() + maps.String(), nil
}

func tegolaGeomType(id string) string {
	switch id {
	case "basemap.building":
		return "MultiPolygon"
	case "basemap.annotation", "basemap.control_point", "basemap.elevation_point", "basemap.label", "pipeline.point":
		return "Point"
	case "pipeline.segment":
		return "LineString"
	}
	return "" // mixed geometry: tegola inspects each row
}

// existing quotes the properties that the table has.
func existing(ctx context.Context, pool *pgxpool.Pool, schema, table string, props []string) ([]string, error) {
	var have []string
	err := pool.QueryRow(ctx, `SELECT array_agg(attname::text) FROM pg_attribute
		WHERE attrelid = to_regclass(quote_ident($1) || '.' || quote_ident($2)) AND attnum > 0 AND NOT attisdropped`, schema, table).Scan(&have)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, p := range props {
		if slices.Contains(have, p) {
			out = append(out, pgx.Identifier{p}.Sanitize())
		}
	}
	return out, nil
}

// compareContent checks that both servers serve the same features (per layer counts) on a few tiles,
// so that the comparison is of like with like.
func compareContent(list []tiles.Tile, yURL, tURL func(tiles.Tile) string) error {
	for _, t := range []tiles.Tile{list[0], list[len(list)/2], list[len(list)-1]} {
		count := func(u string) (map[string]int, error) {
			b, err := fetch(u)
			if err != nil {
				return nil, err
			}
			ls, err := mvt.UnmarshalGzipped(b)
			if err != nil {
				if ls, err = mvt.Unmarshal(b); err != nil {
					return nil, fmt.Errorf("%s: %w", u, err)
				}
			}
			out := map[string]int{}
			for _, l := range ls {
				out[l.Name] = len(l.Features)
			}
			return out, nil
		}
		y, err := count(yURL(t))
		if err != nil {
			return err
		}
		g, err := count(tURL(t))
		if err != nil {
			return err
		}
		fmt.Printf("check %-12s Yitu %v\n", t.String(), y)
		fmt.Printf("check %-12s tegola %v\n", "", g)
	}
	return nil
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}, Timeout: 60 * time.Second}

// fetch gets a tile as a browser does (gzip accepted) and reads it whole.
func fetch(u string) ([]byte, error) {
	var b bytes.Buffer
	_, err := get(u, &b)
	return b.Bytes(), err
}

// get gets a tile as a browser does (gzip accepted), copies its body to w and returns its size.
// measure passes io.Discard: the client shares the machine's two cores with the servers, and
// buffering every body would have its garbage collector compete with them.
func get(u string, w io.Writer) (int64, error) {
	req, _ := http.NewRequest("GET", u, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return 0, fmt.Errorf("%s: %d %s", u, resp.StatusCode, msg)
	}
	return io.Copy(w, resp.Body)
}

type sample struct {
	z     int
	d     time.Duration
	bytes int
	err   error
}

// result is one measured phase: every request's time, and the wall time of the phase.
type result struct {
	samples []sample
	elapsed time.Duration
}

func (r result) add(o result) result {
	return result{samples: append(slices.Clone(r.samples), o.samples...), elapsed: r.elapsed + o.elapsed}
}

// measure has each of n clients fetch the list passes times in its own random order.
func measure(list []tiles.Tile, url func(tiles.Tile) string, n, passes int) result {
	var mu sync.Mutex
	var out []sample
	var wg sync.WaitGroup
	start := time.Now()
	for c := range n {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), 7))
			var mine []sample
			for range passes {
				order := slices.Clone(list)
				r.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
				for _, t := range order {
					t0 := time.Now()
					n, err := get(url(t), io.Discard)
					mine = append(mine, sample{z: t.Z, d: time.Since(t0), bytes: int(n), err: err})
				}
			}
			mu.Lock()
			out = append(out, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return result{samples: out, elapsed: time.Since(start)}
}

// report prints a row: throughput, p50/p95/p99 of every request, p95 at z14–16; it returns tiles/s.
func report(name string, r result) float64 {
	var all, high []time.Duration
	errs := 0
	var firstErr error
	for _, s := range r.samples {
		if s.err != nil {
			errs++
			firstErr = cmpOr(firstErr, s.err)
			continue
		}
		all = append(all, s.d)
		if s.z >= 14 {
			high = append(high, s.d)
		}
	}
	rate := float64(len(all)) / r.elapsed.Seconds()
	fmt.Printf("%-32s %10.1f %9.1f %9.1f %9.1f %12.1f\n", name, rate, benchcity.Percentile(slices.Clone(all), 0.5),
		benchcity.Percentile(slices.Clone(all), 0.95), benchcity.Percentile(slices.Clone(all), 0.99), benchcity.Percentile(high, 0.95))
	if errs > 0 {
		fmt.Printf("%-32s %d of %d requests failed, first: %v\n", "", errs, len(r.samples), firstErr)
	}
	return rate
}

// reportMax prints a row for sequential requests of one tile: rate, p50, p95, max, size.
func reportMax(name string, r result) {
	var all []time.Duration
	size := 0
	for _, s := range r.samples {
		if s.err != nil {
			fmt.Printf("%-32s failed: %v\n", name, s.err)
			return
		}
		all = append(all, s.d)
		size = s.bytes
	}
	fmt.Printf("%-32s %10.1f %9.1f %9.1f %9.1f %12d\n", name, float64(len(all))/r.elapsed.Seconds(),
		benchcity.Percentile(slices.Clone(all), 0.5), benchcity.Percentile(slices.Clone(all), 0.95), benchcity.Percentile(slices.Clone(all), 1), size)
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
