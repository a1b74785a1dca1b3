// Package sim is the demo city's living half: vehicles and fire teams that speak JT/T 808 over TCP
// and drive its roads, sensors that publish readings over MQTT with their own credentials, cameras
// and watchtowers, and a NASA FIRMS file with a fire in its hills. `yitu demo simulate` runs it
// against a running `yitu serve`; `make run` starts both.
package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/firms"
)

// Options configure a simulation.
type Options struct {
	Pool      *pgxpool.Pool    // the database the server serves (roads, pipe points, lamps, contours; the registry)
	Creds     live.Credentials // sets sensors' MQTT passwords; nil: sensors are registered without
	JT808Addr string           // the server's JT/T 808 gateway, host:port
	MQTTAddr  string           // the broker, host:port; empty: no sensors publish
	Vehicles  int              // JT/T 808 vehicles (a third of them hazmat trucks)
	Teams     int              // fire teams (JT/T 808 terminals)
	Sensors   int              // MQTT sensors
	Cameras   int              // cameras and watchtowers (registered, no data)
	// Interval is how often a vehicle reports (JT/T 808 0x0200); SensorInterval how often a sensor
	// publishes.
	Interval, SensorInterval time.Duration
	Seed                     uint64
	Dir                      string // where the FIRMS file is written
	Log                      *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Defaults: a living town of the size.
func (o *Options) defaults() {
	if o.Vehicles == 0 && o.Teams == 0 && o.Sensors == 0 {
		o.Vehicles, o.Teams, o.Sensors, o.Cameras = 200, 12, 500, 20
	}
	if o.Interval <= 0 {
		o.Interval = 10 * time.Second
	}
	if o.SensorInterval <= 0 {
		o.SensorInterval = time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Dir == "" {
		o.Dir = ".data/demo"
	}
}

// world is what the simulation reads of the demo city.
type world struct {
	roads    *roads
	manholes [][2]float64 // drainage and sewer inspection wells
	gasWells [][2]float64 // gas pipe points
	lamps    [][2]float64 // street lamps: smart poles
	river    [][2]float64 // points along the river (南阳河) bank
	hills    [][3]float64 // lon, lat, top elevation; the highest first
	centre   [2]float64
}

func loadWorld(ctx context.Context, pool *pgxpool.Pool) (*world, error) {
	w := &world{}
	var err error
	if w.roads, err = loadRoads(ctx, pool); err != nil {
		return nil, err
	}
	points := func(sql string) ([][2]float64, error) {
		rows, err := pool.Query(ctx, sql)
		if err != nil {
			return nil, err
		}
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) ([2]float64, error) {
			var p [2]float64
			err := r.Scan(&p[0], &p[1])
			return p, err
		})
	}
	if w.manholes, err = points(`SELECT ST_X(geom), ST_Y(geom) FROM pipeline.point WHERE pipe_type IN ('YS', 'WS') AND appendage = '检修井' ORDER BY id`); err != nil {
		return nil, err
	}
	if w.gasWells, err = points(`SELECT ST_X(geom), ST_Y(geom) FROM pipeline.point WHERE pipe_type = 'RQ' ORDER BY id`); err != nil {
		return nil, err
	}
	if w.lamps, err = points(`SELECT ST_X(geom), ST_Y(geom) FROM basemap.facility WHERE props->>'block' = 'GC170' ORDER BY id`); err != nil {
		return nil, err
	}
	if w.river, err = points(`SELECT ST_X(p), ST_Y(p) FROM (SELECT geom FROM basemap.water ORDER BY ST_Area(geom) DESC LIMIT 1) r,
		generate_series(0, 39) i, ST_LineInterpolatePoint(ST_ExteriorRing(ST_GeometryN(r.geom, 1)), i / 40.0) p`); err != nil {
		return nil, err
	}
	rows, err := pool.Query(ctx, `SELECT ST_X(c), ST_Y(c), elevation FROM basemap.contour, ST_Centroid(geom) c
		WHERE elevation IS NOT NULL ORDER BY elevation DESC LIMIT 400`)
	if err != nil {
		return nil, err
	}
	tops, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) ([3]float64, error) {
		var p [3]float64
		var e float32
		err := r.Scan(&p[0], &p[1], &e)
		p[2] = float64(e)
		return p, err
	})
	if err != nil {
		return nil, err
	}
	for _, t := range tops { // the top of each hill: contour centres more than 400 m from a higher one
		far := true
		for _, h := range w.hills {
			if metres([2]float64{t[0], t[1]}, [2]float64{h[0], h[1]}) < 400 {
				far = false
				break
			}
		}
		if far {
			w.hills = append(w.hills, t)
		}
	}
	if err := pool.QueryRow(ctx, `SELECT ST_X(c), ST_Y(c) FROM (SELECT ST_Centroid(ST_Extent(geom)::geometry) c FROM basemap.road) e`).Scan(&w.centre[0], &w.centre[1]); err != nil {
		return nil, err
	}
	if len(w.hills) == 0 {
		w.hills = append(w.hills, [3]float64{w.centre[0] + 0.01, w.centre[1] - 0.01, 30})
	}
	return w, nil
}

// Simulation is a prepared run: its devices registered, ready to Run.
type Simulation struct {
	opts     Options
	world    *world
	vehicles []*vehicle
	sensors  []*sensor
	cameras  []live.Device
}

// New reads the demo city from the database and makes the simulation's devices (the same seed
// makes the same devices).
func New(ctx context.Context, opts Options) (*Simulation, error) {
	opts.defaults()
	w, err := loadWorld(ctx, opts.Pool)
	if err != nil {
		return nil, err
	}
	s := &Simulation{opts: opts, world: w}
	rng := rand.New(rand.NewPCG(opts.Seed, 808))
	s.makeVehicles(rng)
	s.makeSensors(rng)
	s.makeCameras(rng)
	return s, nil
}

// Devices are every device the simulation registers.
func (s *Simulation) Devices() []live.Device {
	var out []live.Device
	for _, v := range s.vehicles {
		out = append(out, v.dev)
	}
	for _, sn := range s.sensors {
		out = append(out, sn.dev)
	}
	return append(out, s.cameras...)
}

// Register puts the devices into the registry (in one transaction; again is harmless) and sets the
// sensors' MQTT credentials at the broker.
func (s *Simulation) Register(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		reg := live.NewRegistry(tx)
		for _, d := range s.Devices() {
			if err := reg.Put(ctx, d); err != nil {
				return fmt.Errorf("registering %s: %w", d.ID, err)
			}
		}
		return nil
	})
	if err != nil || s.opts.Creds == nil {
		return err
	}
	// The broker answers one command at a time per connection; a few at once keep it busy.
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for _, sn := range s.sensors {
		g.Go(func() error {
			if err := s.opts.Creds.AddDevice(gctx, sn.dev.ID, sn.password); err != nil {
				return fmt.Errorf("setting the MQTT credentials of %s: %w", sn.dev.ID, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// Run drives the devices until ctx ends: each vehicle and team on a connection of its own, each
// sensor with a client of its own.
func (s *Simulation) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i, v := range s.vehicles {
		wg.Go(func() { v.run(ctx, s.opts, i) })
	}
	if s.opts.MQTTAddr != "" {
		for i, sn := range s.sensors {
			wg.Go(func() { sn.run(ctx, s.opts, i) })
		}
	}
	wg.Wait()
	return nil
}

// WriteFIRMS writes a NASA FIRMS VIIRS file of a fire on the demo city's highest hill: two overpasses
// (NOAA-20 three hours ago, Suomi NPP eighty minutes ago) of a front spreading uphill, and returns
// its path.
func (s *Simulation) WriteFIRMS() (string, error) {
	now := s.opts.Now().UTC()
	hill := s.world.hills[0]
	rng := rand.New(rand.NewPCG(s.opts.Seed, 1))
	var b []byte
	b = append(b, "latitude,longitude,bright_ti4,scan,track,acq_date,acq_time,satellite,confidence,version,bright_ti5,frp,daynight\n"...)
	for pass, p := range []struct {
		sat  string
		ago  time.Duration
		rows int
		r    float64 // metres from the ignition point
	}{{"N20", 3 * time.Hour, 4, 300}, {"N", 80 * time.Minute, 9, 650}} {
		t := now.Add(-p.ago)
		dn := "D"
		if h := t.Add(8 * time.Hour).Hour(); h < 6 || h >= 19 {
			dn = "N"
		}
		for i := range p.rows {
			// ignition south-west of the top, the front moving north-east with the wind
			a := (200 + float64(i)*70/float64(p.rows) + rng.Float64()*10) * math.Pi / 180
			d := p.r * (0.4 + 0.6*rng.Float64())
			lat := hill[1] - 0.002 + d*math.Cos(a)/111320
			lon := hill[0] - 0.002 + d*math.Sin(a)/(111320*math.Cos(hill[1]*math.Pi/180))
			conf := []string{"n", "n", "h"}[rng.IntN(3)]
			b = fmt.Appendf(b, "%.5f,%.5f,%.2f,0.39,0.36,%s,%s,%s,%s,2.0NRT,%.2f,%.2f,%s\n",
				lat, lon, 330+rng.Float64()*37, t.Format("2006-01-02"), t.Format("1504"), p.sat, conf,
				290+rng.Float64()*10, 3+rng.Float64()*25*float64(pass+1), dn)
		}
	}
	if err := os.MkdirAll(s.opts.Dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(s.opts.Dir, "firms_viirs_demo.csv")
	return path, os.WriteFile(path, b, 0o644)
}

// ImportFIRMS writes the FIRMS file and imports it as `yitu import` does (detections already there
// are skipped).
func (s *Simulation) ImportFIRMS(ctx context.Context) (path string, added int, err error) {
	if path, err = s.WriteFIRMS(); err != nil {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	recs, err := firms.Parse(f, filepath.Base(path))
	if err != nil {
		return
	}
	added, err = live.AddHotspots(ctx, s.opts.Pool, firms.Records(recs))
	return
}

func jsonRoute(line [][2]float64) map[string]any {
	b, _ := json.Marshal(line)
	var coords any
	_ = json.Unmarshal(b, &coords)
	return map[string]any{"type": "LineString", "coordinates": coords}
}

// makeCameras places watchtowers on the hills (looking out over them) and cameras at crossings.
func (s *Simulation) makeCameras(rng *rand.Rand) {
	w := s.world
	for i := range s.opts.Cameras {
		var d live.Device
		var at [2]float64
		view := float64(rng.IntN(360))
		if i < 4 {
			h := w.hills[i%len(w.hills)]
			at = [2]float64{h[0] + 0.0015*math.Cos(float64(i)*2), h[1] + 0.0012*math.Sin(float64(i)*2)}
			d = live.Device{ID: fmt.Sprintf("tower-%02d", i+1), Name: fmt.Sprintf("森林防火瞭望塔%d号", i+1), Owner: "莱州市自然资源和规划局"}
			view = bearing(at, [2]float64{h[0], h[1]})
		} else {
			n := w.roads.nodes[rng.IntN(len(w.roads.nodes))]
			at = [2]float64{n.lon, n.lat}
			d = live.Device{ID: fmt.Sprintf("cam-%03d", i-3), Name: fmt.Sprintf("路口视频监控%03d", i-3), Owner: "莱州市公安局"}
		}
		d.Kind = live.KindCamera
		d.StreamURL = "rtsp://127.0.0.1:8554/" + d.ID // of a media server; Yitu relays no video
		lon, lat, v := at[0], at[1], math.Round(view)
		if v >= 360 {
			v = 0
		}
		d.Lon, d.Lat, d.ViewDirection = &lon, &lat, &v
		s.cameras = append(s.cameras, d)
	}
}
