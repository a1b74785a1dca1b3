import { useState } from 'preact/hooks';
import type { LayerGroup, LayerNode, LegendItem, TilesetInfo } from '../api';
import { useI18n, type Lang, type T } from '../i18n';
import { isLiveLayer } from '../live';
import { iconURL, liveLegend } from '../livesymbols';

export interface LayerState {
  visible: boolean;
  opacity: number;
}

/** A 3D tileset's row state: what the user chose, and how its loading went in the 3D view. */
export interface TilesetState extends LayerState {
  status?: 'loading' | 'ready' | 'error';
}

/** The theme 3D tilesets are listed under (三维模型). */
export const modelsTheme = 'twin';

export interface TreeGroup {
  id: string;
  title_zh: string;
  title_en: string;
  layers: LayerNode[];
  tilesets: TilesetInfo[];
}

/**
 * The catalog's groups with the 3D tilesets added to the 三维模型 group, which is created (after the
 * base map and pipelines, before the rest) when the catalog has none.
 */
export function treeGroups(groups: LayerGroup[], tilesets: TilesetInfo[]): TreeGroup[] {
  const out: TreeGroup[] = groups.map((g) => ({ ...g, tilesets: [] }));
  if (!tilesets.length) return out;
  let models = out.find((g) => g.id === modelsTheme);
  if (!models) {
    models = { id: modelsTheme, title_zh: '三维模型', title_en: '3D models', layers: [], tilesets: [] };
    const after = out.findLastIndex((g) => g.id === 'basemap' || g.id === 'pipeline');
    out.splice(after + 1, 0, models);
  }
  models.tilesets = tilesets;
  return out;
}

/**
 * The live layers' legends: the symbols the viewer draws them with (not the tiles style's, whose
 * layers for them the viewer leaves out).
 */
export function withLiveLegends(groups: TreeGroup[], t: T, lang: Lang): TreeGroup[] {
  return groups.map((g) =>
    g.layers.some((l) => isLiveLayer(l.id)) ? { ...g, layers: g.layers.map((l) => (isLiveLayer(l.id) ? { ...l, legend: liveLegend(l.id, t, lang) } : l)) } : g,
  );
}

interface Props {
  groups: TreeGroup[];
  state: Record<string, LayerState>;
  tilesetState: Record<string, TilesetState>;
  zoom: number;
  mode: '2d' | '3d';
  onChange: (id: string, s: LayerState) => void;
  onTileset: (name: string, s: TilesetState) => void;
  onZoomTo: (name: string) => void;
}

/**
 * The layer tree: groups by theme, each layer with visibility, opacity and its legend; the 三维模型
 * group also lists the 3D tilesets (shown in the 3D view).
 */
export function LayerTree({ groups, state, tilesetState, zoom, mode, onChange, onTileset, onZoomTo }: Props) {
  const { t, title } = useI18n();
  return (
    <div class="layer-tree" role="tree" aria-label={t('layers')}>
      {groups.map((g) => {
        const shown = g.layers.filter((l) => state[l.id]);
        const sets = g.tilesets.filter((ts) => tilesetState[ts.name]);
        const total = shown.length + sets.length;
        if (!total) return null;
        const on = shown.filter((l) => state[l.id].visible).length + sets.filter((ts) => tilesetState[ts.name].visible).length;
        return (
          <details class="layer-group" open key={g.id} data-group={g.id}>
            <summary>
              <input
                type="checkbox"
                checked={on === total}
                indeterminate={on > 0 && on < total}
                aria-label={title(g)}
                onClick={(e) => e.stopPropagation()}
                onChange={(e) => {
                  const v = (e.target as HTMLInputElement).checked;
                  for (const l of shown) onChange(l.id, { ...state[l.id], visible: v });
                  for (const ts of sets) onTileset(ts.name, { ...tilesetState[ts.name], visible: v });
                }}
              />
              <span class="group-title">{title(g)}</span>
              <span class="count">{total}</span>
            </summary>
            {shown.map((l) => (
              <LayerRow key={l.id} layer={l} s={state[l.id]} zoom={zoom} onChange={(s) => onChange(l.id, s)} />
            ))}
            {sets.map((ts) => (
              <TilesetRow key={ts.name} ts={ts} s={tilesetState[ts.name]} mode={mode} onChange={(s) => onTileset(ts.name, s)} onZoomTo={() => onZoomTo(ts.name)} />
            ))}
          </details>
        );
      })}
    </div>
  );
}

function Expand({ open, onToggle }: { open: boolean; onToggle: () => void }) {
  const { t } = useI18n();
  return (
    <button class="icon expand" aria-expanded={open} title={t('legend')} onClick={onToggle}>
      {open ? '▾' : '▸'}
    </button>
  );
}

function Opacity({ value, onInput }: { value: number; onInput: (v: number) => void }) {
  const { t } = useI18n();
  return (
    <label class="opacity">
      <span>{t('opacity')}</span>
      <input type="range" min={0} max={100} value={Math.round(value * 100)} onInput={(e) => onInput(Number((e.target as HTMLInputElement).value) / 100)} />
      <span class="num">{Math.round(value * 100)}%</span>
    </label>
  );
}

function TilesetRow({ ts, s, mode, onChange, onZoomTo }: { ts: TilesetInfo; s: TilesetState; mode: '2d' | '3d'; onChange: (s: TilesetState) => void; onZoomTo: () => void }) {
  const { t, title } = useI18n();
  const [open, setOpen] = useState(false);
  const status = s.status === 'loading' ? t('loading') : s.status === 'error' ? t('tilesetFailed') : '';
  return (
    <div class={`layer tileset ${mode === '2d' ? 'out-of-range' : ''}`} role="treeitem" data-tileset={ts.name} data-status={s.status ?? ''}>
      <div class="layer-row">
        <label title={mode === '2d' ? t('shownIn3d') : title(ts)}>
          <input type="checkbox" checked={s.visible} onChange={(e) => onChange({ ...s, visible: (e.target as HTMLInputElement).checked })} />
          <svg class="swatch" viewBox="0 0 20 12" aria-hidden="true">
            <path d="M6 4 L10 2 L14 4 L14 10 L10 12 L6 10 Z M6 4 L10 6 L14 4 M10 6 L10 12" fill="#c9d3de" stroke="#4a5a6c" stroke-width="1" stroke-linejoin="round" />
          </svg>
          <span class="layer-title">{title(ts)}</span>
          <span class="badge">3D</span>
          {status && <span class={`state ${s.status}`}>{status}</span>}
        </label>
        <Expand open={open} onToggle={() => setOpen(!open)} />
      </div>
      {open && (
        <div class="layer-detail">
          <Opacity value={s.opacity} onInput={(o) => onChange({ ...s, opacity: o })} />
          {mode === '3d' ? (
            <button class="link" onClick={onZoomTo} disabled={s.status !== 'ready' || !s.visible}>
              {t('zoomTo')}
            </button>
          ) : (
            <p class="hint">{t('shownIn3d')}</p>
          )}
        </div>
      )}
    </div>
  );
}

function LayerRow({ layer, s, zoom, onChange }: { layer: LayerNode; s: LayerState; zoom: number; onChange: (s: LayerState) => void }) {
  const { t, title, lang } = useI18n();
  const [open, setOpen] = useState(false);
  const outOfRange = zoom < layer.min_zoom || zoom > layer.max_zoom + 1;
  return (
    <div class={`layer ${outOfRange ? 'out-of-range' : ''}`} role="treeitem" data-layer={layer.id}>
      <div class="layer-row">
        <label title={outOfRange ? t('visibleFrom', { z: layer.min_zoom }) : layer.description || title(layer)}>
          <input type="checkbox" checked={s.visible} onChange={(e) => onChange({ ...s, visible: (e.target as HTMLInputElement).checked })} />
          {layer.legend[0] && <Swatch item={layer.legend[0]} />}
          <span class="layer-title">{title(layer)}</span>
        </label>
        <Expand open={open} onToggle={() => setOpen(!open)} />
      </div>
      {open && (
        <div class="layer-detail">
          <Opacity value={s.opacity} onInput={(o) => onChange({ ...s, opacity: o })} />
          {layer.legend.length > 0 && (
            <ul class="legend">
              {layer.legend.map((it, i) => (
                <li key={i}>
                  <Swatch item={it} />
                  {(lang === 'en' ? it.label_en : it.label_zh) ?? title(layer)}
                </li>
              ))}
            </ul>
          )}
          {outOfRange && <p class="hint">{t('visibleFrom', { z: layer.min_zoom })}</p>}
        </div>
      )}
    </div>
  );
}

export function Swatch({ item }: { item: LegendItem }) {
  const color = item.color ?? '#000';
  switch (item.kind) {
    case 'icon': {
      const src = item.icon ? iconURL(item.icon) : undefined;
      return src ? <img class="swatch live-swatch" src={src} alt="" aria-hidden="true" /> : null;
    }
    case 'line':
      return (
        <svg class="swatch" viewBox="0 0 20 12" aria-hidden="true">
          <line x1="1" y1="6" x2="19" y2="6" stroke={color} stroke-width={Math.min(4, Math.max(1.5, item.width ?? 2))} stroke-dasharray={item.dashed ? '4 2' : undefined} />
        </svg>
      );
    case 'circle':
      return (
        <svg class="swatch" viewBox="0 0 20 12" aria-hidden="true">
          <circle cx="10" cy="6" r="4" fill={color} stroke={item.outline ?? color} />
        </svg>
      );
    case 'symbol':
      return (
        <svg class="swatch" viewBox="0 0 20 12" aria-hidden="true">
          <text x="10" y="10" text-anchor="middle" font-size="10" fill={color}>
            文
          </text>
        </svg>
      );
    default:
      return (
        <svg class="swatch" viewBox="0 0 20 12" aria-hidden="true">
          <rect x="1" y="1" width="18" height="10" fill={color} stroke={item.outline ?? color} />
        </svg>
      );
  }
}
