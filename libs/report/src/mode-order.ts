/**
 * The mode-order rule as `summarise` (libs/experiments) applies it, restated for the page so a
 * reader can check "in order" against the half-times: which modes the rule judges, which it
 * leaves out because there was almost nothing of them to learn, and the rule in words. The
 * present/absent test is the analysis library's own (`presentModes`), not a copy of it.
 */
import { DEFAULT_PRESENT_FRACTION, presentModes } from '@metatwin/analysis';
import type { RunResult } from '@metatwin/experiments';
import { formatSig } from './format';

/** How many leading modes a task with other than two inputs is judged on (summarise's names.slice(0, 3)). */
export const SEQUENCE_MODES = 3;

export interface LeftOutMode {
  readonly name: string;
  /** |mode| at the first test over the norm of every mode there (0…1). */
  readonly share: number;
}

export interface ModeOrderRule {
  /** Present modes the rule reads, in name order. */
  readonly judged: string[];
  /** Modes below DEFAULT_PRESENT_FRACTION of the initial error norm at the first test. */
  readonly leftOut: LeftOutMode[];
  /** The rule in one sentence, with this run's mode names. */
  readonly text: string;
}

function percent(fraction: number): string {
  return `${formatSig(100 * fraction, 2)} %`;
}

/** "5 %": the presence threshold as the page prints it. */
export function presentThreshold(): string {
  return percent(DEFAULT_PRESENT_FRACTION);
}

/** The rule that decided `summary.modesInOrder`; null for a run without modes (a classification). */
export function modeOrderRule(run: Pick<RunResult, 'log' | 'modeNames' | 'inputs'>): ModeOrderRule | null {
  const names = run.modeNames;
  if (names.length === 0 || run.log.length === 0) return null;
  const present = presentModes(run.log, names);
  const first = run.log[0].modes;
  const norm = Math.sqrt(names.reduce((s, n) => s + (first[n] ?? 0) ** 2, 0));
  const leftOut = names.filter((n) => !present.includes(n)).map((name) => ({ name, share: norm > 0 ? Math.abs(first[name] ?? 0) / norm : 0 }));
  const threshold = percent(DEFAULT_PRESENT_FRACTION);
  const twoInputs = (run.inputs[0]?.length ?? 0) === 2;
  if (twoInputs) {
    // fellFirstAndLast: every present mode counts; only E00 and E11 have a fixed place.
    return {
      judged: present,
      leftOut,
      text:
        `two inputs: E00 must fall first and E11 last — E11 must fall, no other present mode may fall before E00 or after E11, and every other present mode must fall; ` +
        `a mode is present when its magnitude at the first test is at least ${threshold} of the initial error norm, and "falls" when its magnitude first drops below half its start`,
    };
  }
  const sequence = names.slice(0, SEQUENCE_MODES);
  const inputs = run.inputs[0]?.length ?? 0;
  return {
    judged: sequence.filter((n) => present.includes(n)),
    leftOut,
    text:
      `${inputs === 1 ? 'one input' : `${inputs} inputs`}: the first ${SEQUENCE_MODES} modes (${sequence.join(', ')}) that are present must each fall, in that sequence (half-times not decreasing); ` +
      `modes after them are not judged; a mode is present when its magnitude at the first test is at least ${threshold} of the initial error norm, and "falls" when its magnitude first drops below half its start`,
  };
}

/** "E3 (2.1 % of the initial error norm)"; "none" when every mode was present. */
export function leftOutText(rule: ModeOrderRule): string {
  if (rule.leftOut.length === 0) return `none (every mode started at ${percent(DEFAULT_PRESENT_FRACTION)} or more of the initial error norm)`;
  const list = rule.leftOut.map((m) => `${m.name} (${percent(m.share)} of the initial error norm)`).join(', ');
  return `${list}: below ${percent(DEFAULT_PRESENT_FRACTION)} at the start, so there was almost nothing of ${rule.leftOut.length === 1 ? 'it to learn and its half-time' : 'them to learn and their half-times'} would only time noise`;
}
