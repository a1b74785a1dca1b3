package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/yitu-gis/yitu/live/watch"
)

// Watch gives the demo city the fences and rules a county would set up: the straying truck's
// approved route as a corridor, school zones with a speed limit and no hazmat in school hours, the
// hill's forest-fire zone, a hazmat depot where stopping is allowed, and thresholds for its sensors
// with escalation across a tailings dam. What exists already (by name) is kept.
func (s *Simulation) Watch(ctx context.Context, store *watch.Store) (fences, rules int, err error) {
	have := map[string]bool{}
	fs, err := store.Fences(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, f := range fs {
		have["fence:"+f.Name] = true
	}
	rs, err := store.Rules(ctx)
	if err != nil {
		return 0, 0, err
	}
	for _, r := range rs {
		have["rule:"+r.Name] = true
	}
	rng := rand.New(rand.NewPCG(s.opts.Seed, 14))
	depotID := int64(0)
	for _, f := range fs {
		if f.Name == "危化品车辆停车场" {
			depotID = f.ID
		}
	}
	addFence := func(name string, geometry any, props map[string]any) error {
		if have["fence:"+name] {
			return nil
		}
		props["name"] = name
		b, _ := json.Marshal(map[string]any{"type": "Feature", "geometry": geometry, "properties": props})
		ff, err := watch.ParseFenceFeature(b)
		if err != nil {
			return fmt.Errorf("demo fence %s: %w", name, err)
		}
		f, err := store.PutFence(ctx, 0, ff, "demo", nil)
		if err != nil {
			return fmt.Errorf("demo fence %s: %w", name, err)
		}
		if name == "危化品车辆停车场" {
			depotID = f.ID
		}
		fences++
		return nil
	}
	square := func(c [2]float64, half float64) map[string]any {
		dlon, dlat := half/(111320*math.Cos(c[1]*math.Pi/180)), half/110540
		return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{{
			{c[0] - dlon, c[1] - dlat}, {c[0] + dlon, c[1] - dlat}, {c[0] + dlon, c[1] + dlat}, {c[0] - dlon, c[1] + dlat}, {c[0] - dlon, c[1] - dlat}}}}
	}
	for _, v := range s.vehicles {
		if v.role == stray {
			if err := addFence(v.dev.Plate+"核定路线", v.dev.Props["approved_route"], map[string]any{"width_m": 60,
				"rules": []map[string]any{{"kind": "off_route", "level": "red"}}, "applies_to": map[string]any{"ids": []string{v.dev.ID}}}); err != nil {
				return fences, rules, err
			}
		}
	}
	nodes := s.world.roads.nodes
	for i, name := range []string{"文峰路小学", "莱州市第一中学", "云峰幼儿园"} {
		n := nodes[rng.IntN(len(nodes))]
		if err := addFence(name+"周边", map[string]any{"type": "Point", "coordinates": [2]float64{n.lon, n.lat}}, map[string]any{
			"radius_m": 150 + 50*i,
			"rules": []map[string]any{
				{"kind": "speed", "max_kmh": 30, "level": "yellow"},
				{"kind": "inside", "level": "orange", "window": map[string]any{"days": []int{1, 2, 3, 4, 5}, "from": "07:00", "to": "18:00"}},
			},
			"applies_to": map[string]any{"kinds": []string{"vehicle"}}}); err != nil {
			return fences, rules, err
		}
	}
	hill := s.world.hills[0]
	if err := addFence("福禄山森林防火区", square([2]float64{hill[0], hill[1]}, 350), map[string]any{
		"rules": []map[string]any{{"kind": "enter", "level": "yellow"}}, "applies_to": map[string]any{"vehicle_kinds": []string{"hazmat", "logistics"}}}); err != nil {
		return fences, rules, err
	}
	edge := [2]float64{s.world.centre[0] - 0.012, s.world.centre[1] + 0.010}
	if err := addFence("危化品车辆停车场", square(edge, 120), map[string]any{"props": map[string]any{"use": "depot"}}); err != nil {
		return fences, rules, err
	}
	addRule := func(name string, rule map[string]any, applies map[string]any) error {
		if have["rule:"+name] {
			return nil
		}
		var g watch.GroupRule
		b, _ := json.Marshal(map[string]any{"name": name, "rule": rule, "applies_to": applies, "enabled": true})
		if err := json.Unmarshal(b, &g); err != nil {
			return err
		}
		if _, err := store.PutRule(ctx, g, "demo"); err != nil {
			return fmt.Errorf("demo rule %s: %w", name, err)
		}
		rules++
		return nil
	}
	for _, r := range []struct {
		name          string
		rule, applies map[string]any
	}{
		{"车辆离线", map[string]any{"kind": "offline", "seconds": 180}, map[string]any{"kinds": []string{"vehicle", "team"}}},
		{"危化品车辆限速", map[string]any{"kind": "speed", "max_kmh": 60, "level": "yellow"}, map[string]any{"vehicle_kinds": []string{"hazmat"}}},
		{"危化品车辆违规停车", map[string]any{"kind": "stop", "seconds": 600, "allowed_fences": []int64{depotID}}, map[string]any{"vehicle_kinds": []string{"hazmat"}}},
		{"南阳河水位", map[string]any{"kind": "threshold", "levels": map[string]float64{"blue": 1.5, "yellow": 1.8, "orange": 2.1, "red": 2.4}, "clear": 0.05},
			map[string]any{"sensor_kinds": []string{"water_level"}}},
		{"南阳河水位上涨速率", map[string]any{"kind": "rate", "rate_per_hour": 0.4, "level": "orange"}, map[string]any{"sensor_kinds": []string{"water_level"}}},
		{"井盖倾斜", map[string]any{"kind": "threshold", "levels": map[string]float64{"yellow": 5, "red": 10}, "clear": 0.5}, map[string]any{"sensor_kinds": []string{"manhole_tilt"}}},
		{"燃气泄漏", map[string]any{"kind": "threshold", "levels": map[string]float64{"yellow": 10, "orange": 20, "red": 25}}, map[string]any{"sensor_kinds": []string{"gas"}}},
		{"尾矿库浸润线埋深", map[string]any{"kind": "threshold", "below": true, "levels": map[string]float64{"blue": 7, "yellow": 6, "orange": 5, "red": 4}, "clear": 0.1},
			map[string]any{"sensor_kinds": []string{"saturation_line"}}},
		{"尾矿库多点联动", map[string]any{"kind": "escalation", "count": 3, "at_level": "yellow", "window_seconds": 3600},
			map[string]any{"sensor_kinds": []string{"saturation_line"}}},
	} {
		if err := addRule(r.name, r.rule, r.applies); err != nil {
			return fences, rules, err
		}
	}
	return fences, rules, nil
}
