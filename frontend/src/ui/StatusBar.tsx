import { scaleDenominator } from '../camera';
import { formatDMS, toGK } from '../coords';
import { useI18n } from '../i18n';

interface Props {
  pointer: { lon: number; lat: number } | null;
  zoom: number;
  lat: number;
}

/** Pointer coordinates in lon/lat and Gauss-Krüger, zoom and the numeric scale. */
export function StatusBar({ pointer, zoom, lat }: Props) {
  const { t } = useI18n();
  const gk = pointer ? toGK(pointer.lon, pointer.lat) : null;
  return (
    <footer class="status" aria-live="off">
      {pointer ? (
        <>
          <span class="coord" data-coord="lonlat" title={`${formatDMS(pointer.lon)} ${formatDMS(pointer.lat)}`}>
            {t('lon')} {pointer.lon.toFixed(6)}° {t('lat')} {pointer.lat.toFixed(6)}°
          </span>
          {gk && (
            <span class="coord" data-coord="gk">
              {t('gk')} X {gk.x.toFixed(2)} Y {gk.y.toFixed(2)}（{gk.zone} {t('zone')}）
            </span>
          )}
        </>
      ) : (
        <span class="coord muted">—</span>
      )}
      <span class="spacer" />
      <span>
        {t('zoom')} {zoom.toFixed(1)}
      </span>
      <span data-scale>
        {t('scale')} 1 : {Math.round(scaleDenominator(zoom, lat)).toLocaleString('en-US')}
      </span>
      <span class="muted">CGCS2000</span>
    </footer>
  );
}
