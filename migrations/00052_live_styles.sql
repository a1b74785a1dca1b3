-- +goose Up

-- The live objects are drawn by the viewer from /live/objects and its push, not from vector tiles
-- (their tiles would go stale as they move): an empty style keeps them out of the one-map style and
-- its composite tiles. Their tiles and features stay available one layer at a time.
UPDATE catalog.layer SET style = '[]'
WHERE id IN ('live.hazmat', 'live.vehicle', 'live.team', 'live.sensor', 'live.camera', 'live.hotspot');

-- Fences: a translucent red area with its outline and name.
UPDATE catalog.layer SET style = '[
  {"id": "live.fence-fill", "type": "fill", "paint": {"fill-color": "#e53935", "fill-opacity": 0.08}},
  {"id": "live.fence-line", "type": "line", "paint": {"line-color": "#e53935", "line-width": 1.5, "line-dasharray": [3, 2]}},
  {"id": "live.fence-label", "type": "symbol", "minzoom": 13, "layout": {"text-field": ["get", "name"], "text-font": ["Noto Sans CJK SC Regular"], "text-size": 12},
   "paint": {"text-color": "#b71c1c", "text-halo-color": "#ffffff", "text-halo-width": 1.5}}
]' WHERE id = 'live.fence';

-- +goose Down
UPDATE catalog.layer SET style = NULL
WHERE id IN ('live.hazmat', 'live.vehicle', 'live.team', 'live.sensor', 'live.camera', 'live.hotspot', 'live.fence');
