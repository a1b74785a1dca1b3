// Package live is the live half of the one map: the device registry, the hub (what is where now, and
// the one ordered stream of accepted changes that fences, push and incidents follow) and the history
// (positions, observations, hotspots and device events in PostgreSQL). The protocol front ends sit in
// subpackages: jt808 (the JT/T 808 TCP gateway), mqtt (a client of the broker that sensors publish
// to) and firms (satellite fire hotspots). HTTP routes are in package server.
package live

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Kind is what a live object is: every object of /live/objects carries one.
type Kind string

// The kinds of live objects.
const (
	KindVehicle Kind = "vehicle" // a JT/T 808 terminal in a vehicle: hazmat truck, patrol car, …
	KindTeam    Kind = "team"    // a fire team or other crew reporting its position (JT/T 808 or HTTP)
	KindSensor  Kind = "sensor"  // an IoT sensor at a fixed place, publishing readings over MQTT or HTTP
	KindCamera  Kind = "camera"  // a camera or watchtower: location, view direction, stream URL
	KindHotspot Kind = "hotspot" // a satellite fire detection (NASA FIRMS)
)

// Kinds are the device kinds, in the order they are listed; hotspots are not devices.
var Kinds = []Kind{KindVehicle, KindTeam, KindSensor, KindCamera}

// Valid reports whether k is a device kind.
func (k Kind) Valid() bool {
	for _, v := range Kinds {
		if k == v {
			return true
		}
	}
	return false
}

// Device is a registered device: a JT/T 808 terminal (vehicles and teams, whose id is the phone
// number as the terminal sends it: 12 digits under the 2013 standard, 20 under 2019), a sensor (whose
// id is its MQTT user name) or a camera or watchtower.
type Device struct {
	ID   string `json:"id"`
	Kind Kind   `json:"kind"`
	Name string `json:"name,omitempty"`

	// Terminals.
	Plate       string `json:"plate,omitempty"`
	PlateColor  int    `json:"plate_color,omitempty"`  // JT/T 808 colour code: 1 blue, 2 yellow, 3 black, 4 white, 9 other; 0 unregistered
	Carrier     string `json:"carrier,omitempty"`      // the transport company
	VehicleKind string `json:"vehicle_kind,omitempty"` // hazmat, fire_team, patrol, … (free text, hazmat is special)
	UN          string `json:"un,omitempty"`           // hazmat: the cargo's UN number (UN1203 petrol)
	HazardClass string `json:"hazard_class,omitempty"` // hazmat: the cargo's class (3, 2.1, 8, …)

	// Sensors.
	SensorKind string `json:"sensor_kind,omitempty"` // manhole_tilt, water_level, gas, settlement, saturation_line, rainfall, smoke, …
	Unit       string `json:"unit,omitempty"`

	// Cameras and watchtowers.
	ViewDirection *float64 `json:"view_direction,omitempty"` // degrees clockwise from north
	StreamURL     string   `json:"stream_url,omitempty"`     // of an existing media server; Yitu relays no video

	// Every kind.
	Owner string         `json:"owner,omitempty"`
	Group string         `json:"group,omitempty"` // e.g. the tailings dam a monitoring point belongs to
	Lon   *float64       `json:"lon,omitempty"`   // fixed location (sensors, cameras), CGCS2000
	Lat   *float64       `json:"lat,omitempty"`
	Props map[string]any `json:"props,omitempty"`

	// AuthCode is what a JT/T 808 terminal gets in 0x8100 and must send back in 0x0102.
	AuthCode  string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Layer is the catalog layer the device's object belongs to: its read roles decide who sees it.
func (d *Device) Layer() string { return LayerOf(d.Kind, d.VehicleKind) }

// LayerOf is the catalog layer of a live object of a kind (hazmat vehicles have their own).
func LayerOf(k Kind, vehicleKind string) string {
	if k == KindVehicle && vehicleKind == "hazmat" {
		return "live.hazmat"
	}
	return "live." + string(k)
}

// ChangeType says what a change carries.
type ChangeType string

// The types of changes.
const (
	ChangePosition    ChangeType = "position"
	ChangeObservation ChangeType = "observation"
	ChangeState       ChangeType = "state"   // a device's own state report (MQTT …/state): battery, door, …
	ChangeEvent       ChangeType = "event"   // register, auth, deregister, online, offline
	ChangeHotspot     ChangeType = "hotspot" // a new satellite fire detection
	ChangeAlarm       ChangeType = "alarm"   // an alarm raised, updated, acknowledged or cleared (Alarm)
	// An incident reported or changed (package command): Incident is the incident as it stands; Layer
	// IncidentLayer (signed-in callers read it).
	ChangeIncident ChangeType = "incident"
)

// IncidentLayer is the push layer of incident changes.
const IncidentLayer = "command.incident"

// Change is one accepted change of a live object. Every change passes through the hub once, in order
// per object, and is numbered there (Seq).
type Change struct {
	Seq      uint64     `json:"seq"`
	Type     ChangeType `json:"type"`
	Object   string     `json:"object"` // device id, or hotspot id
	Kind     Kind       `json:"kind"`
	Layer    string     `json:"layer"`
	Time     time.Time  `json:"time"`     // when it happened, by the device's clock (UTC)
	Received time.Time  `json:"received"` // when the hub accepted it
	Source   string     `json:"source"`   // jt808, mqtt, http, firms
	// Late marks a change older than the object's current state (a JT/T 808 blind-area resend):
	// it goes to history but does not move the object.
	Late bool `json:"late,omitempty"`

	Position    *Position       `json:"position,omitempty"`
	Observation *Observation    `json:"observation,omitempty"`
	State       map[string]any  `json:"state,omitempty"`
	Event       *Event          `json:"event,omitempty"`
	Hotspot     *Hotspot        `json:"hotspot,omitempty"`
	Alarm       *Alarm          `json:"alarm,omitempty"`
	Incident    json.RawMessage `json:"incident,omitempty"`
}

// Position is a mover's fix.
type Position struct {
	Lon      float64 `json:"lon"` // CGCS2000 (WGS 84 and CGCS2000 agree within a GNSS fix's accuracy)
	Lat      float64 `json:"lat"`
	Altitude float64 `json:"altitude"` // metres
	Speed    float64 `json:"speed"`    // km/h
	Heading  float64 `json:"heading"`  // degrees clockwise from north
	// JT/T 808 alarm and status words (0 from other sources).
	Alarm  uint32 `json:"alarm,omitempty"`
	Status uint32 `json:"status,omitempty"`
	// Extra items: mileage_km (0x01), fuel_l (0x02), recorder_speed_kmh (0x03), and others by name.
	Extra map[string]float64 `json:"extra,omitempty"`
}

// Observation is a sensor's reading: one value ("value") or several named ones.
type Observation struct {
	Values map[string]float64 `json:"values"`
	Unit   string             `json:"unit,omitempty"`
}

// Event is something that happened to a device rather than a reading.
type Event struct {
	Name   string         `json:"name"` // register, auth, deregister, online, offline
	Detail map[string]any `json:"detail,omitempty"`
}

// Hotspot is a satellite fire detection (a NASA FIRMS row).
type Hotspot struct {
	Lon        float64 `json:"lon"`
	Lat        float64 `json:"lat"`
	Instrument string  `json:"instrument"` // MODIS or VIIRS
	Satellite  string  `json:"satellite"`  // T (Terra), A (Aqua), N (Suomi NPP), N20, N21, …
	Confidence string  `json:"confidence"` // MODIS 0–100, VIIRS l/n/h
	Brightness float64 `json:"brightness"` // K (MODIS band 21/22, VIIRS I-4)
	FRP        float64 `json:"frp"`        // fire radiative power, MW
	Scan       float64 `json:"scan"`
	Track      float64 `json:"track"`
	DayNight   string  `json:"daynight,omitempty"`
	Version    string  `json:"version,omitempty"`
	Source     string  `json:"source,omitempty"` // file name or URL it came from
}

// Alarm levels, lowest first (the four warning levels of Chinese emergency practice).
const (
	LevelBlue   = "blue"   // 蓝色 IV
	LevelYellow = "yellow" // 黄色 III
	LevelOrange = "orange" // 橙色 II
	LevelRed    = "red"    // 红色 I
)

// Levels are the alarm levels, lowest first.
var Levels = []string{LevelBlue, LevelYellow, LevelOrange, LevelRed}

// Alarm states.
const (
	AlarmRaised       = "raised"
	AlarmAcknowledged = "acknowledged"
	AlarmCleared      = "cleared" // the condition ended
	AlarmClosed       = "closed"  // cleared and acknowledged, or closed by hand
)

// Alarm is one condition of one object (or group) while it lasts: raised once with its evidence,
// updated while it lasts, cleared when it ends. Its changes travel on the hub's stream as
// ChangeAlarm with the alarm's state after the change.
type Alarm struct {
	ID       string         `json:"id"`
	Key      string         `json:"key"`             // the condition: kind, object, fence or rule
	Kind     string         `json:"kind"`            // enter, exit, inside, dwell, speed, stop, off_route, offline, threshold, rate, escalation, jt808_emergency, …
	Object   string         `json:"object"`          // device id, or group for an escalation
	Layer    string         `json:"layer,omitempty"` // the object's catalog layer: who may read the alarm
	Fence    *int64         `json:"fence,omitempty"`
	Rule     string         `json:"rule,omitempty"`
	Level    string         `json:"level"`
	State    string         `json:"state"`
	Title    string         `json:"title"` // for people, in Chinese
	Time     time.Time      `json:"time"`  // raised
	Updated  time.Time      `json:"updated"`
	Cleared  *time.Time     `json:"cleared,omitempty"`
	Lon      *float64       `json:"lon,omitempty"`
	Lat      *float64       `json:"lat,omitempty"`
	AckBy    string         `json:"ack_by,omitempty"`
	AckAt    *time.Time     `json:"ack_at,omitempty"`
	AckNote  string         `json:"ack_note,omitempty"`
	Evidence []Evidence     `json:"evidence,omitempty"` // the positions or readings that caused it
	Detail   map[string]any `json:"detail,omitempty"`
	// Event is what this change of the alarm was: raised, updated, acknowledged, cleared, closed.
	Event string `json:"event,omitempty"`
}

// Evidence is one position or reading behind an alarm.
type Evidence struct {
	Time   time.Time          `json:"time"`
	Object string             `json:"object"`
	Lon    *float64           `json:"lon,omitempty"`
	Lat    *float64           `json:"lat,omitempty"`
	Speed  *float64           `json:"speed,omitempty"`
	Values map[string]float64 `json:"values,omitempty"`
	Alarm  uint32             `json:"alarm_bits,omitempty"`
}

// Ingester takes changes in: the gateways (JT/T 808, MQTT, HTTP) call it. A nil error means every
// change was accepted: it is in the hub's current state and on its way to history, and survives a
// database outage and a SIGTERM. Otherwise none was: the error wraps ErrUnknownDevice, ErrBufferFull
// or is a *spatial.InvalidError naming the change at fault.
type Ingester interface {
	Accept(ctx context.Context, changes []Change) error
	// Device returns a registered device.
	Device(id string) (Device, bool)
}

// Errors of Accept.
var (
	// ErrUnknownDevice: a change names a device that is not registered.
	ErrUnknownDevice = errors.New("unknown device")
	// ErrBufferFull: the history buffer is full (the database has been away for long); the sender
	// should keep the change and send it again later.
	ErrBufferFull = errors.New("history buffer full")
	// ErrClosed: the hub is shutting down; the sender should send again (to this or another replica).
	ErrClosed = errors.New("the live hub is shutting down")
)
