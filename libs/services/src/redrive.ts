/**
 * Re-driving the edge physics from a run's log: its inputs — the supervisor's logged signals
 * in the supervisor's own order, and the clamp's logged answers — through a fresh edge host
 * with the adapter the run used. The physics is deterministic, so this rebuilds the gates,
 * the learning time, the damage and every datapoint's Newton warm start bit for bit: a
 * restarted edge physics recovers this way, and `replay --verify` checks a log with it.
 *
 * Where the log lacks a clamp answer (a clamp killed before it recorded it), a private
 * clamping host on the run's clamp adapter answers instead, from the same logged supervisor
 * signals; the report counts how many answers came from where.
 */
import { unreadableRun, type AdapterChoice, type Signal } from '@metatwin/contracts';
import { ADAPTER_ENV, createClampingHost, createEdgePhysicsHost, type EdgePhysicsHost } from './factory';

export interface RedriveOptions {
  /** Stop at the first step or test marker beyond this step (the last step a dead process applied). */
  readonly lastStep?: number;
  /** Each re-driven step's gates, as the edge emits them. */
  readonly onGates?: (signal: Signal<'GatesEvolved'>) => void;
}

export interface Redriven {
  /** The edge host holding the re-driven run. */
  readonly host: EdgePhysicsHost;
  readonly runId: string;
  readonly clampAnswersFromLog: number;
  readonly clampAnswersReconstructed: number;
}

/** The adapter a source ran on, as its PortBound says (or the run's rig for logs without one). */
function loggedAdapter(logged: ReadonlyArray<Signal>, source: Signal['meta']['source']): AdapterChoice | undefined {
  for (const s of logged) if (s.type === 'PortBound' && s.meta.source === source) return s.data.adapter;
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  return created?.data.experiment.rig[source];
}

export function redriveEdge(logged: ReadonlyArray<Signal>, options: RedriveOptions = {}): Redriven {
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new Error('the log holds no RunCreated');
  const unreadable = unreadableRun(created);
  if (unreadable) throw new Error(unreadable);
  const runId = created.meta.runId;
  const answers = new Map<string, Signal<'ClampOutputSet'>>();
  for (const s of logged) if (s.type === 'ClampOutputSet' && s.meta.source === 'clamping') answers.set(`${s.data.step}:${s.data.substep}`, s);
  const pin = (source: 'edge-physics' | 'clamping'): Record<string, string> => {
    const adapter = loggedAdapter(logged, source);
    return adapter === undefined ? {} : { [ADAPTER_ENV[source]]: adapter };
  };
  let fromLog = 0;
  let reconstructed = 0;
  const clamp = createClampingHost({
    env: pin('clamping'),
    publish: (s) => {
      if (s.type !== 'ClampOutputSet') return;
      reconstructed++;
      edge.handle(s);
    },
  });
  const edge: EdgePhysicsHost = createEdgePhysicsHost({
    env: pin('edge-physics'),
    publish: (s) => {
      if (s.type === 'FreeOutputMeasured') {
        const answer = answers.get(`${s.data.step}:${s.data.substep}`);
        if (answer) {
          fromLog++;
          clamp.handle(answer); // lets the private clamp forget labels it will not need
          edge.handle(answer);
        } else clamp.handle(s);
      } else if (s.type === 'GatesEvolved') options.onGates?.(s);
    },
  });
  // The supervisor's own order (its sequence numbers), not the log's merge by time.
  const supervisor = logged.filter((s) => s.meta.source === 'supervisor').sort((a, b) => a.meta.seq - b.meta.seq);
  const last = options.lastStep ?? Infinity;
  for (const s of supervisor) {
    if ((s.type === 'StepStarted' || s.type === 'TestStepStarted') && s.data.step > last) break;
    if (s.type === 'RunFinished' || s.type === 'RunAborted') break;
    // A cancel and a resume change what the supervisor sends, not what the network did.
    if (s.type === 'RunCancelled' || s.type === 'RunResumed') continue;
    edge.handle(s);
    clamp.handle(s);
  }
  return { host: edge, runId, clampAnswersFromLog: fromLog, clampAnswersReconstructed: reconstructed };
}
