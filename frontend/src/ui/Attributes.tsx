import { useEffect, useState } from 'preact/hooks';
import type { Identified, LayerNode } from '../api';
import { useI18n, type T } from '../i18n';

type CardModule = typeof import('./LiveCard');
let cardModule: Promise<CardModule> | undefined;
let cardLoaded: CardModule | undefined;

/** A live object's card, whose code (and the tables it reads) is loaded with the first card. */
function LiveCard(props: Parameters<CardModule['LiveCard']>[0]) {
  const { t } = useI18n();
  const [mod, setMod] = useState<CardModule | { error: string } | undefined>(cardLoaded);
  useEffect(() => {
    if (cardLoaded) return;
    let mounted = true;
    (cardModule ??= import('./LiveCard')).then(
      (m) => {
        cardLoaded = m;
        if (mounted) setMod(m);
      },
      (e: Error) => {
        cardModule = undefined;
        if (mounted) setMod({ error: e.message });
      },
    );
    return () => {
      mounted = false;
    };
  }, []);
  if (!mod) return <p class="empty">{t('loading')}</p>;
  if ('error' in mod) return <p class="empty">{mod.error}</p>;
  return <mod.LiveCard {...props} />;
}

interface Props {
  features: Identified[];
  index: number;
  layers: Map<string, LayerNode>;
  onIndex: (i: number) => void;
  onClose: () => void;
}

/**
 * The attributes panel shared by 2D identify and 3D pick: field names from the catalog, in the UI's
 * language; a live object shows as its card.
 */
export function Attributes({ features, index, layers, onIndex, onClose }: Props) {
  const { t, title, lang } = useI18n();
  const f = features[index];
  const layer = f ? layers.get(f.layer) : undefined;
  const rows: [string, string][] = [];
  if (f && !f.live) {
    const known = new Set<string>();
    for (const p of layer?.properties ?? []) {
      known.add(p.name);
      if (p.name in f.properties) rows.push([lang === 'en' ? p.title_en : p.title_zh, format(f.properties[p.name], t)]);
    }
    // Attributes the catalog does not describe (3D tiles carry more) keep their own names.
    for (const [k, v] of Object.entries(f.properties)) {
      if (!known.has(k) && v !== null && v !== undefined && v !== '' && typeof v !== 'object') rows.push([k, format(v, t)]);
    }
  }
  return (
    <aside class="panel attributes" aria-label={t('attributes')}>
      <header>
        <h2>{t('attributes')}</h2>
        {features.length > 1 && (
          <span class="pager">
            <button class="icon" disabled={index === 0} onClick={() => onIndex(index - 1)} aria-label="‹">
              ‹
            </button>
            {index + 1} / {features.length}
            <button class="icon" disabled={index === features.length - 1} onClick={() => onIndex(index + 1)} aria-label="›">
              ›
            </button>
          </span>
        )}
        <button class="icon close" onClick={onClose} aria-label={t('close')} title={t('close')}>
          ×
        </button>
      </header>
      {!f ? (
        <p class="empty">{t('noAttributes')}</p>
      ) : f.live ? (
        <LiveCard props={f.live.props} at={f.live.at} layerTitle={layer ? title(layer) : undefined} />
      ) : (
        <table>
          <tbody>
            <tr>
              <th>{t('layer')}</th>
              <td data-field="layer">{layer ? title(layer) : f.title ? title(f.title) : f.layer}</td>
            </tr>
            <tr>
              <th>{t('featureId')}</th>
              <td data-field="id">{f.id === undefined ? '—' : String(f.id)}</td>
            </tr>
            {f.inModel && (
              <>
                <tr>
                  <th>{t('inModel')}</th>
                  <td data-field="model">{f.inModel.title ? title(f.inModel.title) : f.inModel.name}</td>
                </tr>
                {f.inModel.min !== undefined && f.inModel.max !== undefined && (
                  <tr>
                    <th>{t('meshHeight')}</th>
                    <td data-field="mesh-height" data-min={f.inModel.min.toFixed(2)} data-max={f.inModel.max.toFixed(2)}>
                      {(f.inModel.max - f.inModel.min).toFixed(1)} m（{f.inModel.min.toFixed(1)}–{f.inModel.max.toFixed(1)} m）
                    </td>
                  </tr>
                )}
              </>
            )}
            {rows.map(([k, v]) => (
              <tr key={k}>
                <th>{k}</th>
                <td>{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </aside>
  );
}

function format(v: unknown, t: T): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'boolean') return v ? t('yes') : t('no');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toLocaleString(undefined, { maximumFractionDigits: 3 });
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}
