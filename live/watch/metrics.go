package watch

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	processed  prometheus.Counter
	alarms     *prometheus.CounterVec
	gaps       prometheus.Counter
	writerFull prometheus.Counter
	lag        prometheus.Histogram
	batch      prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		processed:  prometheus.NewCounter(prometheus.CounterOpts{Name: "yitu_watch_changes_total", Help: "Changes of the hub's stream matched against fences and rules."}),
		alarms:     prometheus.NewCounterVec(prometheus.CounterOpts{Name: "yitu_watch_alarms_total", Help: "Alarm changes, by what happened (raised, updated, cleared)."}, []string{"event"}),
		gaps:       prometheus.NewCounter(prometheus.CounterOpts{Name: "yitu_watch_stream_gaps_total", Help: "Times matching fell behind the hub's stream and matched the current state again."}),
		writerFull: prometheus.NewCounter(prometheus.CounterOpts{Name: "yitu_watch_alarm_writer_full_total", Help: "Times matching waited for the alarm writer (the database slow or away)."}),
		lag: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yitu_watch_lag_seconds", Help: "From a change's acceptance by the hub to its matching.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16)}),
		batch: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "yitu_watch_batch_seconds", Help: "Time to match one batch read from the stream.",
			Buckets: prometheus.ExponentialBuckets(0.00001, 2, 18)}),
	}
	if reg != nil {
		reg.MustRegister(m.processed, m.alarms, m.gaps, m.writerFull, m.lag, m.batch)
	}
	return m
}
