/**
 * What the report specs check of every figure file: real SVG with drawn marks and balanced
 * groups. Plain throws rather than jest's expect: this file is compiled with the libs.
 */
import { readFileSync } from 'node:fs';

export function expectSvg(path: string): string {
  const svg = readFileSync(path, 'utf8');
  const fail = (what: string): never => {
    throw new Error(`${path}: ${what}`);
  };
  if (!svg.startsWith('<svg')) fail('does not start with <svg');
  if (!svg.trimEnd().endsWith('</svg>')) fail('does not end with </svg>');
  if (!/<path|<rect/.test(svg)) fail('draws no marks (no <path> or <rect>)');
  // Balanced tags are a cheap stand-in for "parses as XML".
  const opened = (svg.match(/<g\b/g) ?? []).length;
  const closed = (svg.match(/<\/g>/g) ?? []).length;
  if (opened !== closed) fail(`opens ${opened} <g> and closes ${closed}`);
  return svg;
}
