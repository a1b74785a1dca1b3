package live

import (
	"context"
	"fmt"
	"time"
)

// HotspotRecord is a detection to store: its dedupe key (firms.Key), acquisition time and values.
type HotspotRecord struct {
	Key     string
	Time    time.Time
	Hotspot Hotspot
}

// AddHotspots stores detections in live.hotspot in one statement, ignoring those whose key is there
// already (the same detection in an earlier file or poll), and returns how many were new. Every
// replica's hub picks the new ones up (NOTIFY yitu_live).
func AddHotspots(ctx context.Context, db Querier, recs []HotspotRecord) (int, error) {
	if len(recs) == 0 {
		return 0, nil
	}
	n := len(recs)
	var (
		keys, inst, sat, conf, dn, ver, src = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		times                               = make([]time.Time, n)
		lon, lat, br, frp, scan, track      = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	)
	for i, r := range recs {
		h := r.Hotspot
		keys[i], times[i], lon[i], lat[i] = r.Key, r.Time.UTC(), h.Lon, h.Lat
		inst[i], sat[i], conf[i], br[i], frp[i] = h.Instrument, h.Satellite, h.Confidence, h.Brightness, h.FRP
		scan[i], track[i], dn[i], ver[i], src[i] = h.Scan, h.Track, h.DayNight, h.Version, h.Source
	}
	tag, err := db.Exec(ctx, `INSERT INTO live.hotspot (key, time, lon, lat, instrument, satellite, confidence, brightness, frp,
			scan, track, daynight, version, source)
		SELECT k, t, x, y, i, s, nullif(c, ''), b, f, sc, tr, nullif(d, ''), nullif(v, ''), src
		FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[], $5::text[], $6::text[], $7::text[], $8::float8[],
			$9::float8[], $10::float8[], $11::float8[], $12::text[], $13::text[], $14::text[]) AS u(k, t, x, y, i, s, c, b, f, sc, tr, d, v, src)
		ON CONFLICT (key) DO NOTHING`, keys, times, lon, lat, inst, sat, conf, br, frp, scan, track, dn, ver, src)
	if err != nil {
		return 0, fmt.Errorf("storing %d hotspots: %w", n, err)
	}
	return int(tag.RowsAffected()), nil
}
