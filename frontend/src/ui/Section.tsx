import { useEffect, useState } from 'preact/hooks';
import { formatLength } from '../geodesy';
import { useI18n } from '../i18n';
import { fetchSection, type SectionSummary } from '../section';

interface Props {
  points: [number, number][];
  onClose: () => void;
}

type State = { loading: true } | { error: string } | { summary: SectionSummary; url: string };

/** The section panel: the server's drawing of the section along points, what it cuts, a download. */
export function SectionPanel({ points, onClose }: Props) {
  const { t, lang } = useI18n();
  const [state, setState] = useState<State>({ loading: true });
  useEffect(() => {
    const ac = new AbortController();
    let url = '';
    setState({ loading: true });
    fetchSection(points, ac.signal).then(
      ({ summary, svg }) => {
        url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
        setState({ summary, url });
      },
      (e: Error) => {
        if (!ac.signal.aborted) setState({ error: e.message });
      },
    );
    return () => {
      ac.abort();
      if (url) URL.revokeObjectURL(url);
    };
  }, [points]);

  return (
    <div class="panel section-panel" data-testid="section" data-state={'loading' in state ? 'loading' : 'error' in state ? 'error' : 'ready'}>
      <header>
        <h2>{t('section')}</h2>
        {'summary' in state && (
          <p class="section-summary" data-boreholes={state.summary.boreholes.join(' ')} data-strata={state.summary.strata} data-pipes={state.summary.pipes}>
            {t('sectionLength')} {formatLength(state.summary.length, lang)} · {t('sectionStrata')} {state.summary.strata} · {t('sectionBoreholes')}{' '}
            {state.summary.boreholes.length} · {t('sectionPipes')} {state.summary.pipes}
          </p>
        )}
        <span class="spacer" />
        {'url' in state && (
          <a class="button" href={state.url} download="section.svg" data-testid="section-download">
            {t('downloadSvg')}
          </a>
        )}
        <button onClick={onClose} aria-label={t('close')}>
          {t('close')}
        </button>
      </header>
      {'loading' in state && <p class="muted">{t('loading')}</p>}
      {'error' in state && <p class="error">{state.error}</p>}
      {'summary' in state &&
        (state.summary.strata + state.summary.boreholes.length + state.summary.pipes === 0 ? (
          <p class="muted">{t('sectionEmpty')}</p>
        ) : (
          <img src={state.url} alt={t('section')} data-testid="section-svg" />
        ))}
    </div>
  );
}
