package server

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
)

// TestAlarmFromTCPFrameToWebSocket: a JT/T 808 frame with the emergency bit, sent over a real TCP
// connection to the gateway, becomes an alarm that a real WebSocket client subscribed to the map
// receives; the latency from the frame to the alarm is logged (BenchmarkAlarmLatency measures it).
func TestAlarmFromTCPFrameToWebSocket(t *testing.T) {
	c := newCity(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: "013912345678", Kind: live.KindVehicle, Plate: "鲁F12345", UN: "1203"}); err != nil {
		t.Fatal(err)
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		t.Fatal(err)
	}
	gw := jt808.NewGateway(jt808.Config{}, c.hub, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go gw.Serve(ctx, ln)
	term, err := jt808.DialTerminal(ctx, ln.Addr().String(), "013912345678", 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	if _, err := term.Login(jt808.Register{Plate: "鲁F12345", PlateColor: 2}, ""); err != nil {
		t.Fatal(err)
	}
	conn := c.dialWS(t, "", "")
	subscribe(t, conn, `{"bbox":[119.9,37.1,120.0,37.2]}`)
	readWS(t, conn, until("snapshot", ""))

	start := time.Now()
	if _, err := term.Send(jt808.Location{Alarm: 1 << 0, Lat: 37150000, Lon: 119950000, Speed: 300, Time: time.Now()}); err != nil {
		t.Fatal(err)
	}
	ms := readWS(t, conn, func(ms []pushMsg) bool {
		for _, m := range ms {
			if a, ok := m["alarm"].(map[string]any); ok && a["kind"] == "jt808_emergency" && a["state"] == "raised" {
				return true
			}
		}
		return false
	})
	t.Logf("the emergency alarm reached the WebSocket client %v after the frame was sent", time.Since(start))
	if !seen(ms, "position", "013912345678") {
		t.Error("the position itself was not pushed")
	}
}
