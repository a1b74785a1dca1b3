package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/yitu-gis/yitu/internal/shareddata"
	"github.com/yitu-gis/yitu/live/mqtt/mqtttest"
	"github.com/yitu-gis/yitu/spatial/pgtest"
)

// TestDeviceCommands: yitu device add, list, import and remove through the binary, against the real
// PostGIS and a real Mosquitto: a sensor added with a password can connect to the broker with it; a
// devices CSV with a bad row registers nothing; removing a sensor removes its broker account.
func TestDeviceCommands(t *testing.T) {
	pool, dbURL := pgtest.NewWithURL(t)
	broker := mqtttest.New(t)
	env := []string{"DATABASE_URL=" + dbURL, "YITU_MQTT_URL=" + broker.URL}
	ctx := context.Background()
	count := func(sql string) int {
		var n int
		if err := pool.QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	code, out := yitu(t, env, "device", "add", "--kind", "vehicle", "--id", "013912345678", "--plate", "鲁F12345", "--un", "1203", "--class", "3")
	if code != 0 || !strings.Contains(out, "auth code") {
		t.Fatalf("device add vehicle: exit %d\n%s", code, out)
	}
	code, out = yitu(t, env, "device", "add", "--kind", "sensor", "--id", "wl-001", "--unit", "m", "--lon", "119.94", "--lat", "37.18", "--password", "s3cret")
	if code != 0 || !strings.Contains(out, "MQTT credentials set") {
		t.Fatalf("device add sensor: exit %d\n%s", code, out)
	}
	if !connects(broker, "wl-001", "s3cret") || connects(broker, "wl-001", "wrong") {
		t.Error("the sensor's broker account does not match its password")
	}
	for _, bad := range [][]string{
		{"device", "add", "--kind", "boat", "--id", "x"},
		{"device", "add", "--kind", "sensor", "--id", "x", "--lon", "200", "--lat", "37"},
		{"device", "add", "--kind", "vehicle", "--id", "x", "--password", "p"},
		{"device", "add", "--kind", "camera", "--id", "x y"},
	} {
		if code, out := yitu(t, env, bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s", bad, code, out)
		}
	}

	dir := t.TempDir()
	badCSV := filepath.Join(dir, "bad.csv")
	os.WriteFile(badCSV, []byte("id,kind,name,lon,lat,password\nmh-001,sensor,井盖1,119.94,37.18,p1\nmh-002,sensor,井盖2,east,37.18,p2\n"), 0o644)
	if code, out := yitu(t, env, "device", "import", badCSV); code != 1 || !strings.Contains(lastLine(out), "line 3") {
		t.Errorf("a CSV with a bad row: exit %d, want 1 naming line 3\n%s", code, out)
	}
	if n := count(`SELECT count(*) FROM live.device WHERE id LIKE 'mh-%'`); n != 0 || connects(broker, "mh-001", "p1") {
		t.Errorf("a refused CSV registered %d devices (or a broker account)", n)
	}
	goodCSV := filepath.Join(dir, "good.csv")
	os.WriteFile(goodCSV, []byte("\ufeff编号,类型,名称,经度,纬度,监测类型,单位,分组,密码\nmh-001,sensor,井盖1,119.94,37.18,manhole_tilt,°,文化东路,p1\ncam-01,camera,路口监控,119.95,37.19,,,,\n"), 0o644)
	if code, out := yitu(t, env, "device", "import", goodCSV); code != 0 || !strings.Contains(out, "2 devices registered") {
		t.Fatalf("device import: exit %d\n%s", code, out)
	}
	if !connects(broker, "mh-001", "p1") {
		t.Error("an imported sensor cannot connect with its password")
	}
	code, out = yitu(t, env, "device", "list")
	if code != 0 || !strings.Contains(out, "鲁F12345") || !strings.Contains(out, "UN1203") || !strings.Contains(out, "mh-001") {
		t.Errorf("device list: exit %d\n%s", code, out)
	}
	if code, out := yitu(t, env, "device", "remove", "wl-001"); code != 0 {
		t.Errorf("device remove: exit %d\n%s", code, out)
	}
	if count(`SELECT count(*) FROM live.device WHERE id = 'wl-001'`) != 0 || connects(broker, "wl-001", "s3cret") {
		t.Error("a removed sensor is still registered, or can still connect to the broker")
	}
}

// connects reports whether a client can connect to the broker with the credentials.
func connects(b *mqtttest.Broker, user, password string) bool {
	c := paho.NewClient(paho.NewClientOptions().AddBroker("tcp://" + b.Addr).SetClientID(user + "-check").
		SetUsername(user).SetPassword(password).SetAutoReconnect(false).SetConnectTimeout(5 * time.Second))
	tok := c.Connect()
	tok.Wait()
	if tok.Error() != nil {
		return false
	}
	c.Disconnect(0)
	return true
}

// TestImportFIRMS: yitu import recognises FIRMS CSVs by content; importing the same detections again
// adds none; a broken file is refused with its line and nothing written.
func TestImportFIRMS(t *testing.T) {
	pool, dbURL := pgtest.NewWithURL(t)
	env := []string{"DATABASE_URL=" + dbURL}
	file := filepath.Join(shareddata.Dir(t), "firms", "subset_shandong_bbox_114.5_34.3_122.8_38.5.csv")
	code, out := yitu(t, env, "import", file)
	if code != 0 || !strings.Contains(out, "120 FIRMS hotspots, 120 new") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if code, out := yitu(t, env, "import", file); code != 0 || !strings.Contains(out, "0 new, 120 already known") {
		t.Errorf("import again: exit %d\n%s", code, out)
	}
	var n int
	var first time.Time
	if err := pool.QueryRow(context.Background(), `SELECT count(*), min(time) FROM live.hotspot`).Scan(&n, &first); err != nil || n != 120 {
		t.Fatalf("%d hotspots, %v", n, err)
	}
	if want := time.Date(2023, 8, 1, 2, 56, 0, 0, time.UTC); first.Before(time.Date(2023, 8, 1, 0, 0, 0, 0, time.UTC)) || first.After(want) {
		t.Errorf("earliest acquisition %v (UTC times from acq_date/acq_time)", first)
	}
	b, _ := os.ReadFile(file)
	lines := strings.Split(string(b), "\n")
	lines[5] = strings.Replace(lines[5], lines[5][:strings.Index(lines[5], ",")], "96.5", 1)
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644)
	if code, out := yitu(t, env, "import", bad); code != 1 || !strings.Contains(lastLine(out), "line 6") {
		t.Errorf("a bad row: exit %d\n%s", code, out)
	}
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM live.hotspot`).Scan(&n); err != nil || n != 120 {
		t.Errorf("%d hotspots after a refused import", n)
	}
}
