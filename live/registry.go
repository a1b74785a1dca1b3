package live

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yitu-gis/yitu/spatial"
)

// deviceColumns are live.device's columns as Device reads them.
const deviceColumns = `id, kind, coalesce(name, ''), coalesce(plate, ''), plate_color, coalesce(carrier, ''),
	coalesce(vehicle_kind, ''), coalesce(un_number, ''), coalesce(hazard_class, ''), coalesce(sensor_kind, ''),
	coalesce(unit, ''), view_direction, coalesce(stream_url, ''), coalesce(owner, ''), coalesce(group_name, ''),
	ST_X(geom), ST_Y(geom), props, auth_code, created_at`

func scanDevice(row pgx.Row) (*Device, error) {
	d := &Device{}
	var kind string
	err := row.Scan(&d.ID, &kind, &d.Name, &d.Plate, &d.PlateColor, &d.Carrier, &d.VehicleKind, &d.UN, &d.HazardClass,
		&d.SensorKind, &d.Unit, &d.ViewDirection, &d.StreamURL, &d.Owner, &d.Group, &d.Lon, &d.Lat, &d.Props,
		&d.AuthCode, &d.CreatedAt)
	d.Kind = Kind(kind)
	if len(d.Props) == 0 {
		d.Props = nil
	}
	return d, err
}

// Registry is the device registry in live.device. Every hub follows it (NOTIFY yitu_live).
type Registry struct {
	db Querier
}

// Querier runs statements: a pool, a connection or a transaction.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// NewRegistry returns the registry over db.
func NewRegistry(db Querier) *Registry { return &Registry{db: db} }

// List returns the devices, of the given kinds (none: all), by id.
func (r *Registry) List(ctx context.Context, kinds ...Kind) ([]Device, error) {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	rows, err := r.db.Query(ctx, `SELECT `+deviceColumns+` FROM live.device
		WHERE cardinality($1::text[]) = 0 OR kind = ANY($1) ORDER BY id`, ks)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *d)
	}
	return out, rows.Err()
}

// Get returns one device.
func (r *Registry) Get(ctx context.Context, id string) (Device, error) {
	d, err := scanDevice(r.db.QueryRow(ctx, `SELECT `+deviceColumns+` FROM live.device WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return Device{}, spatial.NotFound("device %q", id)
	}
	if err != nil {
		return Device{}, err
	}
	return *d, nil
}

var deviceID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$`)

// Validate checks a device before it is stored.
func (d *Device) Validate() error {
	if !deviceID.MatchString(d.ID) {
		return spatial.Invalid("id", "%q is not a device id: letters, digits and _ . : - up to 64, starting with a letter or digit", d.ID)
	}
	if !d.Kind.Valid() {
		return spatial.Invalid("kind", "%q is not a device kind: use vehicle, team, sensor or camera", d.Kind)
	}
	if (d.Lon == nil) != (d.Lat == nil) {
		return spatial.Invalid("lon", "give both lon and lat, or neither")
	}
	if d.Lon != nil && (!finite(*d.Lon, *d.Lat) || *d.Lon < -180 || *d.Lon > 180 || *d.Lat < -90 || *d.Lat > 90) {
		return spatial.Invalid("lon", "%g, %g is not a longitude and latitude", *d.Lon, *d.Lat)
	}
	if d.ViewDirection != nil && (!finite(*d.ViewDirection) || *d.ViewDirection < 0 || *d.ViewDirection >= 360) {
		return spatial.Invalid("view_direction", "%g is not a direction in degrees from north (0 to 360)", *d.ViewDirection)
	}
	if d.UN != "" && !unNumber.MatchString(d.UN) {
		return spatial.Invalid("un", "%q is not a UN number (four digits, e.g. 1203 or UN1203)", d.UN)
	}
	if (d.UN != "" || d.HazardClass != "") && d.Kind != KindVehicle {
		return spatial.Invalid("un", "a cargo's UN number and class belong to a vehicle, not a %s", d.Kind)
	}
	return nil
}

var unNumber = regexp.MustCompile(`^(UN)?[0-9]{4}$`)

// Put adds a device or replaces the one with its id (keeping its auth code and creation time).
func (r *Registry) Put(ctx context.Context, d Device) error {
	if d.UN != "" && !strings.HasPrefix(d.UN, "UN") {
		d.UN = "UN" + d.UN
	}
	if d.Kind == KindVehicle && d.UN != "" && d.VehicleKind == "" {
		d.VehicleKind = "hazmat"
	}
	if err := d.Validate(); err != nil {
		return err
	}
	props := d.Props
	if props == nil {
		props = map[string]any{}
	}
	_, err := r.db.Exec(ctx, `INSERT INTO live.device (id, kind, name, plate, plate_color, carrier, vehicle_kind, un_number,
			hazard_class, sensor_kind, unit, view_direction, stream_url, owner, group_name, geom, props)
		VALUES ($1, $2, nullif($3, ''), nullif($4, ''), $5, nullif($6, ''), nullif($7, ''), nullif($8, ''), nullif($9, ''),
			nullif($10, ''), nullif($11, ''), $12, nullif($13, ''), nullif($14, ''), nullif($15, ''),
			CASE WHEN $16::float8 IS NOT NULL THEN ST_SetSRID(ST_MakePoint($16, $17), 4490) END, $18)
		ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, name = EXCLUDED.name, plate = EXCLUDED.plate,
			plate_color = EXCLUDED.plate_color, carrier = EXCLUDED.carrier, vehicle_kind = EXCLUDED.vehicle_kind,
			un_number = EXCLUDED.un_number, hazard_class = EXCLUDED.hazard_class, sensor_kind = EXCLUDED.sensor_kind,
			unit = EXCLUDED.unit, view_direction = EXCLUDED.view_direction, stream_url = EXCLUDED.stream_url,
			owner = EXCLUDED.owner, group_name = EXCLUDED.group_name, geom = EXCLUDED.geom, props = EXCLUDED.props,
			updated_at = now()`,
		d.ID, string(d.Kind), d.Name, d.Plate, d.PlateColor, d.Carrier, d.VehicleKind, d.UN, d.HazardClass,
		d.SensorKind, d.Unit, d.ViewDirection, d.StreamURL, d.Owner, d.Group, d.Lon, d.Lat, props)
	return err
}

// Remove deletes a device (its history stays).
func (r *Registry) Remove(ctx context.Context, id string) error {
	tag, err := r.db.Exec(ctx, `DELETE FROM live.device WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return spatial.NotFound("device %q", id)
	}
	return nil
}

// csvColumns are the columns of a devices CSV (a header row names them, in any order; id and kind
// are required), with the Chinese names that survey and fleet lists use.
var csvColumns = map[string][]string{
	"id":             {"id", "编号", "设备编号", "终端手机号", "sim"},
	"kind":           {"kind", "类型", "设备类型"},
	"name":           {"name", "名称"},
	"plate":          {"plate", "车牌", "车牌号"},
	"plate_color":    {"plate_color", "车牌颜色"},
	"carrier":        {"carrier", "运输企业", "所属企业"},
	"vehicle_kind":   {"vehicle_kind", "车辆类型"},
	"un":             {"un", "un_number", "un编号"},
	"hazard_class":   {"hazard_class", "class", "危险类别"},
	"sensor_kind":    {"sensor_kind", "监测类型"},
	"unit":           {"unit", "单位"},
	"lon":            {"lon", "longitude", "经度"},
	"lat":            {"lat", "latitude", "纬度"},
	"view_direction": {"view_direction", "朝向"},
	"stream_url":     {"stream_url", "视频流"},
	"owner":          {"owner", "权属单位", "所属单位"},
	"group":          {"group", "分组"},
	"password":       {"password", "密码"},
}

// CSVDevice is a row of a devices CSV: the device and, for a sensor, its MQTT password.
type CSVDevice struct {
	Device   Device
	Password string
	Line     int
}

// ReadCSV reads a devices CSV (UTF-8, with a header row). Every row is checked; the first bad one is
// the error, naming its line and column.
func ReadCSV(r io.Reader, name string) ([]CSVDevice, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the header row: %w", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		for key, names := range csvColumns {
			if slices.Contains(names, h) {
				col[key] = i
			}
		}
	}
	for _, req := range []string{"id", "kind"} {
		if _, ok := col[req]; !ok {
			return nil, fmt.Errorf("%s line 1: no %q column (the header has %s)", name, req, strings.Join(header, ", "))
		}
	}
	var out []CSVDevice
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			// A CSV syntax error (an unterminated quote) leaves no record to ask FieldPos about.
			line := 0
			if pe := (*csv.ParseError)(nil); errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		line, _ := cr.FieldPos(0)
		get := func(key string) string {
			if i, ok := col[key]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		num := func(key string) (*float64, error) {
			s := get(key)
			if s == "" {
				return nil, nil
			}
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("%s line %d column %s: %q is not a number", name, line, key, s)
			}
			return &v, nil
		}
		d := Device{ID: get("id"), Kind: Kind(strings.ToLower(get("kind"))), Name: get("name"), Plate: get("plate"),
			Carrier: get("carrier"), VehicleKind: get("vehicle_kind"), UN: get("un"), HazardClass: get("hazard_class"),
			SensorKind: get("sensor_kind"), Unit: get("unit"), StreamURL: get("stream_url"), Owner: get("owner"), Group: get("group")}
		if s := get("plate_color"); s != "" {
			if d.PlateColor, err = strconv.Atoi(s); err != nil {
				return nil, fmt.Errorf("%s line %d column plate_color: %q is not a JT/T 808 colour code", name, line, s)
			}
		}
		if d.Lon, err = num("lon"); err != nil {
			return nil, err
		}
		if d.Lat, err = num("lat"); err != nil {
			return nil, err
		}
		if d.ViewDirection, err = num("view_direction"); err != nil {
			return nil, err
		}
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("%s line %d: %w", name, line, err)
		}
		out = append(out, CSVDevice{Device: d, Password: get("password"), Line: line})
	}
}

// ReloadDevices reads the registry into the hub: objects of removed devices go, sensors and cameras
// with a fixed place appear there before their first report.
func (h *Hub) ReloadDevices(ctx context.Context) error {
	// One reload at a time, reading and applying: a reload that read the registry before a device
	// was added must not apply after one that read it since (it would drop the new device's object).
	h.reloadMu.Lock()
	defer h.reloadMu.Unlock()
	list, err := NewRegistry(h.pool).List(ctx)
	if err != nil {
		return fmt.Errorf("loading the device registry: %w", err)
	}
	devs := make(map[string]*Device, len(list))
	for i := range list {
		devs[list[i].ID] = &list[i]
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.devices.Store(&devs)
	for id, o := range h.objects {
		if o.kind == KindHotspot {
			continue
		}
		d := devs[id]
		if d == nil {
			h.remove(o)
			continue
		}
		o.dev, o.kind, o.layer = d, d.Kind, d.Layer()
	}
	for _, d := range devs {
		if d.Lon == nil || (d.Kind != KindSensor && d.Kind != KindCamera) {
			continue
		}
		o := h.objects[d.ID]
		if o == nil {
			o = &object{id: d.ID, kind: d.Kind, layer: d.Layer(), dev: d} // no report yet: zero time
			h.objects[d.ID] = o
		}
		if !o.hasPos || o.pos.Lon != *d.Lon || o.pos.Lat != *d.Lat {
			h.grid.move(o.id, o.hasPos, o.pos.Lon, o.pos.Lat, *d.Lon, *d.Lat)
			o.pos.Lon, o.pos.Lat, o.hasPos = *d.Lon, *d.Lat, true
			h.dirty[o.id] = struct{}{}
		}
	}
	return nil
}

// Credentials manages devices' credentials at the MQTT broker (its dynamic security).
type Credentials interface {
	AddDevice(ctx context.Context, id, password string) error
	RemoveDevice(ctx context.Context, id string) error
}

// PutDevice registers (or updates) a device and, given a password, sets its MQTT credentials at the
// broker: both or neither (the registry row is committed only after the broker took them).
func PutDevice(ctx context.Context, db TxStarter, d Device, password string, creds Credentials) error {
	if password != "" && d.Kind != KindSensor {
		return spatial.Invalid("password", "only sensors have an MQTT password (%s is a %s)", d.ID, d.Kind)
	}
	if password != "" && creds == nil {
		return spatial.Invalid("password", "no MQTT broker is configured (mqtt.url), so no password can be set")
	}
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		if err := NewRegistry(tx).Put(ctx, d); err != nil {
			return err
		}
		if password == "" {
			return nil
		}
		if err := creds.AddDevice(ctx, d.ID, password); err != nil {
			return fmt.Errorf("setting the MQTT credentials of %s at the broker: %w", d.ID, err)
		}
		return nil
	})
}

// RemoveDevice removes a device from the registry and, for a sensor, its credentials at the broker.
func RemoveDevice(ctx context.Context, db TxStarter, id string, creds Credentials) error {
	return pgx.BeginFunc(ctx, db, func(tx pgx.Tx) error {
		reg := NewRegistry(tx)
		d, err := reg.Get(ctx, id)
		if err != nil {
			return err
		}
		if err := reg.Remove(ctx, id); err != nil {
			return err
		}
		if d.Kind == KindSensor && creds != nil {
			if err := creds.RemoveDevice(ctx, id); err != nil {
				return fmt.Errorf("removing the MQTT credentials of %s at the broker: %w", id, err)
			}
		}
		return nil
	})
}

// TxStarter begins transactions: a pool or a connection.
type TxStarter interface {
	Begin(ctx context.Context) (pgx.Tx, error)
}
