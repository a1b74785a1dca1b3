package mqtt_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/mqtt"
	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
)

// hub is an Ingester in memory: it takes changes of its devices, or says its buffer is full.
type hub struct {
	mu       sync.Mutex
	devices  map[string]live.Device
	full     bool
	accepted chan live.Change // every accepted change
	deferred chan live.Change // every change refused with ErrBufferFull
}

func newHub(devices ...live.Device) *hub {
	h := &hub{devices: map[string]live.Device{}, accepted: make(chan live.Change, 1000), deferred: make(chan live.Change, 1000)}
	for _, d := range devices {
		h.devices[d.ID] = d
	}
	return h
}

func (h *hub) Accept(_ context.Context, changes []live.Change) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, ch := range changes {
		if _, ok := h.devices[ch.Object]; !ok {
			return fmt.Errorf("hub: %s: %w", ch.Object, live.ErrUnknownDevice)
		}
	}
	if h.full {
		for _, ch := range changes {
			h.deferred <- ch
		}
		return fmt.Errorf("hub: %w", live.ErrBufferFull)
	}
	for _, ch := range changes {
		h.accepted <- ch
	}
	return nil
}

func (h *hub) Device(id string) (live.Device, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	d, ok := h.devices[id]
	return d, ok
}

func (h *hub) setFull(full bool) {
	h.mu.Lock()
	h.full = full
	h.mu.Unlock()
}

func sensor(id, unit string) live.Device {
	return live.Device{ID: id, Kind: live.KindSensor, SensorKind: "water_level", Unit: unit}
}

// yitu is Yitu's client running against a broker.
type yitu struct {
	reg        *prometheus.Registry
	subscribed chan bool // one value per (re)connection: whether the session was present
	stop       func()
}

// runYitu runs Yitu's client as admin of b with clientID until the test ends or stop is called.
func runYitu(t *testing.T, b *mqtttest.Broker, in live.Ingester, clientID string) *yitu {
	t.Helper()
	y := &yitu{reg: prometheus.NewRegistry(), subscribed: make(chan bool, 100)}
	c := mqtt.New(mqtt.Config{
		URL:        b.URL,
		ClientID:   clientID,
		Retry:      20 * time.Millisecond,
		RetryMax:   200 * time.Millisecond,
		Pause:      20 * time.Millisecond,
		Subscribed: func(present bool) { y.subscribed <- present },
	}, in, testLogger(t), y.reg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	var once sync.Once
	y.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(y.stop)
	return y
}

// testLogger logs into a buffer that the test shows if it fails.
func testLogger(t *testing.T) *slog.Logger {
	var mu sync.Mutex
	var buf bytes.Buffer
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("Yitu's log:\n%s", buf.String())
			mu.Unlock()
		}
	})
	return slog.New(slog.NewTextHandler(lockedWriter{&mu, &buf}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedWriter struct {
	mu  *sync.Mutex
	buf *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

var clients atomic.Int64

// sensorClient connects to b as a device (MQTT 3.1.1, clean session).
func sensorClient(t *testing.T, b *mqtttest.Broker, user, password string) (paho.Client, error) {
	t.Helper()
	pc := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr).
		SetClientID(user + "-" + strconv.FormatInt(clients.Add(1), 10)).
		SetUsername(user).SetPassword(password).SetAutoReconnect(false))
	tok := pc.Connect()
	tok.Wait()
	if err := tok.Error(); err != nil {
		return nil, err
	}
	t.Cleanup(func() { pc.Disconnect(0) })
	return pc, nil
}

func mustSensorClient(t *testing.T, b *mqtttest.Broker, user, password string) paho.Client {
	t.Helper()
	pc, err := sensorClient(t, b, user, password)
	if err != nil {
		t.Fatalf("%s cannot connect: %v", user, err)
	}
	return pc
}

// publish publishes with QoS 1 and returns once the broker has acknowledged it.
func publish(t *testing.T, pc paho.Client, topic, payload string) {
	t.Helper()
	tok := pc.Publish(topic, 1, false, payload)
	tok.Wait()
	if err := tok.Error(); err != nil {
		t.Fatalf("publishing to %s: %v", topic, err)
	}
}

func addDevice(t *testing.T, a *mqtt.Admin, id, password string) {
	t.Helper()
	if err := a.AddDevice(context.Background(), id, password); err != nil {
		t.Fatalf("AddDevice %s: %v", id, err)
	}
}

func newAdmin(t *testing.T, b *mqtttest.Broker) *mqtt.Admin {
	t.Helper()
	a, err := mqtt.NewAdmin(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

// value is the reading's one value, or fails the test.
func value(t *testing.T, ch live.Change) float64 {
	t.Helper()
	if ch.Type != live.ChangeObservation || ch.Observation == nil || len(ch.Observation.Values) != 1 {
		t.Fatalf("want a reading with one value, got %+v", ch)
	}
	return ch.Observation.Values["value"]
}

// metric is a counter's or gauge's value in reg.
func metric(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, l := range m.GetLabel() {
				match = match || (l.GetName() == label && l.GetValue() == value)
			}
			if !match {
				continue
			}
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	t.Fatalf("no metric %s{%s=%q}", name, label, value)
	return 0
}

// A sensor added through Admin publishes with its own credentials; Yitu receives its reading and
// state; the broker keeps it from publishing as another sensor and refuses a wrong password.
func TestSensorPublishes(t *testing.T) {
	b := mqtttest.New(t)
	in := newHub(sensor("wl-01", "m"), sensor("wl-02", "m"))
	y := runYitu(t, b, in, "yitu-test")
	<-y.subscribed
	a := newAdmin(t, b)
	addDevice(t, a, "wl-01", "pw-01")
	addDevice(t, a, "wl-02", "pw-02")

	pc := mustSensorClient(t, b, "wl-01", "pw-01")
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"time":"2024-05-01T08:00:00+08:00","value":1.23}`)
	ch := <-in.accepted
	want := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	if ch.Type != live.ChangeObservation || ch.Object != "wl-01" || ch.Kind != live.KindSensor || ch.Layer != "live.sensor" ||
		!ch.Time.Equal(want) || ch.Time.Location() != time.UTC || ch.Source != "mqtt" ||
		ch.Observation.Unit != "m" || value(t, ch) != 1.23 {
		t.Errorf("got %+v %+v", ch, ch.Observation)
	}

	// Publishing as another sensor: the broker acknowledges (MQTT 3.1.1 cannot say no) and drops it.
	publish(t, pc, "yitu/sensors/wl-02/obs", `{"value":666}`)
	publish(t, pc, "yitu/sensors/wl-01/state", `{"battery":87,"door":"closed"}`)
	ch = <-in.accepted // the next change Yitu sees is the state report: wl-02's forged reading never came
	if ch.Type != live.ChangeState || ch.Object != "wl-01" || ch.State["battery"] != 87.0 || ch.State["door"] != "closed" {
		t.Errorf("want wl-01's state report, got %+v", ch)
	}

	// MQTT 5 says so: the broker answers a denied QoS 1 publish with "not authorized".
	pub := func(topic string) string {
		out, err := exec.Command("mosquitto_pub", "-V", "mqttv5", "-h", "127.0.0.1", "-p", strings.Split(b.Addr, ":")[1],
			"-u", "wl-01", "-P", "pw-01", "-q", "1", "-t", topic, "-m", `{"value":2.5}`).CombinedOutput()
		if err != nil {
			t.Fatalf("mosquitto_pub %s: %v: %s", topic, err, out)
		}
		return string(out)
	}
	if out := pub("yitu/sensors/wl-02/obs"); !strings.Contains(out, "Not authorized") {
		t.Errorf("mosquitto_pub to another sensor's topic: %q, want it not authorized", out)
	}
	if out := pub("yitu/sensors/wl-01/obs"); strings.Contains(out, "Not authorized") {
		t.Errorf("mosquitto_pub to its own topic: %q", out)
	}
	if ch := <-in.accepted; ch.Object != "wl-01" || value(t, ch) != 2.5 {
		t.Errorf("want mosquitto_pub's reading of wl-01, got %+v", ch)
	}

	if _, err := sensorClient(t, b, "wl-01", "wrong"); err == nil {
		t.Error("a wrong password connected")
	}
	if _, err := sensorClient(t, b, "nobody", "pw"); err == nil {
		t.Error("an unknown user connected")
	}
	if got := metric(t, y.reg, "yitu_mqtt_messages_total", "topic_kind", "obs"); got != 2 {
		t.Errorf("yitu_mqtt_messages_total{topic_kind=obs} = %v, want 2", got)
	}
	if got := metric(t, y.reg, "yitu_mqtt_messages_total", "topic_kind", "state"); got != 1 {
		t.Errorf("yitu_mqtt_messages_total{topic_kind=state} = %v, want 1", got)
	}
	if got := metric(t, y.reg, "yitu_mqtt_connected", "", ""); got != 1 {
		t.Errorf("yitu_mqtt_connected = %v, want 1", got)
	}
}

// What Yitu cannot take is acknowledged (so it does not come back), refused and counted.
func TestRefused(t *testing.T) {
	b := mqtttest.New(t)
	in := newHub(sensor("wl-01", "m"), live.Device{ID: "truck1", Kind: live.KindVehicle})
	y := runYitu(t, b, in, "yitu-test")
	<-y.subscribed
	a := newAdmin(t, b)
	addDevice(t, a, "wl-01", "pw")
	addDevice(t, a, "ghost", "pw")  // an account, but not a registered device
	addDevice(t, a, "truck1", "pw") // a registered device, but not a sensor

	publish(t, mustSensorClient(t, b, "ghost", "pw"), "yitu/sensors/ghost/obs", `{"value":1}`)
	publish(t, mustSensorClient(t, b, "truck1", "pw"), "yitu/sensors/truck1/obs", `{"value":1}`)
	pc := mustSensorClient(t, b, "wl-01", "pw")
	for _, p := range []string{`{"value":`, `"text"`, `{"sensor":"wl-02","value":1}`, `{"time":"now","value":1}`,
		`{"unit":"m"}`, `{"value":"1"}`} {
		publish(t, pc, "yitu/sensors/wl-01/obs", p)
	}
	// The broker passes messages on in the order it took them: once this reading is in, the
	// refusals before it have been counted.
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":7}`)
	if ch := <-in.accepted; value(t, ch) != 7 {
		t.Errorf("want the reading 7, got %+v", ch)
	}
	for reason, want := range map[string]float64{"unknown_device": 1, "not_a_sensor": 1, "bad_json": 2,
		"foreign_topic": 1, "bad_time": 1, "no_value": 1, "bad_value": 1, "invalid": 0} {
		if got := metric(t, y.reg, "yitu_mqtt_messages_refused_total", "reason", reason); got != want {
			t.Errorf("yitu_mqtt_messages_refused_total{reason=%q} = %v, want %v", reason, got, want)
		}
	}
	if len(in.accepted) != 0 {
		t.Errorf("%d more changes accepted", len(in.accepted))
	}

	// Refused messages were acknowledged: a new connection of the same session gets none of them again.
	y.stop()
	y2 := runYitu(t, b, in, "yitu-test")
	if present := <-y2.subscribed; !present {
		t.Error("the broker did not keep Yitu's session")
	}
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":8}`)
	if ch := <-in.accepted; value(t, ch) != 8 {
		t.Errorf("want the reading 8, got %+v", ch)
	}
	for _, reason := range []string{"unknown_device", "bad_json"} {
		if got := metric(t, y2.reg, "yitu_mqtt_messages_refused_total", "reason", reason); got != 0 {
			t.Errorf("after reconnecting: yitu_mqtt_messages_refused_total{reason=%q} = %v, want 0", reason, got)
		}
	}
}

// While the hub's buffer is full, readings are not acknowledged; they reach the hub, all and in
// order, once it takes them again.
func TestBufferFull(t *testing.T) {
	b := mqtttest.New(t)
	in := newHub(sensor("wl-01", "m"))
	in.setFull(true)
	y := runYitu(t, b, in, "yitu-test")
	<-y.subscribed
	a := newAdmin(t, b)
	addDevice(t, a, "wl-01", "pw")
	pc := mustSensorClient(t, b, "wl-01", "pw")
	for i := 1; i <= 5; i++ {
		publish(t, pc, "yitu/sensors/wl-01/obs", fmt.Sprintf(`{"value":%d}`, i))
	}
	if ch := <-in.deferred; value(t, ch) != 1 {
		t.Fatalf("the first reading the full hub saw: %+v", ch)
	}
	if ch := <-in.deferred; value(t, ch) != 1 { // again, after Yitu reconnected: the broker sent it again
		t.Fatalf("the second reading the full hub saw: %+v, want the first again", ch)
	}
	in.setFull(false)
	for i := 1; i <= 5; i++ {
		if ch := <-in.accepted; value(t, ch) != float64(i) {
			t.Fatalf("reading %d: got %+v", i, ch)
		}
	}
	if got := metric(t, y.reg, "yitu_mqtt_messages_deferred_total", "", ""); got < 2 {
		t.Errorf("yitu_mqtt_messages_deferred_total = %v, want at least 2", got)
	}
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":6}`)
	if ch := <-in.accepted; value(t, ch) != 6 {
		t.Errorf("want the reading 6, got %+v", ch)
	}
	if len(in.accepted) != 0 {
		t.Errorf("%d changes accepted twice", len(in.accepted))
	}
}

// Readings published while Yitu is away wait in its persistent session.
func TestPersistentSession(t *testing.T) {
	b := mqtttest.New(t)
	in := newHub(sensor("wl-01", "m"))
	y := runYitu(t, b, in, "yitu-test")
	<-y.subscribed
	a := newAdmin(t, b)
	addDevice(t, a, "wl-01", "pw")
	pc := mustSensorClient(t, b, "wl-01", "pw")
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":1}`)
	<-in.accepted
	y.stop()

	for i := 2; i <= 4; i++ {
		publish(t, pc, "yitu/sensors/wl-01/obs", fmt.Sprintf(`{"value":%d}`, i))
	}
	y = runYitu(t, b, in, "yitu-test")
	if present := <-y.subscribed; !present {
		t.Error("the broker did not keep Yitu's session")
	}
	for i := 2; i <= 4; i++ {
		if ch := <-in.accepted; value(t, ch) != float64(i) {
			t.Fatalf("reading %d: got %+v", i, ch)
		}
	}
}

// Yitu reconnects after the broker restarts, and readings published while it was away (broker
// restart included) reach it.
func TestBrokerRestart(t *testing.T) {
	b := mqtttest.New(t)
	in := newHub(sensor("wl-01", "m"))
	y := runYitu(t, b, in, "yitu-test")
	<-y.subscribed
	a := newAdmin(t, b)
	addDevice(t, a, "wl-01", "pw")
	publish(t, mustSensorClient(t, b, "wl-01", "pw"), "yitu/sensors/wl-01/obs", `{"value":1}`)
	<-in.accepted

	b.Restart(t)
	// Published before Yitu is back (it may or may not be by now): the session keeps it.
	pc := mustSensorClient(t, b, "wl-01", "pw")
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":2}`)
	ch := <-in.accepted
	if value(t, ch) == 1 {
		// Delivery is at least once: the broker may have stopped before Yitu's acknowledgement of
		// the first reading reached it, and sends it again.
		ch = <-in.accepted
	}
	if value(t, ch) != 2 {
		t.Fatalf("got %+v", ch)
	}
	for present := range y.subscribed {
		if !present {
			t.Error("the session did not survive the restart")
		}
		if len(y.subscribed) == 0 {
			break
		}
	}
	publish(t, pc, "yitu/sensors/wl-01/obs", `{"value":3}`)
	if ch := <-in.accepted; value(t, ch) != 3 {
		t.Fatalf("got %+v", ch)
	}
	// The admin reconnected as well.
	addDevice(t, a, "wl-02", "pw")
	mustSensorClient(t, b, "wl-02", "pw")
}

// TestSharedSubscription: two replicas in one shared group: each reading reaches exactly one of them.
func TestSharedSubscription(t *testing.T) {
	b := mqtttest.New(t)
	admin := newAdmin(t, b)
	addDevice(t, admin, "wl-1", "pw")
	hubs := []*hub{newHub(sensor("wl-1", "m")), newHub(sensor("wl-1", "m"))}
	for i, h := range hubs {
		subscribed := make(chan bool, 10)
		c := mqtt.New(mqtt.Config{URL: b.URL, ClientID: fmt.Sprintf("yitu-replica-%d", i), SharedGroup: "yitu",
			Retry: 20 * time.Millisecond, Subscribed: func(bool) { subscribed <- true }}, h, testLogger(t), nil)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- c.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		<-subscribed
	}
	pc := mustSensorClient(t, b, "wl-1", "pw")
	const n = 20
	for i := range n {
		publish(t, pc, "yitu/sensors/wl-1/obs", fmt.Sprintf(`{"value":%d}`, i))
	}
	seen := map[float64]int{}
	for len(seen) < n {
		select {
		case ch := <-hubs[0].accepted:
			seen[value(t, ch)]++
		case ch := <-hubs[1].accepted:
			seen[value(t, ch)]++
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d readings arrived", len(seen), n)
		}
	}
	for v, k := range seen {
		if k != 1 {
			t.Errorf("reading %v arrived %d times", v, k)
		}
	}
	if len(hubs[0].accepted)+len(hubs[1].accepted) != 0 {
		t.Error("a reading arrived twice")
	}
}
