package server

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
	limited  *prometheus.CounterVec
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yitu_http_requests_total",
			Help: "HTTP requests by route pattern, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yitu_http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		inflight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "yitu_http_requests_in_flight",
			Help: "HTTP requests being served.",
		}),
	}
	m.limited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "yitu_http_client_limited_total",
		Help: "Requests refused (429) because their client had server.client_concurrency requests in progress, by what was full: ip or token.",
	}, []string{"per"})
	reg.MustRegister(m.requests, m.duration, m.inflight, m.limited)
	return m
}

// poolCollector exports pgx pool statistics at scrape time.
type poolCollector struct {
	pool  *pgxpool.Pool
	descs map[string]*prometheus.Desc
}

func newPoolCollector(pool *pgxpool.Pool) *poolCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("yitu_db_pool_"+name, help, nil, nil)
	}
	return &poolCollector{pool: pool, descs: map[string]*prometheus.Desc{
		"acquired":      d("acquired_conns", "Connections currently checked out of the pool."),
		"idle":          d("idle_conns", "Idle connections in the pool."),
		"total":         d("total_conns", "Connections in the pool (acquired, idle and being constructed)."),
		"max":           d("max_conns", "Maximum size of the pool."),
		"acquires":      d("acquires_total", "Successful acquires from the pool."),
		"acquire_secs":  d("acquire_seconds_total", "Total time spent waiting to acquire a connection."),
		"empty":         d("empty_acquires_total", "Acquires that had to wait because the pool was empty."),
		"canceled":      d("canceled_acquires_total", "Acquires cancelled by their context."),
		"new_conns":     d("new_conns_total", "Connections opened."),
		"destroyed_max": d("max_lifetime_destroys_total", "Connections closed for exceeding their lifetime."),
	}}
}

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.pool.Stat()
	g := func(k string, v float64) { ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.GaugeValue, v) }
	n := func(k string, v float64) { ch <- prometheus.MustNewConstMetric(c.descs[k], prometheus.CounterValue, v) }
	g("acquired", float64(s.AcquiredConns()))
	g("idle", float64(s.IdleConns()))
	g("total", float64(s.TotalConns()))
	g("max", float64(s.MaxConns()))
	n("acquires", float64(s.AcquireCount()))
	n("acquire_secs", s.AcquireDuration().Seconds())
	n("empty", float64(s.EmptyAcquireCount()))
	n("canceled", float64(s.CanceledAcquireCount()))
	n("new_conns", float64(s.NewConnsCount()))
	n("destroyed_max", float64(s.MaxLifetimeDestroyCount()))
}

// replicaCollector exports how far the read replica is behind the primary, at scrape time: bytes of
// WAL not yet replayed, and seconds since the primary wrote what the replica replays now (0 when it
// has replayed everything).
type replicaCollector struct {
	primary, replica *pgxpool.Pool
	bytes, seconds   *prometheus.Desc
}

func newReplicaCollector(primary, replica *pgxpool.Pool) *replicaCollector {
	return &replicaCollector{primary: primary, replica: replica,
		bytes:   prometheus.NewDesc("yitu_db_replica_lag_bytes", "WAL the read replica has not replayed yet (-1: unknown).", nil, nil),
		seconds: prometheus.NewDesc("yitu_db_replica_lag_seconds", "Age of the newest transaction the read replica replayed, while it is behind (0: caught up; -1: unknown).", nil, nil)}
}

func (c *replicaCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.bytes; ch <- c.seconds }

func (c *replicaCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	bytes, seconds := -1.0, -1.0
	var replayed *string
	var age *float64
	if err := c.replica.QueryRow(ctx, `SELECT pg_last_wal_replay_lsn()::text,
		extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8`).Scan(&replayed, &age); err == nil && replayed != nil {
		if err := c.primary.QueryRow(ctx, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::float8", *replayed).Scan(&bytes); err != nil {
			bytes = -1
		}
		switch {
		case bytes == 0:
			seconds = 0
		case bytes > 0 && age != nil:
			seconds = *age
		}
	}
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, bytes)
	ch <- prometheus.MustNewConstMetric(c.seconds, prometheus.GaugeValue, seconds)
}
