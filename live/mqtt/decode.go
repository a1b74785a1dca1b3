package mqtt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/yitu-gis/yitu/live"
)

// DefaultTopic is the root of the sensors' topics.
const DefaultTopic = "yitu/sensors"

// Why a message is refused: the reason label of yitu_mqtt_messages_refused_total.
const (
	reasonBadTopic      = "bad_topic"      // not <root>/<id>/obs or <root>/<id>/state
	reasonUnknownDevice = "unknown_device" // <id> is not a registered device
	reasonNotASensor    = "not_a_sensor"   // <id> is a registered device of another kind
	reasonTooLarge      = "too_large"      // payload over Config.MaxPayload
	reasonBadJSON       = "bad_json"       // not a JSON object, or a field of the wrong type
	reasonForeignTopic  = "foreign_topic"  // the payload names another sensor than the topic
	reasonBadTime       = "bad_time"       // "time" is not an RFC 3339 string
	reasonNoValue       = "no_value"       // a reading without a number, a state report without a field
	reasonBadValue      = "bad_value"      // "value" or a member of "values" is not a number
	reasonInvalid       = "invalid"        // Accept refused the change as invalid
)

var reasons = []string{reasonBadTopic, reasonUnknownDevice, reasonNotASensor, reasonTooLarge, reasonBadJSON,
	reasonForeignTopic, reasonBadTime, reasonNoValue, reasonBadValue, reasonInvalid}

// The kinds of topics: the topic_kind label of yitu_mqtt_messages_total.
const (
	topicObs   = "obs"
	topicState = "state"
)

// refusal is a message Yitu will not take, and why.
type refusal struct {
	reason string
	detail string
}

func (r *refusal) Error() string { return r.reason + ": " + r.detail }

func refuse(reason, format string, args ...any) *refusal {
	return &refusal{reason: reason, detail: fmt.Sprintf(format, args...)}
}

// decoder turns a message of a sensor topic into a change.
type decoder struct {
	root       string // topic root, without the trailing slash
	maxPayload int
	device     func(id string) (live.Device, bool)
}

// decode reads a message published on topic, received at received. It returns the change and the
// topic's kind, or a *refusal.
//
//	<root>/<id>/obs    {"time": RFC 3339 (optional: the receive time), "value": 1.23, "unit": "m" (optional)}
//	                   {"time": …, "values": {"level": 2.1, "temp": 14}}
//	                   {"level": 2.1, "temp": 14, "unit": "m"}   (numbers at the top level are named values)
//	<root>/<id>/state  {"time": …, "battery": 87, "door": "closed"}   (any object: the device's state)
//
// A payload may name its sensor ("sensor" or "id"); it must be the topic's. The device must be a
// registered sensor.
func (d decoder) decode(topic string, payload []byte, received time.Time) (live.Change, string, error) {
	id, kind, ok := d.parseTopic(topic)
	if !ok {
		return live.Change{}, "", refuse(reasonBadTopic, "topic %q is not %s/<id>/obs or %s/<id>/state", topic, d.root, d.root)
	}
	dev, ok := d.device(id)
	if !ok {
		return live.Change{}, "", refuse(reasonUnknownDevice, "no device %q is registered", id)
	}
	if dev.Kind != live.KindSensor {
		return live.Change{}, "", refuse(reasonNotASensor, "device %q is a %s, not a sensor", id, dev.Kind)
	}
	if d.maxPayload > 0 && len(payload) > d.maxPayload {
		return live.Change{}, "", refuse(reasonTooLarge, "%d bytes, more than %d", len(payload), d.maxPayload)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(payload, &fields); err != nil || fields == nil {
		return live.Change{}, "", refuse(reasonBadJSON, "the payload is not a JSON object: %s", jsonError(err))
	}
	for _, k := range []string{"sensor", "id"} {
		raw, ok := fields[k]
		if !ok || isNull(raw) {
			continue
		}
		var named string
		if err := json.Unmarshal(raw, &named); err != nil {
			named = string(bytes.TrimSpace(raw)) // a number: compare its text
		}
		if named != id {
			return live.Change{}, "", refuse(reasonForeignTopic, "the payload's %q is %s, the topic's sensor is %q", k, bytes.TrimSpace(raw), id)
		}
	}
	t := received.UTC()
	if raw, ok := fields["time"]; ok && !isNull(raw) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return live.Change{}, "", refuse(reasonBadTime, "\"time\" is %s, want an RFC 3339 string", bytes.TrimSpace(raw))
		}
		pt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return live.Change{}, "", refuse(reasonBadTime, "\"time\" %q is not RFC 3339 (2006-01-02T15:04:05Z07:00)", s)
		}
		t = pt.UTC()
	}
	ch := live.Change{Object: id, Kind: dev.Kind, Layer: dev.Layer(), Time: t, Source: "mqtt"}
	switch kind {
	case topicObs:
		obs, err := observation(fields, dev.Unit)
		if err != nil {
			return live.Change{}, "", err
		}
		ch.Type, ch.Observation = live.ChangeObservation, obs
	case topicState:
		state := make(map[string]any, len(fields))
		for k, raw := range fields {
			if k == "time" || k == "sensor" || k == "id" {
				continue
			}
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return live.Change{}, "", refuse(reasonBadJSON, "%q: %v", k, err)
			}
			state[k] = v
		}
		if len(state) == 0 {
			return live.Change{}, "", refuse(reasonNoValue, "the state report has no field besides time and sensor")
		}
		ch.Type, ch.State = live.ChangeState, state
	}
	return ch, kind, nil
}

// observation reads the values of an …/obs payload: "value", the members of "values", and the other
// top-level numbers (a member of "values" wins over a top-level number of the same name).
func observation(fields map[string]json.RawMessage, deviceUnit string) (*live.Observation, error) {
	obs := &live.Observation{Values: map[string]float64{}, Unit: deviceUnit}
	for k, raw := range fields {
		switch k {
		case "time", "sensor", "id", "values":
		case "unit":
			if isNull(raw) {
				continue
			}
			var unit string
			if err := json.Unmarshal(raw, &unit); err != nil {
				return nil, refuse(reasonBadJSON, "\"unit\" is %s, want a string", bytes.TrimSpace(raw))
			}
			if unit != "" {
				obs.Unit = unit
			}
		case "value":
			if isNull(raw) {
				continue
			}
			v, ok := number(raw)
			if !ok {
				return nil, refuse(reasonBadValue, "\"value\" is %s, want a number", bytes.TrimSpace(raw))
			}
			obs.Values["value"] = v
		default:
			if v, ok := number(raw); ok { // other fields (strings, objects) are not readings
				obs.Values[k] = v
			}
		}
	}
	if raw, ok := fields["values"]; ok && !isNull(raw) {
		var values map[string]json.RawMessage
		if err := json.Unmarshal(raw, &values); err != nil || values == nil {
			return nil, refuse(reasonBadValue, "\"values\" is not an object of numbers")
		}
		for k, raw := range values {
			v, ok := number(raw)
			if !ok {
				return nil, refuse(reasonBadValue, "\"values\".%q is %s, want a number", k, bytes.TrimSpace(raw))
			}
			obs.Values[k] = v
		}
	}
	if len(obs.Values) == 0 {
		return nil, refuse(reasonNoValue, "no \"value\", no \"values\" and no other number in the reading")
	}
	return obs, nil
}

// number reads a JSON number (not a string holding one, not null).
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '-' && (raw[0] < '0' || raw[0] > '9')) {
		return 0, false
	}
	var v float64
	if err := json.Unmarshal(raw, &v); err != nil {
		return 0, false
	}
	return v, true
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func jsonError(err error) string {
	if err == nil {
		return "null"
	}
	return err.Error()
}

// parseTopic splits <root>/<id>/<kind>.
func (d decoder) parseTopic(topic string) (id, kind string, ok bool) {
	rest, ok := strings.CutPrefix(topic, d.root+"/")
	if !ok {
		return "", "", false
	}
	id, kind, ok = strings.Cut(rest, "/")
	if !ok || id == "" || (kind != topicObs && kind != topicState) {
		return "", "", false
	}
	return id, kind, true
}
