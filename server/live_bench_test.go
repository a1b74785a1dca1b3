package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/yitu-gis/yitu/live"
	"github.com/yitu-gis/yitu/live/jt808"
)

// BenchmarkLiveEndToEnd: from a JT/T 808 frame on a real TCP connection to (a) the terminal's reply,
// (b) the fix in GET /live/objects/{id} and (c) its row in live.position, with the default history
// flush (250 ms): p50 and p99 of each over b.N frames, one a time.
func BenchmarkLiveEndToEnd(b *testing.B) {
	c := newCity(b)
	ctx := context.Background()
	if err := live.NewRegistry(c.pool).Put(ctx, live.Device{ID: "013912345678", Kind: live.KindVehicle, Plate: "鲁F12345"}); err != nil {
		b.Fatal(err)
	}
	if err := c.hub.ReloadDevices(ctx); err != nil {
		b.Fatal(err)
	}
	gw := jt808.NewGateway(jt808.Config{}, c.hub, nil, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	gctx, stop := context.WithCancel(ctx)
	defer stop()
	go gw.Serve(gctx, ln)
	term, err := jt808.DialTerminal(ctx, ln.Addr().String(), "013912345678", 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer term.Close()
	if _, err := term.Login(jt808.Register{Plate: "鲁F12345", PlateColor: 2}, ""); err != nil {
		b.Fatal(err)
	}
	client := &http.Client{Timeout: 5 * time.Second}
	var reply, api, row []time.Duration
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := 0; b.Loop(); i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		start := time.Now()
		if _, err := term.Send(jt808.Location{Lat: 37180000 + int32(i), Lon: 119940000, Speed: 300, Time: at}); err != nil {
			b.Fatal(err)
		}
		reply = append(reply, time.Since(start))
		want := at.UTC().Format(time.RFC3339Nano)
		for {
			resp, err := client.Get(c.base + "/live/objects/013912345678")
			if err != nil {
				b.Fatal(err)
			}
			var f struct{ Properties map[string]any }
			err = json.NewDecoder(resp.Body).Decode(&f)
			resp.Body.Close()
			if err == nil && f.Properties["time"] == want {
				api = append(api, time.Since(start))
				break
			}
		}
		for {
			var ok bool
			if err := c.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM live.position WHERE object_id = '013912345678' AND time = $1)`, at).Scan(&ok); err != nil {
				b.Fatal(err)
			}
			if ok {
				row = append(row, time.Since(start))
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	for _, m := range []struct {
		name string
		d    []time.Duration
	}{{"reply", reply}, {"api", api}, {"row", row}} {
		slices.Sort(m.d)
		b.ReportMetric(ms(m.d[len(m.d)/2]), fmt.Sprintf("ms-%s-p50", m.name))
		b.ReportMetric(ms(m.d[min(len(m.d)-1, len(m.d)*99/100)]), fmt.Sprintf("ms-%s-p99", m.name))
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
