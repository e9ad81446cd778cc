/**
 * The host with ports that answer later (as a serial bridge will): every port call of all
 * four subsystems returns a promise, and the run still ends bit for bit as the synchronous
 * simulation's — the host holds each run's inputs while a call is outstanding, in order.
 */
import { InProcessBus } from '@metatwin/bus';
import { CONTRACT_VERSION, SOURCES, type Signal, type Source } from '@metatwin/contracts';
import { executeClampingCall, clampingDecider } from '@metatwin/clamping';
import { edgePhysicsDecider, executeEdgePhysicsCall } from '@metatwin/edge-physics';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import { executeMeasurementCall, measurementDecider } from '@metatwin/measurement';
import { executeSupervisorCall, supervisorDecider } from '@metatwin/supervisor';
import { RunAssembler } from './assemble';
import { runEmbedded } from './embedded';
import { bindPort } from './factory';
import { DeciderHost, type Binding } from './host';

function xor(steps: number): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return plan.experiment;
}

/** The simulated port of `source`, every method answering a tick later. */
function later<P extends object>(source: Source, created: Signal<'RunCreated'>, calls: { n: number }): Binding<P> {
  const { port } = bindPort(source, created.data.experiment, 'sim');
  const proxy = new Proxy(port as object, {
    get(target, key) {
      const value = (target as Record<string | symbol, unknown>)[key];
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.n++;
        return new Promise((resolve) => setImmediate(() => resolve((value as (...a: unknown[]) => unknown).apply(target, args))));
      };
    },
  });
  return { adapter: 'sim', port: proxy as P };
}

async function runWithLatePorts(exp: Experiment): Promise<{ result: ReturnType<RunAssembler['result']>; calls: number }> {
  const bus = new InProcessBus();
  const publish = (s: Signal): void => bus.publish(s);
  const calls = { n: 0 };
  const supervisor = new DeciderHost(
    { decider: supervisorDecider({ window: 8, autoPump: true }), execute: executeSupervisorCall },
    { bind: (c) => later('supervisor', c, calls), publish },
  );
  const hosts = [
    new DeciderHost({ decider: edgePhysicsDecider, execute: executeEdgePhysicsCall }, { bind: (c) => later('edge-physics', c, calls), publish }),
    new DeciderHost({ decider: clampingDecider, execute: executeClampingCall }, { bind: (c) => later('clamping', c, calls), publish }),
    new DeciderHost({ decider: measurementDecider, execute: executeMeasurementCall }, { bind: (c) => later('measurement', c, calls), publish }),
    supervisor,
  ];
  for (const h of hosts) bus.subscribe(h.decider.listensTo, (s) => h.handle(s), h.decider.accepts);
  const assembler = new RunAssembler();
  bus.subscribe(SOURCES, (s) => assembler.fold(s));
  supervisor.create('late', { contract: CONTRACT_VERSION, experiment: exp, mode: 'embedded' });
  supervisor.command('late', { type: 'Pump' });
  for (let i = 0; i < 100_000 && assembler.status === 'running'; i++) await Promise.all(hosts.map((h) => h.idle()));
  return { result: assembler.result('late', 0), calls: calls.n };
}

describe('DeciderHost with ports that answer later', () => {
  it('runs XOR to the same result as the synchronous simulation, every port call a promise', async () => {
    const exp = xor(300);
    const late = await runWithLatePorts(exp);
    const now = await runEmbedded(exp, { runId: 'late' });
    expect(late.calls).toBeGreaterThan(3 * 300);
    expect(late.result.final).toEqual(now.final);
    expect(late.result.log).toEqual(now.log);
  }, 60_000);
});
