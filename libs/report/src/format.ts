/**
 * Number, time and text formatting shared by the figures and the HTML page. Values arrive
 * in SI units (V, s, W, J) from result.json; the page shows them in the units the paper
 * quotes (mV, µW per edge, pJ per edge) so a reader can compare with it directly.
 */

/** Significant-figure formatting that never prints "-0" and keeps tiny values readable. */
export function formatSig(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  // Exponent form outside 1e-3…1e5 keeps table cells short and unambiguous.
  if (magnitude < 1e-3 || magnitude >= 1e5) return value.toExponential(digits - 1);
  return Number(value.toPrecision(digits)).toString();
}

/** A duration in seconds with an SI prefix chosen so the mantissa is in [1, 1000). */
export function formatTime_s(t_s: number): string {
  if (!Number.isFinite(t_s)) return `${t_s} s`;
  if (t_s === 0) return '0 s';
  const magnitude = Math.abs(t_s);
  if (magnitude >= 1) return `${formatSig(t_s)} s`;
  if (magnitude >= 1e-3) return `${formatSig(t_s * 1e3)} ms`;
  if (magnitude >= 1e-6) return `${formatSig(t_s * 1e6)} µs`;
  return `${formatSig(t_s * 1e9)} ns`;
}

/** Volts shown in millivolts with a fixed number of decimals (outputs and labels are ~0.1 V). */
export function formatMilliVolts(v_V: number, decimals = 1): string {
  const mV = v_V * 1e3;
  const text = mV.toFixed(decimals);
  return `${Number(text) === 0 ? (0).toFixed(decimals) : text} mV`;
}

/** Input voltages as axis categories: two decimals in volts, as the paper writes 0.45 V. */
export function formatInput_V(v_V: number): string {
  const text = v_V.toFixed(2);
  return Number(text) === 0 ? '0.00' : text;
}

export function arithmeticMean(values: ReadonlyArray<number>): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML content and attribute values (experiment names are user input). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}
