package server

import (
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inflight prometheus.Gauge
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
	reg.MustRegister(m.requests, m.duration, m.inflight)
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
