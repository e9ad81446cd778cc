/**
 * The clamping circuit's hardware (paper Appendix E.1–E.2, Fig. 9B): the digital
 * potentiometer whose wiper sets η, the label line from the DAC, and the analog feedback
 * that holds the clamped copy's outputs (or, for Equilibrium Propagation, injects currents)
 * from the free outputs it reads. Time is passed in; a call may complete later.
 */
import type { Completion } from '@metatwin/contracts';

export interface ClampingPort {
  /** 'voltage': outputs are held at the returned values; 'current': the returned currents (A) are injected. */
  readonly drives: 'voltage' | 'current';
  /** Move the wiper (η = position / (positions − 1)). */
  setWiper(t_ns: number, position: number, positions: number): Completion<void>;
  /** The label line's voltage, one per task output (V). */
  setLabel(t_ns: number, labels_V: ReadonlyArray<number>): Completion<void>;
  /** The clamped outputs (V) or injected currents (A) for these free output voltages. */
  clamp(t_ns: number, freeOutputs_V: ReadonlyArray<number>): Completion<ReadonlyArray<number>>;
}

export type ClampingCall =
  | { readonly op: 'setWiper'; readonly t_ns: number; readonly position: number; readonly positions: number }
  | {
      readonly op: 'clamp';
      readonly t_ns: number;
      readonly step: number;
      readonly substep: number;
      readonly labels_V: ReadonlyArray<number>;
      readonly freeOutputs_V: ReadonlyArray<number>;
    };

export type ClampingResult =
  | { readonly type: 'WiperSet' }
  | {
      readonly type: 'Clamped';
      readonly t_ns: number;
      readonly step: number;
      readonly substep: number;
      readonly drives: 'voltage' | 'current';
      readonly values: ReadonlyArray<number>;
    };

const WIPER_SET: ClampingResult = Object.freeze({ type: 'WiperSet' });

export function executeClampingCall(port: ClampingPort, c: ClampingCall): Completion<ClampingResult> {
  switch (c.op) {
    case 'setWiper': {
      const moved = port.setWiper(c.t_ns, c.position, c.positions);
      return moved instanceof Promise ? moved.then(() => WIPER_SET) : WIPER_SET;
    }
    case 'clamp': {
      const labelled = port.setLabel(c.t_ns, c.labels_V);
      return labelled instanceof Promise ? labelled.then(() => clamp(port, c)) : clamp(port, c);
    }
    default: {
      const never: never = c;
      throw new Error(`unknown clamping call ${JSON.stringify(never)}`);
    }
  }
}

function clamp(port: ClampingPort, c: ClampingCall & { op: 'clamp' }): Completion<ClampingResult> {
  const values = port.clamp(c.t_ns, c.freeOutputs_V);
  return values instanceof Promise ? values.then((v) => clamped(port, c, v)) : clamped(port, c, values);
}

function clamped(port: ClampingPort, c: ClampingCall & { op: 'clamp' }, values: ReadonlyArray<number>): ClampingResult {
  return { type: 'Clamped', t_ns: c.t_ns, step: c.step, substep: c.substep, drives: port.drives, values };
}
