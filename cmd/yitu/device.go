package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/firms"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial"
)

// cmdDevice is `yitu device add|list|remove|import`: the device registry (and sensors' MQTT
// credentials at the broker).
func cmdDevice(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return usageError{"device takes add, list, remove or import: yitu device add --kind vehicle --id 013912345678 --plate 鲁F12345"}
	}
	switch args[0] {
	case "add":
		return deviceAdd(ctx, e, args[1:])
	case "list":
		return deviceList(ctx, e, args[1:])
	case "remove":
		return deviceRemove(ctx, e, args[1:])
	case "import":
		return deviceImport(ctx, e, args[1:])
	}
	return usageError{fmt.Sprintf("unknown device action %q; use add, list, remove or import", args[0])}
}

// openLive opens the database (schema current) and, when an MQTT broker is configured, its admin
// for sensors' credentials.
func openLive(ctx context.Context, cfg Config) (*pgxpool.Pool, live.Credentials, func(), error) {
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := migrations.Check(ctx, pool); err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	creds, closeCreds, err := brokerCredentials(cfg)
	if err != nil {
		pool.Close()
		return nil, nil, nil, err
	}
	return pool, creds, func() { closeCreds(); pool.Close() }, nil
}

func deviceAdd(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "device add")
	var d live.Device
	kind := f.String("kind", "", "vehicle, team, sensor or camera (required)")
	f.StringVar(&d.ID, "id", "", "the device id: a JT/T 808 terminal's phone number as it sends it (12 digits, 2013; 20, 2019), a sensor's MQTT user name (required)")
	f.StringVar(&d.Name, "name", "", "a name for people")
	f.StringVar(&d.Plate, "plate", "", "vehicle plate (鲁F12345)")
	f.IntVar(&d.PlateColor, "plate-color", 0, "JT/T 808 plate colour code: 1 blue, 2 yellow, 3 black, 4 white, 9 other")
	f.StringVar(&d.Carrier, "carrier", "", "transport company or operating unit")
	f.StringVar(&d.VehicleKind, "vehicle-kind", "", "hazmat, fire_team, patrol, … (hazmat when --un is given)")
	f.StringVar(&d.UN, "un", "", "hazmat: the cargo's UN number (1203)")
	f.StringVar(&d.HazardClass, "class", "", "hazmat: the cargo's class (3, 2.1, 8)")
	f.StringVar(&d.SensorKind, "sensor-kind", "", "sensors: water_level, manhole_tilt, gas, settlement, saturation_line, rainfall, smoke, …")
	f.StringVar(&d.Unit, "unit", "", "sensors: the unit of their readings (m, °, %LEL, mm)")
	f.StringVar(&d.Owner, "owner", "", "who owns or runs it")
	f.StringVar(&d.Group, "group", "", "a group, such as the tailings dam a monitoring point belongs to")
	f.StringVar(&d.StreamURL, "stream-url", "", "cameras: the stream URL of the media server")
	lon := f.String("lon", "", "fixed place (sensors, cameras): longitude, CGCS2000")
	lat := f.String("lat", "", "fixed place: latitude")
	view := f.String("view-direction", "", "cameras: degrees clockwise from north")
	password := f.String("password", "", "sensors: the MQTT password (the broker's dynamic security gets it; never stored by Yitu)")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if d.ID == "" || *kind == "" || f.NArg() > 0 {
		return usageError{"device add needs --kind and --id (and no other arguments)"}
	}
	d.Kind = live.Kind(*kind)
	for _, n := range []struct {
		flag string
		s    string
		dst  **float64
	}{{"lon", *lon, &d.Lon}, {"lat", *lat, &d.Lat}, {"view-direction", *view, &d.ViewDirection}} {
		if n.s == "" {
			continue
		}
		v, err := strconv.ParseFloat(n.s, 64)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q is not a number", n.flag, n.s)}
		}
		*n.dst = &v
	}
	pool, creds, done, err := openLive(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	if err := live.PutDevice(ctx, pool, d, *password, creds); err != nil {
		return deviceError(err)
	}
	got, err := live.NewRegistry(pool).Get(ctx, d.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "device %s (%s) registered", got.ID, got.Kind)
	if got.Kind == live.KindVehicle || got.Kind == live.KindTeam {
		fmt.Fprintf(e.stdout, "; JT/T 808 auth code %s", got.AuthCode)
	}
	if *password != "" {
		fmt.Fprint(e.stdout, "; MQTT credentials set at the broker")
	}
	fmt.Fprintln(e.stdout)
	return nil
}

// deviceError turns bad device input into a usage error (exit 2) and keeps the rest.
func deviceError(err error) error {
	var inv *spatial.InvalidError
	if errors.As(err, &inv) {
		return usageError{err.Error()}
	}
	return err
}

func deviceList(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "device list")
	kind := f.String("kind", "", "only this kind")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	var kinds []live.Kind
	if *kind != "" {
		kinds = append(kinds, live.Kind(*kind))
	}
	list, err := live.NewRegistry(pool).List(ctx, kinds...)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tKIND\tNAME/PLATE\tDETAIL\tPLACE")
	for _, d := range list {
		name := d.Name
		if d.Plate != "" {
			name = strings.TrimSpace(d.Plate + " " + d.Name)
		}
		var detail []string
		for _, s := range []string{d.VehicleKind, d.UN, d.HazardClass, d.SensorKind, d.Unit, d.Group, d.Carrier} {
			if s != "" {
				detail = append(detail, s)
			}
		}
		place := ""
		if d.Lon != nil {
			place = fmt.Sprintf("%.6f,%.6f", *d.Lon, *d.Lat)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, name, strings.Join(detail, " "), place)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "%d devices\n", len(list))
	return nil
}

func deviceRemove(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "device remove")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() == 0 {
		return usageError{"device remove takes the ids of the devices to remove"}
	}
	pool, creds, done, err := openLive(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	for _, id := range f.Args() {
		if err := live.RemoveDevice(ctx, pool, id, creds); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "device %s removed (its history stays)\n", id)
	}
	return nil
}

// deviceImport registers every device of a CSV in one transaction: all or none (a sensor's broker
// credentials set before a later row failed are removed again).
func deviceImport(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "device import")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() != 1 {
		return usageError{"device import takes one CSV file: yitu device import devices.csv"}
	}
	path := f.Arg(0)
	file, err := os.Open(path)
	if err != nil {
		return usageError{fmt.Sprintf("%s: %v", path, err)}
	}
	defer file.Close()
	rows, err := live.ReadCSV(bufio.NewReader(file), path)
	if err != nil {
		return exitError{1, fmt.Errorf("refused, nothing registered: %w", err)}
	}
	pool, creds, done, err := openLive(ctx, cfg)
	if err != nil {
		return err
	}
	defer done()
	var withCreds []string
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		reg := live.NewRegistry(tx)
		for _, r := range rows {
			if err := reg.Put(ctx, r.Device); err != nil {
				return fmt.Errorf("%s line %d: %w", path, r.Line, err)
			}
			if r.Password == "" {
				continue
			}
			if r.Device.Kind != live.KindSensor {
				return fmt.Errorf("%s line %d: only sensors have an MQTT password (%s is a %s)", path, r.Line, r.Device.ID, r.Device.Kind)
			}
			if creds == nil {
				return fmt.Errorf("%s line %d: a password is given but no MQTT broker is configured (mqtt.url)", path, r.Line)
			}
			if err := creds.AddDevice(ctx, r.Device.ID, r.Password); err != nil {
				return fmt.Errorf("%s line %d: setting the MQTT credentials of %s: %w", path, r.Line, r.Device.ID, err)
			}
			withCreds = append(withCreds, r.Device.ID)
		}
		return nil
	})
	if err != nil {
		for _, id := range withCreds {
			if rerr := creds.RemoveDevice(context.WithoutCancel(ctx), id); rerr != nil {
				e.log.Warn("removing the MQTT credentials set before the import failed", "device", id, "err", rerr)
			}
		}
		return exitError{1, fmt.Errorf("refused, nothing registered: %w", err)}
	}
	fmt.Fprintf(e.stdout, "%d devices registered from %s (%d with MQTT credentials)\n", len(rows), path, len(withCreds))
	return nil
}

// importHotspots imports a NASA FIRMS CSV into live.hotspot (all or nothing; detections already
// there are skipped).
func importHotspots(ctx context.Context, e *env, pool *pgxpool.Pool, path string, dryRun bool) error {
	file, err := os.Open(path)
	if err != nil {
		return err
	}
	defer file.Close()
	recs, err := firms.Parse(bufio.NewReader(file), path)
	if err != nil {
		return exitError{1, fmt.Errorf("refused, nothing written: %w", err)}
	}
	if dryRun {
		fmt.Fprintf(e.stdout, "导入 checked (dry run, nothing written): %s: %d FIRMS hotspots\n", path, len(recs))
		return nil
	}
	added, err := live.AddHotspots(ctx, pool, firms.Records(recs))
	if err != nil {
		return exitError{1, fmt.Errorf("refused, nothing written: %w", err)}
	}
	fmt.Fprintf(e.stdout, "导入 imported %s: %d FIRMS hotspots, %d new, %d already known\n", path, len(recs), added, len(recs)-added)
	return nil
}

// isFIRMS reports whether a file is a FIRMS CSV (by its content).
func isFIRMS(path string) bool {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	file, err := os.Open(path)
	if err != nil {
		return false
	}
	defer file.Close()
	head := make([]byte, 4096)
	n, _ := file.Read(head)
	return firms.Sniff(head[:n])
}
