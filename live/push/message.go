package push

import (
	"encoding/json"
	"math"
	"time"

	"github.com/yitu-gis/yitu/live"
)

// wire is a change as a message (see the package comment).
type wire struct {
	Type  live.ChangeType `json:"type"`
	Seq   uint64          `json:"seq,omitempty"`
	ID    string          `json:"id"`
	Kind  live.Kind       `json:"kind,omitempty"`
	Layer string          `json:"layer,omitempty"`
	Time  time.Time       `json:"time"`

	// Positions and hotspots.
	Lon      *float64           `json:"lon,omitempty"`
	Lat      *float64           `json:"lat,omitempty"`
	Speed    *float64           `json:"speed,omitempty"`
	Heading  *float64           `json:"heading,omitempty"`
	Altitude *float64           `json:"altitude,omitempty"`
	Alarm    uint32             `json:"alarm,omitempty"` // the JT/T 808 alarm word
	Status   uint32             `json:"status,omitempty"`
	Extra    map[string]float64 `json:"extra,omitempty"`

	// Observations.
	Values map[string]float64 `json:"values,omitempty"`
	Value  *float64           `json:"value,omitempty"`
	Unit   string             `json:"unit,omitempty"`

	// State reports and device events.
	State  map[string]any `json:"state,omitempty"`
	Event  string         `json:"event,omitempty"`
	Detail map[string]any `json:"detail,omitempty"`

	// Hotspots.
	Instrument string   `json:"instrument,omitempty"`
	Satellite  string   `json:"satellite,omitempty"`
	Confidence string   `json:"confidence,omitempty"`
	FRP        *float64 `json:"frp,omitempty"`
	Brightness *float64 `json:"brightness,omitempty"`
	Source     string   `json:"source,omitempty"`

	// Incidents: the incident as it stands.
	Incident json.RawMessage `json:"incident,omitempty"`
}

// alarmWire is an alarm change as a message: the alarm's state after the change under "alarm".
type alarmWire struct {
	Type  live.ChangeType `json:"type"`
	Seq   uint64          `json:"seq,omitempty"`
	ID    string          `json:"id"`
	Kind  live.Kind       `json:"kind,omitempty"`
	Layer string          `json:"layer,omitempty"`
	Time  time.Time       `json:"time"`
	Alarm *live.Alarm     `json:"alarm"`
}

// encodeChange encodes a change once, for every client that gets it.
func encodeChange(c *live.Change) *Message {
	if c.Type == live.ChangeAlarm {
		w := alarmWire{Type: c.Type, Seq: c.Seq, ID: c.Object, Kind: c.Kind, Layer: layerOf(c), Time: c.Time.UTC(), Alarm: c.Alarm}
		if w.ID == "" && c.Alarm != nil {
			w.ID = c.Alarm.Object
		}
		if w.Time.IsZero() && c.Alarm != nil {
			w.Time = c.Alarm.Updated.UTC()
		}
		b, err := json.Marshal(&w)
		if err != nil { // a detail JSON cannot hold: the alarm without it
			a := *c.Alarm
			a.Detail = nil
			w.Alarm = &a
			b, _ = json.Marshal(&w)
		}
		return &Message{Type: string(c.Type), Received: c.Received.UnixNano(), Data: b}
	}
	w := wire{Type: c.Type, Seq: c.Seq, ID: c.Object, Kind: c.Kind, Layer: layerOf(c), Time: c.Time.UTC()}
	switch c.Type {
	case live.ChangePosition:
		if p := c.Position; p != nil {
			w.Lon, w.Lat = &p.Lon, &p.Lat
			sp, hd, alt := round1(p.Speed), round1(p.Heading), round1(p.Altitude)
			w.Speed, w.Heading, w.Altitude = &sp, &hd, &alt
			w.Alarm, w.Status, w.Extra = p.Alarm, p.Status, p.Extra
		}
	case live.ChangeObservation:
		if o := c.Observation; o != nil {
			w.Values, w.Unit = o.Values, o.Unit
			if v, ok := o.Values["value"]; ok {
				w.Value = &v
			}
		}
	case live.ChangeState:
		w.State = c.State
	case live.ChangeEvent:
		if e := c.Event; e != nil {
			w.Event, w.Detail = e.Name, e.Detail
		}
	case live.ChangeIncident:
		w.Incident = c.Incident
	case live.ChangeHotspot:
		if h := c.Hotspot; h != nil {
			w.Lon, w.Lat = &h.Lon, &h.Lat
			w.Instrument, w.Satellite, w.Confidence = h.Instrument, h.Satellite, h.Confidence
			w.FRP, w.Brightness, w.Source = &h.FRP, &h.Brightness, h.Source
		}
	}
	b, err := json.Marshal(&w)
	if err != nil { // a state report with a value JSON cannot hold: send what is certain
		w.State, w.Detail = nil, nil
		b, _ = json.Marshal(&w)
	}
	return &Message{Type: string(c.Type), Received: c.Received.UnixNano(), Data: b}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
