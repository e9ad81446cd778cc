/**
 * The clamping port as a mirror: it drives the clamped outputs at the free outputs it is
 * given (η = 0: no nudge, so the gates only move by learning-rule offsets) and keeps every
 * command in a journal for plumbing tests.
 */
import { clampDrives, type Experiment } from '@metatwin/contracts';
import type { ClampingPort } from '../port';

export type ClampingCommandRecord =
  | { readonly op: 'setWiper'; readonly t_ns: number; readonly position: number; readonly positions: number }
  | { readonly op: 'setLabel'; readonly t_ns: number; readonly labels_V: ReadonlyArray<number> }
  | { readonly op: 'clamp'; readonly t_ns: number; readonly freeOutputs_V: ReadonlyArray<number> };

export class ClampingMirror implements ClampingPort {
  readonly drives: 'voltage' | 'current';
  readonly journal: ClampingCommandRecord[] = [];

  constructor(exp: Experiment) {
    this.drives = clampDrives(exp.clamp);
  }

  setWiper(t_ns: number, position: number, positions: number): void {
    this.journal.push({ op: 'setWiper', t_ns, position, positions });
  }

  setLabel(t_ns: number, labels_V: ReadonlyArray<number>): void {
    this.journal.push({ op: 'setLabel', t_ns, labels_V });
  }

  clamp(t_ns: number, freeOutputs_V: ReadonlyArray<number>): ReadonlyArray<number> {
    this.journal.push({ op: 'clamp', t_ns, freeOutputs_V });
    // Voltage clamp: hold the outputs where they are; current clamp: inject nothing.
    return this.drives === 'voltage' ? freeOutputs_V : freeOutputs_V.map(() => 0);
  }
}
