import { useEffect, useRef, useState } from 'preact/hooks';
import { parseCoordinate } from '../coords';
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
}

/** The search box: coordinates typed as lon/lat or Gauss-Krüger X/Y are read in the browser. */
export function SearchBox({ onPick }: Props) {
  const { t } = useI18n();
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
    const out: SearchHit[] = [];
    const c = parseCoordinate(text);
    if (c) out.push({ key: 'coord', title: c.label, subtitle: t('coordinate'), lon: c.lon, lat: c.lat });
    setHits(out);
    setActive(0);
  }, [q, t]);

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
          {hits.length === 0 && <li class="empty">{t('noResults')}</li>}
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
