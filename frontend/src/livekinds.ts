// What sensor kinds are called and the glyph the map draws for each: shared by the map's symbols (in
// the first view) and the cards (loaded on demand).

/** Sensor kinds (sensor_kind) by name, with the one-character glyph the map draws in the sensor's circle. */
export const sensorKinds: Record<string, { name: [zh: string, en: string]; glyph: string }> = {
  water_level: { name: ['水位', 'Water level'], glyph: '水' },
  rainfall: { name: ['雨量', 'Rainfall'], glyph: '雨' },
  saturation_line: { name: ['浸润线', 'Phreatic line'], glyph: '浸' },
  manhole_tilt: { name: ['井盖倾斜', 'Manhole cover tilt'], glyph: '井' },
  settlement: { name: ['沉降', 'Settlement'], glyph: '沉' },
  displacement: { name: ['位移', 'Displacement'], glyph: '移' },
  gas: { name: ['可燃气体', 'Combustible gas'], glyph: '气' },
  smoke: { name: ['烟感', 'Smoke'], glyph: '烟' },
  temperature: { name: ['温度', 'Temperature'], glyph: '温' },
  pressure: { name: ['压力', 'Pressure'], glyph: '压' },
  flow: { name: ['流量', 'Flow'], glyph: '流' },
};

