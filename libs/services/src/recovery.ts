/**
 * Taking an unfinished run on again after a restart, from its log alone. Every service's
 * state is the fold of the logged signals through its decider's evolve; what a port holds
 * is rebuilt by what that port needs: the edge physics re-drives its logged inputs
 * (redrive.ts) — or, on hardware, takes the board up as it is, the clamp's wiper is set again from the last logged PotentiometerSet, the
 * measurement reads what an open test still lacks, and the supervisor sends again from the
 * first step missing from the log. Returns the step the service needs next.
 */
import { decodeFloat64, unreadableRun, type Signal } from '@metatwin/contracts';
import type { EdgePhysicsState } from '@metatwin/edge-physics';
import { resumeSupervisor } from '@metatwin/supervisor';
import { isBridge, type AnyHost, type ClampingHost, type EdgePhysicsHost, type MeasurementHost, type SupervisorHost } from './factory';
import { redriveEdge } from './redrive';

export interface Recovered {
  readonly resumeFrom: number;
  /** Edge physics: re-driven steps whose gates differ from the logged ones (0 for a simulated edge). */
  readonly mismatchedSteps: number;
  /** Edge physics: the snapshot's step the re-drive started from (−1: the start of the run). */
  readonly redrivenFrom?: number;
  /** Edge physics on hardware: the board was taken up as it is, nothing re-driven. */
  readonly onHardware?: boolean;
}

/**
 * `logged`: the run's signals — all of them, or its tail (readRunTail), which starts after
 * the snapshotted step `tailAfterStep`.
 */
export function recoverRun(host: AnyHost, logged: ReadonlyArray<Signal>, lastSeq: number, tailAfterStep = -1): Recovered {
  const created = logged.find((s): s is Signal<'RunCreated'> => s.type === 'RunCreated');
  if (!created) throw new Error('the log holds no RunCreated');
  const unreadable = unreadableRun(created);
  if (unreadable) throw new Error(unreadable);
  switch (host.source) {
    case 'edge-physics':
      return recoverEdge(host as EdgePhysicsHost, created, logged, lastSeq, tailAfterStep);
    case 'supervisor': {
      const h = host as SupervisorHost;
      h.restore(created, logged, lastSeq);
      // A loop, not Math.max(...steps): a long run has more steps than a call has room for arguments.
      // A tail holds no StepStarted up to its snapshotted step: those were all logged.
      let lastLogged = tailAfterStep;
      for (const s of logged) if (s.type === 'StepStarted' && s.data.step > lastLogged) lastLogged = s.data.step;
      h.adjust(created.meta.runId, (s) => resumeSupervisor(s, lastLogged));
      return { resumeFrom: h.stateOf(created.meta.runId)?.nextStep ?? 0, mismatchedSteps: 0 };
    }
    case 'clamping': {
      const h = host as ClampingHost;
      h.restore(created, logged, lastSeq);
      const wiper = logged.filter((s) => s.type === 'PotentiometerSet').pop();
      if (wiper) h.handle(wiper);
      return { resumeFrom: 0, mismatchedSteps: 0 };
    }
    case 'measurement': {
      const h = host as MeasurementHost;
      h.restore(created, logged, lastSeq);
      h.command(created.meta.runId, { type: 'Resume' });
      return { resumeFrom: 0, mismatchedSteps: 0 };
    }
    default: {
      const never: never = host.source;
      throw new Error(`unknown service ${String(never)}`);
    }
  }
}

/**
 * Re-drive from the latest snapshot up to the last step this service logged as applied,
 * check each re-driven snapshot against the logged one, and take the run over; signals are
 * skipped until the supervisor's next step or test marker.
 */
function recoverEdge(host: EdgePhysicsHost, created: Signal<'RunCreated'>, logged: ReadonlyArray<Signal>, lastSeq: number, tailAfterStep: number): Recovered {
  let lastApplied = tailAfterStep;
  let lastSnapshot: Signal<'StateSnapshot'> | undefined;
  const snapshots = new Map<number, string>();
  for (const s of logged) {
    if (s.meta.source !== 'edge-physics') continue;
    if (s.type === 'GatesEvolved' && !s.data.failed) lastApplied = Math.max(lastApplied, s.data.step);
    else if (s.type === 'StateSnapshot') {
      snapshots.set(s.data.step, s.data.gates);
      lastSnapshot = s;
    }
  }
  // The service's own adapter (bound as it is pinned): a network on hardware is taken up as it is, not re-driven.
  host.restore(created, logged, lastSeq);
  if (isBridge(host.adapterOf(created.meta.runId))) return takeUpHardware(host, created.meta.runId, lastApplied, lastSnapshot);
  let mismatchedSteps = 0;
  const redriven = redriveEdge(logged, {
    lastStep: lastApplied,
    fromSnapshot: true,
    onSnapshot: (s) => {
      const want = snapshots.get(s.data.step);
      if (want !== undefined && want !== s.data.gates) mismatchedSteps++;
    },
  });
  const taken = redriven.host.detach(redriven.runId);
  if (!taken) throw new Error(`run ${redriven.runId}: the re-drive ended the run`);
  host.adopt(redriven.runId, { ...taken.state, skipping: true }, taken.binding, lastSeq);
  return { resumeFrom: lastApplied + 1, mismatchedSteps, redrivenFrom: redriven.fromStep };
}

/**
 * A network on hardware keeps its own state: nothing is re-driven (that would drive the board
 * again). The decider's state is the fold of the logged signals (host.restore), the port is
 * bound to the board as it is (the last logged gates, for what it reports until it reads them
 * again), and the run goes on from the step after the last one logged as applied. If the
 * board applied a step whose acknowledgement was not logged, that step's pulse is sent again
 * with the same run tag and number, and the controller answers it without applying it twice.
 */
function takeUpHardware(host: EdgePhysicsHost, runId: string, lastApplied: number, lastSnapshot: Signal<'StateSnapshot'> | undefined): Recovered {
  host.adjust(runId, (state): EdgePhysicsState => ({ ...state, lastApplied, skipping: true, inFlight: null }));
  if (lastSnapshot) host.portOf(runId)?.restore?.({ gates_V: decodeFloat64(lastSnapshot.data.gates), warm: null }, lastSnapshot.meta.t_ns);
  return { resumeFrom: lastApplied + 1, mismatchedSteps: 0, onHardware: true };
}
