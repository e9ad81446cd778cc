/** The same experiment and seed give bit-identical result.json numbers (apart from wall time). */
import type { RunResult } from '@metatwin/experiments';
import { runCli } from './cli-run';

/** Everything but wall time and the run id (a fresh id names each recorded run). */
function withoutWall(r: RunResult & { run?: string }): unknown {
  return { ...r, wall_s: 0, run: undefined };
}

describe('determinism', () => {
  it('repeats a run bit for bit; a different seed differs', () => {
    const a = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const b = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '3', '--no-report']).result;
    const c = runCli<RunResult>(['xor', '--steps', '20000', '--seed', '4', '--no-report']).result;
    expect(JSON.stringify(withoutWall(a))).toBe(JSON.stringify(withoutWall(b)));
    expect(JSON.stringify(c.final.gates_V)).not.toBe(JSON.stringify(a.final.gates_V));
  });
});

describe('one contract, two paths', () => {
  it('gives the same result.json through the four services on the in-process bus as through the direct loop', () => {
    const direct = runCli<RunResult>(['xor', '--steps', '5000', '--no-report', '--bus', 'direct']).result;
    // The default: the four services on the in-process bus.
    const services = runCli<RunResult & { run?: string; mode?: string }>(['xor', '--steps', '5000', '--no-report']).result;
    expect(services.mode).toBe('embedded');
    expect(typeof services.run).toBe('string');
    const { run: _run, mode: _mode, ...rest } = services;
    expect(JSON.stringify(withoutWall(rest as RunResult))).toBe(JSON.stringify(withoutWall(direct)));
  });
});
