package mqtt

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
)

func testDecoder() decoder {
	devices := map[string]live.Device{
		"wl-01":  {ID: "wl-01", Kind: live.KindSensor, SensorKind: "water_level", Unit: "m"},
		"gas-7":  {ID: "gas-7", Kind: live.KindSensor, SensorKind: "gas"},
		"17":     {ID: "17", Kind: live.KindSensor},
		"truck1": {ID: "truck1", Kind: live.KindVehicle, VehicleKind: "hazmat"},
	}
	return decoder{root: DefaultTopic, maxPayload: 1024, device: func(id string) (live.Device, bool) {
		d, ok := devices[id]
		return d, ok
	}}
}

func TestDecode(t *testing.T) {
	received := time.Date(2024, 5, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	at := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	obs := func(id string, tm time.Time, unit string, values map[string]float64) live.Change {
		return live.Change{Type: live.ChangeObservation, Object: id, Kind: live.KindSensor, Layer: "live.sensor",
			Time: tm, Source: "mqtt", Observation: &live.Observation{Values: values, Unit: unit}}
	}
	for _, tc := range []struct {
		name, topic, payload string
		want                 live.Change
		kind                 string
	}{
		{"value", "yitu/sensors/wl-01/obs", `{"time":"2024-05-01T08:00:00+08:00","value":1.23}`,
			obs("wl-01", at, "m", map[string]float64{"value": 1.23}), topicObs},
		{"no time: the receive time, in UTC", "yitu/sensors/wl-01/obs", `{"value":-0.5,"unit":"cm"}`,
			obs("wl-01", at, "cm", map[string]float64{"value": -0.5}), topicObs},
		{"an empty unit: the device's", "yitu/sensors/wl-01/obs", `{"value":-0.5,"unit":""}`,
			obs("wl-01", at, "m", map[string]float64{"value": -0.5}), topicObs},
		{"values", "yitu/sensors/gas-7/obs", `{"time":"2024-05-01T00:00:00.000Z","values":{"ch4":0.2,"co":12}}`,
			obs("gas-7", at, "", map[string]float64{"ch4": 0.2, "co": 12}), topicObs},
		{"top-level numbers", "yitu/sensors/wl-01/obs", `{"level":2.1,"temp":14,"unit":"m","status":"ok","sensor":"wl-01"}`,
			obs("wl-01", at, "m", map[string]float64{"level": 2.1, "temp": 14}), topicObs},
		{"values win over top-level numbers", "yitu/sensors/wl-01/obs", `{"level":1,"values":{"level":2},"value":3}`,
			obs("wl-01", at, "m", map[string]float64{"level": 2, "value": 3}), topicObs},
		{"a numeric id", "yitu/sensors/17/obs", `{"id":17,"value":1,"time":null}`,
			obs("17", at, "", map[string]float64{"value": 1}), topicObs},
		{"state", "yitu/sensors/wl-01/state", `{"time":"2024-05-01T00:00:00Z","battery":87,"door":"closed","id":"wl-01"}`,
			live.Change{Type: live.ChangeState, Object: "wl-01", Kind: live.KindSensor, Layer: "live.sensor", Time: at,
				Source: "mqtt", State: map[string]any{"battery": 87.0, "door": "closed"}}, topicState},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, kind, err := testDecoder().decode(tc.topic, []byte(tc.payload), received)
			if err != nil {
				t.Fatal(err)
			}
			if kind != tc.kind || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s %+v %+v, want %s %+v %+v", kind, got, got.Observation, tc.kind, tc.want, tc.want.Observation)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	big := `{"value":1,"pad":"` + string(make([]byte, 1100)) + `"}`
	for _, tc := range []struct{ topic, payload, reason string }{
		{"yitu/sensors/wl-01/obs/extra", `{"value":1}`, reasonBadTopic},
		{"yitu/sensors/wl-01/cmd", `{"value":1}`, reasonBadTopic},
		{"yitu/sensors//obs", `{"value":1}`, reasonBadTopic},
		{"other/wl-01/obs", `{"value":1}`, reasonBadTopic},
		{"yitu/sensors/ghost/obs", `{"value":1}`, reasonUnknownDevice},
		{"yitu/sensors/truck1/obs", `{"value":1}`, reasonNotASensor},
		{"yitu/sensors/wl-01/obs", big, reasonTooLarge},
		{"yitu/sensors/wl-01/obs", `{"value":1`, reasonBadJSON},
		{"yitu/sensors/wl-01/obs", `[1,2]`, reasonBadJSON},
		{"yitu/sensors/wl-01/obs", `null`, reasonBadJSON},
		{"yitu/sensors/wl-01/obs", `1.5`, reasonBadJSON},
		{"yitu/sensors/wl-01/obs", `{"value":1,"unit":5}`, reasonBadJSON},
		{"yitu/sensors/wl-01/obs", `{"sensor":"gas-7","value":1}`, reasonForeignTopic},
		{"yitu/sensors/wl-01/obs", `{"id":"wl-02","value":1}`, reasonForeignTopic},
		{"yitu/sensors/17/obs", `{"id":18,"value":1}`, reasonForeignTopic},
		{"yitu/sensors/wl-01/state", `{"sensor":"gas-7","battery":1}`, reasonForeignTopic},
		{"yitu/sensors/wl-01/obs", `{"time":"yesterday","value":1}`, reasonBadTime},
		{"yitu/sensors/wl-01/obs", `{"time":1714521600,"value":1}`, reasonBadTime},
		{"yitu/sensors/wl-01/obs", `{"time":"2024-05-01 08:00:00","value":1}`, reasonBadTime},
		{"yitu/sensors/wl-01/obs", `{}`, reasonNoValue},
		{"yitu/sensors/wl-01/obs", `{"value":null,"unit":"m","note":"x"}`, reasonNoValue},
		{"yitu/sensors/wl-01/obs", `{"values":{}}`, reasonNoValue},
		{"yitu/sensors/wl-01/state", `{"time":"2024-05-01T00:00:00Z"}`, reasonNoValue},
		{"yitu/sensors/wl-01/obs", `{"value":"1.2"}`, reasonBadValue},
		{"yitu/sensors/wl-01/obs", `{"values":{"level":"high"}}`, reasonBadValue},
		{"yitu/sensors/wl-01/obs", `{"values":{"level":null}}`, reasonBadValue},
		{"yitu/sensors/wl-01/obs", `{"values":[1]}`, reasonBadValue},
		{"yitu/sensors/wl-01/obs", `{"value":1e999}`, reasonBadValue},
	} {
		_, _, err := testDecoder().decode(tc.topic, []byte(tc.payload), time.Now())
		var r *refusal
		if !errors.As(err, &r) || r.reason != tc.reason {
			t.Errorf("%s %s: %v, want a refusal for %s", tc.topic, tc.payload, err, tc.reason)
		}
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"value":1}`, `{"time":"2024-05-01T08:00:00+08:00","values":{"a":1}}`,
		`{"level":2.1,"unit":"m"}`, `{"battery":87}`, `{"id":17,"value":null}`, `[`} {
		f.Add("yitu/sensors/wl-01/obs", []byte(s))
		f.Add("yitu/sensors/wl-01/state", []byte(s))
	}
	d := testDecoder()
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		ch, kind, err := d.decode(topic, payload, time.Now())
		if err != nil {
			var r *refusal
			if !errors.As(err, &r) {
				t.Fatalf("not a refusal: %v", err)
			}
			return
		}
		switch kind {
		case topicObs:
			if ch.Type != live.ChangeObservation || ch.Observation == nil || len(ch.Observation.Values) == 0 {
				t.Fatalf("an observation without values: %+v", ch)
			}
		case topicState:
			if ch.Type != live.ChangeState || len(ch.State) == 0 {
				t.Fatalf("a state without fields: %+v", ch)
			}
		default:
			t.Fatalf("kind %q", kind)
		}
		if ch.Time.Location() != time.UTC || ch.Source != "mqtt" || ch.Kind != live.KindSensor {
			t.Fatalf("%+v", ch)
		}
	})
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want broker
	}{
		{"mqtt://yitu:s3cret@127.0.0.1:18830", broker{"tcp://127.0.0.1:18830", "127.0.0.1:18830", "yitu", "s3cret"}},
		{"mqtt://broker.example", broker{"tcp://broker.example:1883", "broker.example:1883", "", ""}},
		{"mqtts://u:p@broker.example", broker{"ssl://broker.example:8883", "broker.example:8883", "u", "p"}},
		{"tcp://[::1]:1884", broker{"tcp://[::1]:1884", "[::1]:1884", "", ""}},
	} {
		got, err := parseURL(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("%s: %+v, %v; want %+v", tc.url, got, err, tc.want)
		}
	}
	for _, bad := range []string{"http://u:secret@host", "mqtt://u:secret@", "mqtt://u:secret@host:port:x", "://u:secret@x"} {
		_, err := parseURL(bad)
		if err == nil {
			t.Errorf("%s: no error", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: the error shows the password: %v", bad, err)
		}
	}
}
