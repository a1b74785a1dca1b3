import { useState } from 'preact/hooks';
import type { LayerGroup, LayerNode, LegendItem } from '../api';
import { useI18n } from '../i18n';

export interface LayerState {
  visible: boolean;
  opacity: number;
}

interface Props {
  groups: LayerGroup[];
  state: Record<string, LayerState>;
  zoom: number;
  onChange: (id: string, s: LayerState) => void;
}

/** The layer tree: groups by theme, each layer with visibility, opacity and its legend. */
export function LayerTree({ groups, state, zoom, onChange }: Props) {
  const { t, title } = useI18n();
  return (
    <div class="layer-tree" role="tree" aria-label={t('layers')}>
      {groups.map((g) => {
        const shown = g.layers.filter((l) => state[l.id]);
        if (!shown.length) return null;
        const on = shown.filter((l) => state[l.id].visible).length;
        return (
          <details class="layer-group" open key={g.id} data-group={g.id}>
            <summary>
              <input
                type="checkbox"
                checked={on === shown.length}
                indeterminate={on > 0 && on < shown.length}
                aria-label={title(g)}
                onClick={(e) => e.stopPropagation()}
                onChange={(e) => {
                  const v = (e.target as HTMLInputElement).checked;
                  for (const l of shown) onChange(l.id, { ...state[l.id], visible: v });
                }}
              />
              <span class="group-title">{title(g)}</span>
              <span class="count">{shown.length}</span>
            </summary>
            {shown.map((l) => (
              <LayerRow key={l.id} layer={l} s={state[l.id]} zoom={zoom} onChange={(s) => onChange(l.id, s)} />
            ))}
          </details>
        );
      })}
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
        <button class="icon expand" aria-expanded={open} title={t('legend')} onClick={() => setOpen(!open)}>
          {open ? '▾' : '▸'}
        </button>
      </div>
      {open && (
        <div class="layer-detail">
          <label class="opacity">
            <span>{t('opacity')}</span>
            <input
              type="range"
              min={0}
              max={100}
              value={Math.round(s.opacity * 100)}
              onInput={(e) => onChange({ ...s, opacity: Number((e.target as HTMLInputElement).value) / 100 })}
            />
            <span class="num">{Math.round(s.opacity * 100)}%</span>
          </label>
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
