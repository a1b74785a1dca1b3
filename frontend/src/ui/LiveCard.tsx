import { useEffect, useRef, useState } from 'preact/hooks';
import { getJSON } from '../api';
import type { Series } from '../chart';
import { useI18n } from '../i18n';
import type { LiveProps } from '../live';
import { liveCard } from '../livecard';
import { colours, iconURL, sensorColours, symbolOf } from '../livesymbols';

interface Props {
  props: LiveProps;
  /** when the properties arrived, ms */
  at: number;
  /** the live layer's title */
  layerTitle?: string;
}

/** The card of a live object: what it is, its fields by kind and, for a sensor, its last 24 hours. */
export function LiveCard({ props: p, at, layerTitle }: Props) {
  const { t, lang } = useI18n();
  const card = liveCard(p, t, lang, { now: Date.now(), at });
  const icon = iconURL(symbolOf(p)._icon);
  return (
    <div class={`live-card ${card.stale ? 'stale' : ''}`} data-live-id={p.id}>
      <div class="live-head">
        {icon && <img class="live-icon" src={icon} alt="" />}
        <div class="live-name">
          <strong data-field="title">{card.title}</strong>
          <span class="live-kind" title={layerTitle}>
            {card.kind}
          </span>
        </div>
        {card.stale && <span class="live-stale">{t('liveStale')}</span>}
      </div>
      <table>
        <tbody>
          {card.rows.map((r) => (
            <tr key={r.key} data-field={r.key}>
              <th>{r.label}</th>
              <td>
                {r.href ? (
                  <a href={r.href} target="_blank" rel="noopener noreferrer">
                    {r.value}
                  </a>
                ) : (
                  r.value
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {card.chart && <LiveChart sensor={p.id} unit={p.unit} colour={(p.sensor_kind && sensorColours[p.sensor_kind]) || colours.sensor} reading={p.time} />}
    </div>
  );
}

/**
 * The readings of a sensor's last 24 hours (GET /live/observations/{id}?points=200) as a uPlot chart,
 * fetched again when a new reading comes in. uPlot is loaded with the first chart.
 */
function LiveChart({ sensor, unit, colour, reading }: { sensor: string; unit?: string; colour: string; reading: string | null }) {
  const { t } = useI18n();
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<{ destroy(): void } | null>(null);
  const [state, setState] = useState<{ s: 'loading' | 'empty' | 'ok' | 'error'; e?: string }>({ s: 'loading' });
  useEffect(() => {
    const ac = new AbortController();
    Promise.all([getJSON<Series>(`/live/observations/${encodeURIComponent(sensor)}?points=200`, ac.signal), import('../chart')])
      .then(([series, m]) => {
        if (ac.signal.aborted || !el.current) return;
        chart.current?.destroy();
        chart.current = null;
        if (!series.points.length) return setState({ s: 'empty' });
        const width = Math.max(200, el.current.clientWidth || 296);
        chart.current = m.drawChart(el.current, series, { width, height: 150, colour, label: series.unit ?? unit });
        setState({ s: 'ok' });
      })
      .catch((e: Error) => {
        if (e.name !== 'AbortError') setState({ s: 'error', e: e.message });
      });
    return () => ac.abort();
  }, [sensor, reading]);
  useEffect(() => () => chart.current?.destroy(), []);
  return (
    <section class="live-chart" data-state={state.s}>
      <h3>{t('liveChart')}</h3>
      <div ref={el} class="live-chart-plot" />
      {state.s === 'loading' && <p class="hint">{t('liveChartLoading')}</p>}
      {state.s === 'empty' && <p class="hint">{t('liveChartEmpty')}</p>}
      {state.s === 'error' && <p class="hint error">{t('liveChartFailed', { e: state.e ?? '' })}</p>}
    </section>
  );
}
