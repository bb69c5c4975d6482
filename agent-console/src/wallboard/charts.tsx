import { useSlaText } from './messages';

/** Thresholds of a compliance share: at or above `ok` green, at or above `warn` amber, below red. */
export const COMPLIANCE_THRESHOLDS = { ok: 0.95, warn: 0.85 };

export type Level = 'ok' | 'warn' | 'bad';

/** The level of a share (null: nothing decided, shown neutral). */
export function levelOf(share: number | null, t = COMPLIANCE_THRESHOLDS): Level | null {
  if (share === null) return null;
  return share >= t.ok ? 'ok' : share >= t.warn ? 'warn' : 'bad';
}

const ICON: Record<Level, string> = { ok: '✓', warn: '▲', bad: '✕' };

/** A level as an icon and a word beside its colour (never colour alone). */
export function LevelTag({ level }: { level: Level }) {
  const t = useSlaText();
  return (
    <span className={`wb-tag wb-${level}`}>
      <span aria-hidden="true">{ICON[level]} </span>
      {t(`wb.level.${level}`)}
    </span>
  );
}

/** A horizontal gauge of met / (met + missed), with the figure and the level in words. */
export function ComplianceGauge({ label, met, breached, share }: { label: string; met: number; breached: number; share: number | null }) {
  const t = useSlaText();
  const level = levelOf(share);
  const pct = share === null ? 0 : Math.round(share * 1000) / 10;
  return (
    <figure className="wb-gauge" aria-label={label}>
      <figcaption>
        <strong>{label}</strong> {share === null ? <span className="muted">{t('wb.noData')}</span> : <>{pct}% {level && <LevelTag level={level} />}</>}
      </figcaption>
      <svg viewBox="0 0 100 8" preserveAspectRatio="none" role="img" aria-label={`${pct}%`}>
        <rect x="0" y="0" width="100" height="8" className="wb-gauge-bg" />
        <rect x="0" y="0" width={pct} height="8" className={`wb-fill-${level ?? 'none'}`} />
        <line x1={COMPLIANCE_THRESHOLDS.ok * 100} x2={COMPLIANCE_THRESHOLDS.ok * 100} y1="0" y2="8" className="wb-mark" />
      </svg>
      <small className="muted">
        {met} {t('rep.met')} · {breached} {t('rep.missed')}
      </small>
    </figure>
  );
}

/** Grouped bars (one group per label, one bar per series) drawn in SVG, with the values written on the bars. */
export function BarChart({ title, labels, series }: { title: string; labels: string[]; series: { name: string; className: string; values: number[] }[] }) {
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const groupW = 100 / Math.max(1, labels.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  const H = 60;
  return (
    <figure className="wb-chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 100 ${H + 12}`} role="img" aria-label={title}>
        {labels.map((label, i) =>
          series.map((s, j) => {
            const v = s.values[i] ?? 0;
            const h = (v / max) * (H - 8);
            const x = i * groupW + groupW * 0.1 + j * barW;
            return (
              <g key={`${label}-${s.name}`}>
                <rect x={x} y={H - h} width={barW * 0.9} height={h} className={s.className}>
                  <title>{`${label} · ${s.name}: ${v}`}</title>
                </rect>
                <text x={x + barW * 0.45} y={H - h - 1} textAnchor="middle" className="wb-bar-value">
                  {v}
                </text>
              </g>
            );
          }),
        )}
        {labels.map((label, i) => (
          <text key={label} x={i * groupW + groupW / 2} y={H + 8} textAnchor="middle" className="wb-axis">
            {label}
          </text>
        ))}
      </svg>
      <p className="wb-legend">
        {series.map((s) => (
          <span key={s.name}>
            <svg width="10" height="10" aria-hidden="true">
              <rect width="10" height="10" className={s.className} />
            </svg>{' '}
            {s.name}{' '}
          </span>
        ))}
      </p>
    </figure>
  );
}
