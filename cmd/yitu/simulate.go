package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/yitu-gis/yitu/demo/sim"
	"github.com/yitu-gis/yitu/migrations"
	"github.com/yitu-gis/yitu/spatial"
)

// cmdSimulate is `yitu demo simulate`: the demo city's vehicles, teams and sensors, live, against a
// running `yitu serve` (its JT/T 808 gateway and MQTT broker), until Ctrl-C.
func cmdSimulate(ctx context.Context, e *env, args []string) error {
	f := newFlags(e, "demo simulate")
	vehicles := f.Int("vehicles", 200, "JT/T 808 vehicles (a third hazmat trucks; one strays off its approved route, one goes silent, one presses its emergency button hourly)")
	teams := f.Int("teams", 12, "fire teams (JT/T 808 terminals)")
	sensors := f.Int("sensors", 500, "MQTT sensors: manhole covers, smart poles, gas, settlement, water levels, tailings dams, rainfall")
	cameras := f.Int("cameras", 20, "cameras and watchtowers (registered; they send nothing)")
	interval := f.Duration("interval", 10*time.Second, "how often a vehicle reports")
	sensorInterval := f.Duration("sensor-interval", time.Minute, "how often a sensor publishes")
	jtAddr := f.String("jt808", "", "the server's JT/T 808 gateway (default: jt808.addr on this host)")
	seed := f.Uint64("seed", 1, "random seed: the same seed makes the same devices")
	dir := f.String("dir", ".data/demo", "folder the FIRMS file is written into")
	cfg, err := f.load(e, args, nil)
	if err != nil {
		return err
	}
	if f.NArg() != 0 {
		return usageError{"demo simulate takes flags only"}
	}
	if *jtAddr == "" {
		*jtAddr = loopback(cfg.JT808.Addr)
	}
	if *jtAddr == "" && *vehicles+*teams > 0 {
		return usageError{"no JT/T 808 gateway: set jt808.addr or give --jt808 host:port"}
	}
	mqttAddr := ""
	if cfg.MQTT.URL != "" {
		u, err := url.Parse(cfg.MQTT.URL)
		if err != nil {
			return fmt.Errorf("mqtt.url: %w", err)
		}
		mqttAddr = u.Host
	}
	pool, err := spatial.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return err
	}
	creds, closeCreds, err := brokerCredentials(cfg)
	if err != nil {
		return err
	}
	defer closeCreds()
	s, err := sim.New(ctx, sim.Options{Pool: pool, Creds: creds, JT808Addr: *jtAddr, MQTTAddr: mqttAddr,
		Vehicles: *vehicles, Teams: *teams, Sensors: *sensors, Cameras: *cameras, Interval: *interval,
		SensorInterval: *sensorInterval, Seed: *seed, Dir: *dir, Log: e.log})
	if err != nil {
		return err
	}
	if err := s.Register(ctx); err != nil {
		return err
	}
	path, added, err := s.ImportFIRMS(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "演示城区实时数据 — simulating %d vehicles and %d teams over JT/T 808 (%s), %d sensors over MQTT (%s), %d cameras; %s: %d new hotspots. Ctrl-C stops.\n",
		*vehicles, *teams, *jtAddr, *sensors, orNone(mqttAddr), *cameras, path, added)
	return s.Run(ctx)
}

// loopback turns a listen address (":6808") into one to dial on this host.
func loopback(addr string) string {
	if addr == "" {
		return ""
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
