/** What the report specs check of every figure file: real SVG with drawn marks and balanced groups. */
import { readFileSync } from 'node:fs';

export function expectSvg(path: string): string {
  const svg = readFileSync(path, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
  expect(svg).toMatch(/<path|<rect/);
  // Balanced tags are a cheap stand-in for "parses as XML".
  expect((svg.match(/<g\b/g) ?? []).length).toBe((svg.match(/<\/g>/g) ?? []).length);
  return svg;
}
