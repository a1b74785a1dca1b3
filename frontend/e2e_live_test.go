package frontend_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yitu-gis/yitu/spatial/auth"
)

// feedLive registers a hazmat truck, a fire team and a water-level sensor with the admin token
// (POST /live/devices) around the middle of the test's longest street, and feeds them through the
// HTTP push routes with a device token, as a fleet platform and a sensor gateway would: the truck's
// last hour of fixes along the street (the last a few seconds ago), the team's fixes of 40 to 10
// minutes ago (so it is stale), an hour of water levels a minute apart. It returns what the browser
// must find, and where the page moves the truck.
func feedLive(t testing.TB, pool *pgxpool.Pool, base string, e expectations) liveExpect {
	t.Helper()
	ctx := context.Background()
	var x liveExpect
	var err error
	if x.DeviceToken, err = auth.New(pool).Create(ctx, "浏览器测试设备", []string{"device"}, "viewer browser test: pushes positions", time.Hour); err != nil {
		t.Fatal(err)
	}
	// The street's middle, and its direction: east-west when its extent is wider than tall.
	w, s, east, n := e.Road.BBox[0], e.Road.BBox[1], e.Road.BBox[2], e.Road.BBox[3]
	lon0, lat0 := (w+east)/2, (s+n)/2
	mLon := 111_320 * math.Cos(lat0*math.Pi/180) // metres per degree of longitude here
	const mLat = 110_950.0
	eastWest := (east-w)*mLon >= (n-s)*mLat
	heading := 0.0
	if eastWest {
		heading = 90
	}
	// at is the point d metres along the street from its middle and p metres to its left.
	at := func(d, p float64) (lon, lat float64) {
		if eastWest {
			return lon0 + d/mLon, lat0 + p/mLat
		}
		return lon0 - p/mLon, lat0 + d/mLat
	}

	x.Truck.ID, x.Truck.Plate, x.Truck.UN, x.Truck.Class = "013912340001", "鲁F3D701", "UN1203", "3 易燃液体"
	x.Truck.Lon, x.Truck.Lat = at(0, 0)
	x.Truck.Next.Lon, x.Truck.Next.Lat = at(60, 0)
	x.Truck.Next.Heading, x.Truck.Next.Speed = heading, 55
	x.Truck.Fence.Lon, x.Truck.Fence.Lat = at(200, 0)
	x.Truck.FenceSize = 40 / mLat
	x.Team = liveThing{ID: "013955550002", Name: "森林消防一中队"}
	x.Team.Lon, x.Team.Lat = at(-20, 110)
	x.Sensor = liveThing{ID: "wl-test-01", Name: "三山岛水库水位"}
	x.Sensor.Lon, x.Sensor.Lat = at(30, -75)

	devices := []map[string]any{
		{"id": x.Truck.ID, "kind": "vehicle", "plate": x.Truck.Plate, "plate_color": 2, "carrier": "莱州市危险货物运输有限公司",
			"un": "1203", "hazard_class": "3"},
		{"id": x.Team.ID, "kind": "team", "name": x.Team.Name, "owner": "莱州市应急管理局"},
		{"id": x.Sensor.ID, "kind": "sensor", "name": x.Sensor.Name, "sensor_kind": "water_level", "unit": "m",
			"group": "三山岛水库", "lon": x.Sensor.Lon, "lat": x.Sensor.Lat},
	}
	for _, d := range devices {
		post(t, base+"/live/devices", e.Token, d, http.StatusCreated)
	}
	// Every replica's hub reloads the registry on a notification: the sensor, which has a place,
	// appears once this one has (and with it the devices registered before it).
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(base + "/live/objects/" + x.Sensor.ID)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /live/objects/%s: %d 15 s after registering it", x.Sensor.ID, resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond)
	}

	now := time.Now().UTC()
	var fixes []map[string]any
	for i := 12; i >= 0; i-- { // the truck: every 5 minutes for an hour, the last 5 s ago, at 42 km/h
		lon, lat := at(-float64(i)*50, 0)
		fixes = append(fixes, map[string]any{"id": x.Truck.ID, "time": now.Add(-time.Duration(i)*5*time.Minute - 5*time.Second),
			"lon": lon, "lat": lat, "speed": 42, "heading": heading})
	}
	for i := 4; i >= 1; i-- { // the team: every 10 minutes until 10 minutes ago, walking north
		lon, lat := at(-20, 110-float64(i-1)*30)
		fixes = append(fixes, map[string]any{"id": x.Team.ID, "time": now.Add(-time.Duration(i) * 10 * time.Minute),
			"lon": lon, "lat": lat, "speed": 4, "heading": 0})
	}
	post(t, base+"/live/positions", x.DeviceToken, fixes, http.StatusAccepted)
	// Where the truck was half an hour ago (the fix of i = 6), for the replay.
	x.Truck.Past.Lon, x.Truck.Past.Lat = at(-6*50, 0)
	x.Truck.Past.Time = now.Add(-30*time.Minute - 5*time.Second).Format(time.RFC3339Nano)
	var readings []map[string]any
	for i := 59; i >= 0; i-- { // the water level: a minute apart, rising and swinging
		v := 2.1 + 0.004*float64(59-i) + 0.05*math.Sin(float64(i)/6)
		readings = append(readings, map[string]any{"sensor": x.Sensor.ID, "time": now.Add(-time.Duration(i)*time.Minute - 10*time.Second),
			"value": math.Round(v*1000) / 1000})
	}
	post(t, base+"/live/observations", x.DeviceToken, readings, http.StatusAccepted)
	return x
}

// post sends JSON with a bearer token and fails the test unless the status is want.
func post(t testing.TB, url, token string, body any, want int) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		msg, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %d, want %d: %s", url, resp.StatusCode, want, msg)
	}
}
