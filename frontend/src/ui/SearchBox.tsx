import { useEffect, useRef, useState } from 'preact/hooks';
import { search } from '../api';
import { loadGK, parseCoordinate } from '../coords';
import { useI18n } from '../i18n';

export interface SearchHit {
  key: string;
  title: string;
  subtitle?: string;
  lon: number;
  lat: number;
  bbox?: [number, number, number, number];
}

interface Props {
  onPick: (hit: SearchHit) => void;
  onError: (message: string) => void;
}

/**
 * The search box: places, roads and features through GET /search (as you type), and coordinates typed
 * as lon/lat or Gauss-Krüger X/Y, read in the browser.
 */
export function SearchBox({ onPick, onError }: Props) {
  const { t, lang } = useI18n();
  const [busy, setBusy] = useState(false);
  const [q, setQ] = useState('');
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [active, setActive] = useState(0);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const text = q.trim();
    if (!text) {
      setHits(null);
      return;
    }
    const ac = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    // Gauss-Krüger input needs the projection code, loaded after the first view; without it (it failed
    // to load) the text is still searched for.
    loadGK()
      .catch(() => {})
      .then(() => {
        if (ac.signal.aborted) return;
        const c = parseCoordinate(text);
        const local: SearchHit[] = c ? [{ key: 'coord', title: c.label, subtitle: t('coordinate'), lon: c.lon, lat: c.lat }] : [];
        setHits(local);
        setActive(0);
        if (c) return;
        timer = setTimeout(() => {
          setBusy(true);
          search(text, ac.signal, lang)
            .then((rs) => {
              setHits([...local, ...rs.map((r) => ({ key: r.key, title: r.label, subtitle: r.layerTitle, lon: r.lon, lat: r.lat, bbox: r.bbox }))]);
            })
            .catch((e: Error) => {
              if (e.name !== 'AbortError') onError(e.message);
            })
            .finally(() => setBusy(false));
        }, 200);
      });
    return () => {
      clearTimeout(timer);
      ac.abort();
    };
  }, [q, t, lang]);

  useEffect(() => {
    const close = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setHits(null);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, []);

  const pick = (h: SearchHit) => {
    onPick(h);
    setHits(null);
  };

  return (
    <div class="search" ref={box} role="search">
      <input
        type="search"
        value={q}
        placeholder={t('search')}
        aria-label={t('search')}
        onInput={(e) => setQ((e.target as HTMLInputElement).value)}
        onKeyDown={(e) => {
          if (!hits?.length) return;
          if (e.key === 'ArrowDown') setActive((active + 1) % hits.length);
          else if (e.key === 'ArrowUp') setActive((active + hits.length - 1) % hits.length);
          else if (e.key === 'Enter') pick(hits[active]);
          else if (e.key === 'Escape') setHits(null);
          else return;
          e.preventDefault();
        }}
      />
      {hits && (
        <ul class="search-results" role="listbox">
          {hits.length === 0 && <li class="empty">{busy ? t('searching') : t('noResults')}</li>}
          {hits.map((h, i) => (
            <li key={h.key} role="option" aria-selected={i === active} class={i === active ? 'active' : ''} onMouseDown={() => pick(h)}>
              <span class="hit-title">{h.title}</span>
              {h.subtitle && <span class="hit-sub">{h.subtitle}</span>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
