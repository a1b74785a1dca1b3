// Command loadtest puts the demo city under mixed load for a fixed time and prints what it measured:
// composite vector tiles, feature pages, search and live positions from JT/T 808 terminals over TCP,
// all at once, with /readyz polled every second. With --attacks (the default) the attacks of the
// hardening issue run alongside: clients that ask for the largest feature page and never read it,
// slowloris connections that send their headers a byte at a time, and anonymous 200 MB uploads. The
// run passes when the ordinary clients saw no error and /readyz never failed; it prints throughput,
// error counts and latency percentiles per workload, what became of each attack and the server's
// peak memory.
//
// `make loadtest` builds Yitu and runs this program. It creates a database yitu_load, loads the demo
// city into it with `yitu demo`, serves it with `yitu serve` and drops it at the end.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/internal/benchcity"
	"github.com/yitu-gis/yitu/live/jt808"
	"github.com/yitu-gis/yitu/spatial/auth"
	"github.com/yitu-gis/yitu/tiles"
)

func main() {
	bin := flag.String("yitu", "bin/yitu", "the yitu binary")
	duration := flag.Duration("duration", time.Minute, "how long the load runs")
	attacks := flag.Bool("attacks", true, "run the attacks alongside")
	terminals := flag.Int("terminals", 200, "JT/T 808 terminals, each reporting once a second")
	keep := flag.Bool("keep", false, "keep the yitu_load database")
	flag.Parse()
	if err := run(*bin, *duration, *attacks, *terminals, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

// The composite base map, as the viewer asks for it.
var baseLayers = []string{"basemap.vegetation", "basemap.water", "basemap.road", "basemap.building", "basemap.boundary",
	"basemap.annotation", "basemap.control_point", "basemap.elevation_point", "basemap.label", "pipeline.segment", "pipeline.point"}

func run(bin string, duration time.Duration, attacks bool, terminals int, keep bool) error {
	ctx := context.Background()
	demo, err := benchcity.NewDemo(ctx, bin, "yitu_load")
	if err != nil {
		return err
	}
	defer demo.Close(keep)
	dbURL, pool, bbox := demo.URL, demo.Pool, demo.BBox
	names, err := searchTerms(ctx, pool)
	if err != nil {
		return err
	}
	admin, err := auth.New(pool).Create(ctx, "loadtest", []string{"admin"}, "make loadtest", time.Hour)
	if err != nil {
		return err
	}
	port, err := benchcity.FreePort()
	if err != nil {
		return err
	}
	jtAddr := fmt.Sprintf("127.0.0.1:%d", port)
	// Every client of this program comes from 127.0.0.1: the per-client limit is raised so that the
	// load generator is not taken for one greedy client.
	srv, err := benchcity.StartYitu(ctx, bin, dbURL, []string{"YITU_SERVER_CLIENT_CONCURRENCY=256"}, "--jt808-addr", jtAddr)
	if err != nil {
		return err
	}
	defer srv.Stop()
	phones, err := registerTerminals(srv.Base, admin, terminals)
	if err != nil {
		return err
	}

	fmt.Printf("load: %s against the demo city (%d JT/T 808 terminals at 1 fix/s, tiles z12–16, feature pages, search), attacks %v\n\n",
		duration, terminals, attacks)
	runCtx, stop := context.WithTimeout(ctx, duration)
	defer stop()
	var wg sync.WaitGroup
	tileList := tilesOver(bbox)
	work := []*workload{
		{name: "tiles (6 clients)", clients: 6, next: func(r *rand.Rand) string {
			t := tileList[r.IntN(len(tileList))]
			return fmt.Sprintf("%s/tiles/%s/%d/%d/%d.mvt", srv.Base, strings.Join(baseLayers, ","), t.Z, t.X, t.Y)
		}},
		{name: "feature pages (3 clients)", clients: 3, next: func(r *rand.Rand) string {
			lon := bbox[0] + r.Float64()*(bbox[2]-bbox[0])
			lat := bbox[1] + r.Float64()*(bbox[3]-bbox[1])
			return fmt.Sprintf("%s/collections/basemap.building/items?limit=100&bbox=%.5f,%.5f,%.5f,%.5f", srv.Base, lon, lat, lon+0.004, lat+0.003)
		}},
		{name: "search (1 client)", clients: 1, next: func(r *rand.Rand) string {
			return srv.Base + "/search?q=" + url.QueryEscape(names[r.IntN(len(names))])
		}},
	}
	for _, w := range work {
		w.start(runCtx, &wg)
	}
	live := &workload{name: fmt.Sprintf("live positions (%d terminals)", terminals)}
	live.terminals(runCtx, &wg, jtAddr, phones, bbox)
	ready := &workload{name: "/readyz (1 per second)"}
	ready.poll(runCtx, &wg, srv.Base+"/readyz")
	var att []*attack
	if attacks {
		att = startAttacks(runCtx, &wg, srv.Base)
	}
	wg.Wait()

	fmt.Printf("%-34s %9s %9s %7s %9s %9s %9s\n", "workload", "requests", "per s", "errors", "p50 ms", "p95 ms", "p99 ms")
	failed := false
	for _, w := range append(work, live, ready) {
		failed = w.report(duration) || failed
	}
	if attacks {
		fmt.Printf("\n%-34s %s\n", "attack", "outcome")
		for _, a := range att {
			fmt.Printf("%-34s %s\n", a.name, a.outcome())
		}
	}
	if rss, err := peakRSS(srv.Cmd.Process.Pid); err == nil {
		fmt.Printf("\nserver peak memory (VmHWM): %s\n", rss)
	}
	if failed {
		return errors.New("ordinary clients saw errors (above)")
	}
	fmt.Println("\nno errors for the ordinary clients")
	return nil
}

// searchTerms are names in the demo city (roads, annotations, buildings), cut to their first two
// characters as a user types.
func searchTerms(ctx context.Context, pool *pgxpool.Pool) ([]string, error) {
	rows, err := pool.Query(ctx, `SELECT DISTINCT left(n, 2) FROM (
		SELECT name FROM basemap.road UNION ALL SELECT text FROM basemap.annotation UNION ALL SELECT name FROM basemap.building) t (n)
		WHERE n <> '' LIMIT 200`)
	if err != nil {
		return nil, err
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err == nil && len(names) == 0 {
		err = errors.New("the demo city has no names to search for")
	}
	return names, err
}

func tilesOver(bbox [4]float64) []tiles.Tile {
	var out []tiles.Tile
	for t := range (tiles.Extent{Grid: tiles.WebMercatorQuad, BBox: bbox, MinZoom: 12, MaxZoom: 16}).Tiles() {
		out = append(out, t)
	}
	return out
}

// registerTerminals registers n hazmat trucks through /live/devices and returns their phone numbers.
func registerTerminals(base, token string, n int) ([]string, error) {
	var phones []string
	for i := range n {
		phone := fmt.Sprintf("0177%08d", i)
		body := fmt.Sprintf(`{"id":%q,"kind":"vehicle","vehicle_kind":"hazmat","plate":"鲁F%05d","plate_color":2}`, phone, i)
		req, _ := http.NewRequest("POST", base+"/live/devices", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 201 {
			return nil, fmt.Errorf("registering terminal %s: %d %s", phone, resp.StatusCode, msg)
		}
		phones = append(phones, phone)
	}
	return phones, nil
}

// workload is one kind of ordinary client: its requests' times and errors.
type workload struct {
	name    string
	clients int
	next    func(*rand.Rand) string

	mu       sync.Mutex
	times    []time.Duration
	errs     int
	firstErr error
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

func (w *workload) record(d time.Duration, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err != nil {
		w.errs++
		if w.firstErr == nil {
			w.firstErr = err
		}
		return
	}
	w.times = append(w.times, d)
}

func (w *workload) start(ctx context.Context, wg *sync.WaitGroup) {
	for c := range w.clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(c), uint64(len(w.name))))
			for ctx.Err() == nil {
				t0 := time.Now()
				err := get(w.next(r))
				if ctx.Err() == nil || err == nil {
					w.record(time.Since(t0), err)
				}
			}
		})
	}
}

func get(u string) error {
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return fmt.Errorf("%s: %d %s", u, resp.StatusCode, msg)
	}
	_, err = io.Copy(io.Discard, resp.Body)
	return err
}

// terminals logs every terminal in and has it report a fix a second (moving slowly across the city);
// the time measured is from sending a fix to the platform's 0x8001 answer.
func (w *workload) terminals(ctx context.Context, wg *sync.WaitGroup, addr string, phones []string, bbox [4]float64) {
	for i, phone := range phones {
		wg.Go(func() {
			t, err := jt808.DialTerminal(ctx, addr, phone, 10*time.Second)
			if err != nil {
				w.record(0, err)
				return
			}
			defer t.Close()
			if _, err := t.Login(jt808.Register{Plate: fmt.Sprintf("鲁F%05d", i), PlateColor: 2, TerminalID: "LOAD"}, ""); err != nil {
				w.record(0, fmt.Errorf("terminal %s: %w", phone, err))
				return
			}
			r := rand.New(rand.NewPCG(uint64(i), 808))
			lon := bbox[0] + r.Float64()*(bbox[2]-bbox[0])
			lat := bbox[1] + r.Float64()*(bbox[3]-bbox[1])
			everySecond(ctx, func() {
				lon += (r.Float64() - 0.5) * 0.0002
				lat += (r.Float64() - 0.5) * 0.0002
				fix := jt808.Location{Lat: int32(lat * 1e6), Lon: int32(lon * 1e6), Speed: uint16(r.IntN(600)), Heading: uint16(r.IntN(360)),
					Time: time.Now().Truncate(time.Second)}
				t0 := time.Now()
				_, err := t.Send(fix)
				if ctx.Err() == nil || err == nil {
					w.record(time.Since(t0), err)
				}
			})
		})
	}
}

// everySecond runs fn once a second until ctx ends.
func everySecond(ctx context.Context, fn func()) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fn()
		}
	}
}

// poll asks u once a second: a load balancer's health check.
func (w *workload) poll(ctx context.Context, wg *sync.WaitGroup, u string) {
	wg.Go(func() {
		everySecond(ctx, func() {
			t0 := time.Now()
			err := get(u)
			w.record(time.Since(t0), err)
		})
	})
}

// report prints the workload's row; it returns true when it saw errors.
func (w *workload) report(d time.Duration) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := len(w.times) + w.errs
	fmt.Printf("%-34s %9d %9.1f %7d %9.1f %9.1f %9.1f\n", w.name, n, float64(len(w.times))/d.Seconds(), w.errs,
		benchcity.Percentile(slices.Clone(w.times), 0.5), benchcity.Percentile(slices.Clone(w.times), 0.95),
		benchcity.Percentile(slices.Clone(w.times), 0.99))
	if w.errs > 0 {
		fmt.Printf("%-34s first error: %v\n", "", w.firstErr)
	}
	return w.errs > 0
}

// attack is one kind of hostile client and what became of its attempts.
type attack struct {
	name     string
	mu       sync.Mutex
	outcomes map[string]int
}

func (a *attack) count(what string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.outcomes == nil {
		a.outcomes = map[string]int{}
	}
	a.outcomes[what]++
}

func (a *attack) outcome() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var parts []string
	for k, v := range a.outcomes {
		parts = append(parts, fmt.Sprintf("%d %s", v, k))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

func startAttacks(ctx context.Context, wg *sync.WaitGroup, base string) []*attack {
	host := strings.TrimPrefix(base, "http://")
	greedy := &attack{name: "40 clients that never read"}
	slow := &attack{name: "100 slowloris connections"}
	big := &attack{name: "anonymous 200 MB uploads (2 at a time)"}
	// connections has n clients each connect, run fn (which says what became of the attempt) and
	// connect again, until the end.
	connections := func(a *attack, n int, fn func(net.Conn) string) {
		for range n {
			wg.Go(func() {
				for ctx.Err() == nil {
					conn, err := net.DialTimeout("tcp", host, 5*time.Second)
					if err != nil {
						a.count("refused at connect")
						sleep(ctx, time.Second)
						continue
					}
					if what := fn(conn); what != "" {
						a.count(what)
					}
					conn.Close()
				}
			})
		}
	}
	// The largest feature page, asked for and never read; asked again when the server hangs up.
	connections(greedy, 40, func(conn net.Conn) string {
		fmt.Fprintf(conn, "GET /collections/basemap.building/items?limit=10000 HTTP/1.1\r\nHost: %s\r\n\r\n", host)
		_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		<-waitClosed(ctx, conn)
		if ctx.Err() == nil {
			return "disconnected by the server (write timeout)"
		}
		return "still held at the end"
	})
	// Headers a byte every 2 s.
	connections(slow, 100, func(conn net.Conn) string {
		req := "GET /collections HTTP/1.1\r\nHost: " + host + "\r\nX-Slow: " + strings.Repeat("a", 1000)
		for i := 0; i < len(req) && ctx.Err() == nil; i++ {
			if _, err := conn.Write([]byte{req[i]}); err != nil {
				return "closed by the server (read timeout)"
			}
			sleep(ctx, 2*time.Second)
		}
		return "still open at the end"
	})
	// 200 MB bodies without a token.
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, "POST", base+"/collections/basemap.building/items", io.LimitReader(zeros{}, 200<<20))
				req.ContentLength = 200 << 20
				req.Header.Set("Content-Type", "application/geo+json")
				resp, err := http.DefaultClient.Do(req)
				switch {
				case err != nil && ctx.Err() != nil:
				case err != nil:
					big.count("cut off by the server")
				default:
					big.count(fmt.Sprintf("answered %d", resp.StatusCode))
					resp.Body.Close()
				}
			}
		})
	}
	return []*attack{greedy, slow, big}
}

// waitClosed is closed when the server closes conn (or ctx ends); it reads only to notice the close,
// 64 bytes a second, far slower than any page is sent.
func waitClosed(ctx context.Context, conn net.Conn) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		var b [64]byte
		for ctx.Err() == nil {
			_ = conn.SetReadDeadline(time.Now().Add(time.Second))
			if _, err := conn.Read(b[:]); err != nil {
				var ne net.Error
				if !errors.As(err, &ne) || !ne.Timeout() {
					return
				}
			}
			sleep(ctx, time.Second)
		}
	}()
	return done
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// peakRSS is the process's peak resident memory, from /proc.
func peakRSS(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v), nil
		}
	}
	return "", errors.New("no VmHWM")
}
