/**
 * The supervisor's hardware (the Arduino's outputs, paper Appendix E.3): the DAC channels,
 * the global learn-enable line, the clamp's digital potentiometer and the demux address
 * lines. Time is passed in (simulated ns); a call may complete later, as a serial bridge
 * answers in milliseconds — the simulation answers at once, with no promise.
 */
import type { Completion } from '@metatwin/contracts';

/** A voltage wanted on a DAC channel. */
export interface DacRequest {
  readonly channel: number;
  readonly volts: number;
}

/** What a channel was set to: its 8-bit code, and the exact volts when the DAC is ideal. */
export interface DacWrite {
  readonly channel: number;
  readonly code: number;
  readonly volts?: number;
}

export interface WiperSetting {
  readonly position: number;
  readonly positions: number;
}

export interface SupervisorPort {
  /** Set DAC channels (one latch of the shift registers); returns the codes written. */
  writeDac(t_ns: number, writes: ReadonlyArray<DacRequest>): Completion<ReadonlyArray<DacWrite>>;
  /** Learn-enable on for `duration_ns`, then off again (timed by the controller). */
  pulseLearnEnable(t_ns: number, duration_ns: number): Completion<void>;
  /** Move the clamp's potentiometer wiper to realise η as closely as its positions allow. */
  setPotentiometer(t_ns: number, eta: number): Completion<WiperSetting>;
  /** Put a 5-bit address on the demultiplexers. */
  selectDemux(t_ns: number, address: number): Completion<void>;
}

/** Why the supervisor calls its port; each result comes back to the decider as an input. */
export type SupervisorCall =
  | { readonly op: 'writeDac'; readonly t_ns: number; readonly writes: ReadonlyArray<DacRequest>; readonly purpose: DacPurpose }
  /** A training step: latch the datapoint's inputs and label, then pulse learn-enable. */
  | { readonly op: 'driveStep'; readonly t_ns: number; readonly step: number; readonly writes: ReadonlyArray<DacRequest>; readonly duration_ns: number }
  | { readonly op: 'setPotentiometer'; readonly t_ns: number; readonly eta: number }
  | { readonly op: 'selectDemux'; readonly t_ns: number; readonly step: number; readonly datapoint: number; readonly address: number };

/** What a DAC write outside a training step is for: the rails before the run, or a test datapoint's inputs. */
export type DacPurpose = { readonly kind: 'setup' } | { readonly kind: 'test'; readonly step: number; readonly datapoint: number };

export type SupervisorResult =
  | { readonly type: 'DacWrote'; readonly t_ns: number; readonly writes: ReadonlyArray<DacWrite>; readonly purpose: DacPurpose }
  | { readonly type: 'StepDriven'; readonly t_ns: number; readonly step: number; readonly writes: ReadonlyArray<DacWrite>; readonly duration_ns: number }
  | { readonly type: 'WiperMoved'; readonly t_ns: number; readonly setting: WiperSetting; readonly eta: number }
  | { readonly type: 'DemuxSet'; readonly t_ns: number; readonly step: number; readonly datapoint: number; readonly address: number };

/** Carry out one call on the port; the result (now or later) is the decider's next input. No closure on the synchronous path. */
export function executeSupervisorCall(port: SupervisorPort, c: SupervisorCall): Completion<SupervisorResult> {
  switch (c.op) {
    case 'writeDac': {
      const writes = port.writeDac(c.t_ns, c.writes);
      return writes instanceof Promise ? writes.then((w) => dacWrote(c, w)) : dacWrote(c, writes);
    }
    case 'driveStep': {
      const writes = port.writeDac(c.t_ns, c.writes);
      return writes instanceof Promise ? writes.then((w) => pulse(port, c, w)) : pulse(port, c, writes);
    }
    case 'setPotentiometer': {
      const setting = port.setPotentiometer(c.t_ns, c.eta);
      return setting instanceof Promise ? setting.then((x) => wiperMoved(c, x)) : wiperMoved(c, setting);
    }
    case 'selectDemux': {
      const selected = port.selectDemux(c.t_ns, c.address);
      return selected instanceof Promise ? selected.then(() => demuxSet(c)) : demuxSet(c);
    }
    default: {
      const never: never = c;
      throw new Error(`unknown supervisor call ${JSON.stringify(never)}`);
    }
  }
}

type CallOf<K extends SupervisorCall['op']> = SupervisorCall & { op: K };
const dacWrote = (c: CallOf<'writeDac'>, writes: ReadonlyArray<DacWrite>): SupervisorResult => ({ type: 'DacWrote', t_ns: c.t_ns, writes, purpose: c.purpose });
function pulse(port: SupervisorPort, c: CallOf<'driveStep'>, writes: ReadonlyArray<DacWrite>): Completion<SupervisorResult> {
  const pulsed = port.pulseLearnEnable(c.t_ns, c.duration_ns);
  return pulsed instanceof Promise ? pulsed.then(() => stepDriven(c, writes)) : stepDriven(c, writes);
}
const stepDriven = (c: CallOf<'driveStep'>, writes: ReadonlyArray<DacWrite>): SupervisorResult => ({
  type: 'StepDriven',
  t_ns: c.t_ns,
  step: c.step,
  writes,
  duration_ns: c.duration_ns,
});
const wiperMoved = (c: CallOf<'setPotentiometer'>, setting: WiperSetting): SupervisorResult => ({ type: 'WiperMoved', t_ns: c.t_ns, setting, eta: c.eta });
const demuxSet = (c: CallOf<'selectDemux'>): SupervisorResult => ({ type: 'DemuxSet', t_ns: c.t_ns, step: c.step, datapoint: c.datapoint, address: c.address });
