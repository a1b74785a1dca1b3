package mqtt_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestSensorIntoHistory: the whole path on real parts. A sensor registered with live.PutDevice (the
// registry row and its broker credentials together) publishes a reading through the project's
// Mosquitto with its own credentials; it reaches the real hub and live.observation. Publishing on
// another sensor's topic with the same credentials is refused by the broker and never arrives.
func TestSensorIntoHistory(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pool := pgtest.New(t)
	b := mqtttest.New(t)
	admin := newAdmin(t, b)
	for _, id := range []string{"wl-001", "wl-002"} {
		d := live.Device{ID: id, Kind: live.KindSensor, SensorKind: "water_level", Unit: "m", Lon: ptr(119.94), Lat: ptr(37.18)}
		if err := live.PutDevice(ctx, pool, d, "pw-"+id, admin); err != nil {
			t.Fatal(err)
		}
	}
	cfg := live.DefaultConfig()
	cfg.SpoolDir, cfg.FlushEvery = t.TempDir(), 20*time.Millisecond
	h := live.NewHub(cfg, pool, nil, prometheus.NewRegistry())
	if err := h.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go h.Run(ctx)
	y := runYitu(t, b, h, "yitu-hub-test")
	<-y.subscribed

	pc := mustSensorClient(t, b, "wl-001", "pw-wl-001")
	at := time.Now().UTC().Add(-time.Minute).Truncate(time.Second)
	publish(t, pc, "yitu/sensors/wl-002/obs", `{"value":99}`) // another sensor's topic: the broker refuses it
	publish(t, pc, "yitu/sensors/wl-001/obs", `{"time":"`+at.Format(time.RFC3339)+`","value":3.75}`)

	deadline := time.Now().Add(10 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.observation WHERE sensor_id = 'wl-001' AND value = 3.75 AND time = $1 AND unit = 'm' AND source = 'mqtt'`, at).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 1 {
		t.Fatalf("the reading is not in live.observation (%d rows)", n)
	}
	if o, ok := h.Object("wl-001"); !ok || o.Values["value"] != 3.75 {
		t.Errorf("the sensor in the hub: %+v", o)
	}
	// The foreign publish went out before the reading that arrived, on the same connection, so had
	// the broker passed it on it would have arrived first.
	var foreign int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM live.observation WHERE sensor_id = 'wl-002'`).Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	if o, _ := h.Object("wl-002"); foreign != 0 || len(o.Values) != 0 {
		t.Errorf("a reading published on another sensor's topic arrived: %d rows, %v", foreign, o.Values)
	}
}

func ptr[T any](v T) *T { return &v }
