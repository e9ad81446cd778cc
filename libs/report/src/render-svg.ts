/**
 * Vega-Lite spec → SVG markup, headless. Vega's SVG renderer numbers its clip paths and
 * gradients from 1 in every view, so two figures inlined in one HTML page would share ids
 * and the browser would clip the second figure with the first one's rectangle; each SVG's
 * ids are therefore prefixed with the figure name.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Vega-only settings Vega-Lite cannot express: legends under a panel stack vertically, so a
 * panel with two legends (colour and width) does not grow sideways and push its neighbours.
 */
const VEGA_CONFIG: vega.Config = { legend: { layout: { bottom: { direction: 'vertical', anchor: 'start' } } } };

/** Compile and render one figure; warnings from Vega-Lite are returned, not printed. */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = collectingLogger(warnings);
  const compiled = compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled, VEGA_CONFIG), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    return { svg: namespaceSvgIds(svg, idPrefix), warnings };
  } finally {
    view.finalize();
  }
}

/** Prefix every id defined in `svg` and every reference to it (url(#…), href="#…"). */
export function namespaceSvgIds(svg: string, prefix: string): string {
  const safe = prefix.replace(/[^A-Za-z0-9_-]/g, '-');
  const ids = new Set<string>();
  for (const m of svg.matchAll(/\sid="([^"]+)"/g)) ids.add(m[1]);
  if (ids.size === 0) return svg;
  const rename = (id: string): string => (ids.has(id) ? `${safe}-${id}` : id);
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}${rename(id)}${b}`)
    .replace(/url\(#([^)]+)\)/g, (_m, id: string) => `url(#${rename(id)})`)
    .replace(/(href=")#([^"]+)(")/g, (_m, a: string, id: string, b: string) => `${a}#${rename(id)}${b}`);
}

/** Vega's own logger at warning level, with its handler redirected into `sink`. */
function collectingLogger(sink: string[]): vega.LoggerInterface {
  return vega.logger(vega.Warn, undefined, (_method, level, input) => {
    sink.push(`${level}: ${Array.from(input, String).join(' ')}`);
  });
}
