/**
 * The one place that chooses adapters. A run's RunCreated names each subsystem's adapter
 * (the experiment's `rig`: sim, mirror or bridge:<address>); a service may be pinned to
 * one by its environment (METATWIN_SUPERVISOR, METATWIN_EDGE_PHYSICS, METATWIN_CLAMPING,
 * METATWIN_MEASUREMENT), which wins — it is the hardware that service is wired to. Each
 * host announces what it bound in PortBound, so the log says what ran. Nothing else in the
 * code base asks which adapter runs.
 */
import {
  clampingDecider,
  ClampingMirror,
  ClampingSim,
  executeClampingCall,
  type ClampingCall,
  type ClampingPort,
  type ClampingResult,
  type ClampingState,
} from '@metatwin/clamping';
import type { AdapterChoice, Experiment, RigChoice, Signal, Source } from '@metatwin/contracts';
import {
  edgePhysicsDecider,
  EdgePhysicsMirror,
  EdgePhysicsSim,
  executeEdgePhysicsCall,
  type EdgePhysicsCall,
  type EdgePhysicsPort,
  type EdgePhysicsResult,
  type EdgePhysicsState,
} from '@metatwin/edge-physics';
import { BoardAccess, boardRefusal, ClampingBridge, EdgePhysicsBridge, MeasurementBridge, SupervisorBridge, controllerLink, linkOptionsFrom, transportOf } from '@metatwin/bridges';
import { parseAdapterChoice } from '@metatwin/experiments';
import {
  executeMeasurementCall,
  measurementDecider,
  MeasurementMirror,
  MeasurementSim,
  type MeasurementCall,
  type MeasurementInput,
  type MeasurementPort,
  type MeasurementState,
} from '@metatwin/measurement';
import {
  executeSupervisorCall,
  supervisorDecider,
  SupervisorMirror,
  SupervisorSim,
  type SupervisorCall,
  type SupervisorInput,
  type SupervisorOptions,
  type SupervisorPort,
  type SupervisorState,
} from '@metatwin/supervisor';
import { DeciderHost, type Binding } from './host';

export type SupervisorHost = DeciderHost<SupervisorState, SupervisorInput, SupervisorCall, SupervisorPort>;
export type EdgePhysicsHost = DeciderHost<EdgePhysicsState, EdgePhysicsResult, EdgePhysicsCall, EdgePhysicsPort>;
export type ClampingHost = DeciderHost<ClampingState, ClampingResult, ClampingCall, ClampingPort>;
export type MeasurementHost = DeciderHost<MeasurementState, MeasurementInput, MeasurementCall, MeasurementPort>;
export type AnyHost = SupervisorHost | EdgePhysicsHost | ClampingHost | MeasurementHost;

/** The environment variable that pins a service's adapter. */
export const ADAPTER_ENV: { readonly [S in Source]: string } = {
  supervisor: 'METATWIN_SUPERVISOR',
  'edge-physics': 'METATWIN_EDGE_PHYSICS',
  clamping: 'METATWIN_CLAMPING',
  measurement: 'METATWIN_MEASUREMENT',
};

export type Env = Readonly<Record<string, string | undefined>>;

export class AdapterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AdapterError';
  }
}

/** The adapter a service runs a run on: its pinned one (environment) or the run's. */
export function resolveAdapter(source: Source, requested: AdapterChoice, env: Env): AdapterChoice {
  const pinned = env[ADAPTER_ENV[source]];
  if (pinned === undefined || pinned === '') return requested;
  try {
    return parseAdapterChoice(pinned, ADAPTER_ENV[source]);
  } catch (err) {
    throw new AdapterError((err as Error).message);
  }
}

/** Every subsystem's adapter for a run, checked: fails on one that cannot be built here (or a bridge's link settings that are wrong). */
export function resolveRig(exp: Experiment, env: Env): RigChoice {
  checkLinkEnv(env);
  const choose = (s: Source): AdapterChoice => buildable(s, resolveAdapter(s, exp.rig[s], env));
  return { supervisor: choose('supervisor'), 'edge-physics': choose('edge-physics'), clamping: choose('clamping'), measurement: choose('measurement') };
}

/** Fail now, naming the variable, if a service's pinned adapter is malformed or cannot be built here. */
export function assertPinnedBuildable(source: Source, env: Env): void {
  checkLinkEnv(env);
  buildable(source, resolveAdapter(source, 'sim', env));
}

function checkLinkEnv(env: Env): void {
  try {
    linkOptionsFrom(env);
  } catch (err) {
    throw new AdapterError((err as Error).message);
  }
}

/** Whether an adapter puts its subsystem on hardware (a bridge to an I/O controller). */
export function isBridge(adapter: AdapterChoice | undefined): boolean {
  return adapter !== undefined && adapter.startsWith('bridge:');
}

/** Whether an adapter is the physics model itself (not a mirror, not hardware). */
export function isSimulation(adapter: AdapterChoice): boolean {
  return adapter === 'sim';
}

/** The adapter a replay re-drives a subsystem on: a bridged one in its twin (sim), never on the board. */
export function replayAdapter(adapter: AdapterChoice): AdapterChoice {
  return isBridge(adapter) ? 'sim' : adapter;
}

/** The choice itself, if this build has that adapter: a bridge names a controller it can reach. */
function buildable(source: Source, choice: AdapterChoice): AdapterChoice {
  if (!isBridge(choice)) return choice;
  try {
    transportOf(choice.slice('bridge:'.length));
  } catch (err) {
    throw new AdapterError(`${source}: adapter "${choice}": ${(err as Error).message}`);
  }
  return choice;
}

type PortOf = { supervisor: SupervisorPort; 'edge-physics': EdgePhysicsPort; clamping: ClampingPort; measurement: MeasurementPort };

/**
 * Build a subsystem's port for run `runId`; a bridge's link takes its time-outs and retries
 * from `env` (METATWIN_LINK_*), and learns from the run's rig which other subsystems share its
 * controller.
 */
export function bindPort<S extends Source>(source: S, exp: Experiment, adapter: AdapterChoice, env: Env = {}, runId = ''): Binding<PortOf[S]> {
  const mirror = buildable(source, adapter) === 'mirror';
  const target = isBridge(adapter) ? adapter.slice('bridge:'.length) : null;
  /** A bridge built on the controller's link; what it cannot drive is named with the subsystem and its adapter. */
  const bridged = <P>(build: (board: BoardAccess) => P): P => {
    if (target === null) throw new AdapterError(`${source}: no controller`);
    const refusal = boardRefusal(source, exp);
    if (refusal !== null) throw new AdapterError(`${source}: adapter "${adapter}": ${refusal}`);
    try {
      // The rig as this service runs it: a pinned bridge counts as on its controller.
      return build(new BoardAccess(controllerLink(target, linkOptionsFrom(env)), { ...exp, rig: { ...exp.rig, [source]: adapter } }, target, runId));
    } catch (err) {
      throw new AdapterError(`${source}: adapter "${adapter}": ${(err as Error).message}`);
    }
  };
  const port = ((): PortOf[Source] => {
    switch (source) {
      case 'supervisor':
        if (target !== null) return bridged((b) => new SupervisorBridge(b));
        return mirror ? new SupervisorMirror(exp) : new SupervisorSim(exp);
      case 'edge-physics':
        if (target !== null) return bridged((b) => new EdgePhysicsBridge(b));
        return mirror ? new EdgePhysicsMirror(exp) : new EdgePhysicsSim(exp);
      case 'clamping':
        if (target !== null) return bridged((b) => new ClampingBridge(b));
        return mirror ? new ClampingMirror(exp) : new ClampingSim(exp);
      case 'measurement':
        if (target !== null) return bridged((b) => new MeasurementBridge(b));
        return mirror ? new MeasurementMirror() : new MeasurementSim(exp);
      default: {
        const never: never = source as never;
        throw new AdapterError(`unknown subsystem ${String(never)}`);
      }
    }
  })();
  return { adapter, port: port as PortOf[S] };
}

export interface HostConfig {
  readonly publish: (signal: Signal) => void;
  /** Where pinned adapters are read (METATWIN_<SUBSYSTEM>); none by default. */
  readonly env?: Env;
  readonly supervisor?: SupervisorOptions;
  readonly onError?: (runId: string, err: unknown) => void;
}

const binder =
  <S extends Source>(source: S, env: Env) =>
  (created: Signal<'RunCreated'>): Binding<PortOf[S]> =>
    bindPort(source, created.data.experiment, resolveAdapter(source, created.data.experiment.rig[source], env), env, created.meta.runId);

export function createSupervisorHost(config: HostConfig): SupervisorHost {
  const env = config.env ?? {};
  return new DeciderHost(
    { decider: supervisorDecider(config.supervisor ?? { window: 64, autoPump: true }), execute: executeSupervisorCall },
    { bind: binder('supervisor', env), publish: config.publish, onError: config.onError },
  );
}

export function createEdgePhysicsHost(config: HostConfig): EdgePhysicsHost {
  return new DeciderHost(
    { decider: edgePhysicsDecider, execute: executeEdgePhysicsCall },
    { bind: binder('edge-physics', config.env ?? {}), publish: config.publish, onError: config.onError },
  );
}

export function createClampingHost(config: HostConfig): ClampingHost {
  return new DeciderHost(
    { decider: clampingDecider, execute: executeClampingCall },
    { bind: binder('clamping', config.env ?? {}), publish: config.publish, onError: config.onError },
  );
}

export function createMeasurementHost(config: HostConfig): MeasurementHost {
  return new DeciderHost(
    { decider: measurementDecider, execute: executeMeasurementCall },
    { bind: binder('measurement', config.env ?? {}), publish: config.publish, onError: config.onError },
  );
}

export function createHost(source: Source, config: HostConfig): AnyHost {
  switch (source) {
    case 'supervisor':
      return createSupervisorHost(config);
    case 'edge-physics':
      return createEdgePhysicsHost(config);
    case 'clamping':
      return createClampingHost(config);
    case 'measurement':
      return createMeasurementHost(config);
    default: {
      const never: never = source;
      throw new AdapterError(`unknown subsystem ${String(never)}`);
    }
  }
}
