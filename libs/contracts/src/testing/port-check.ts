/**
 * A port's `execute…Call` keeps the simulation's fast path: for a synchronous port the result
 * is the input itself, not a promise; for a port that answers later, a promise that resolves
 * to the same input. `log` is what the port stubs record; each case names the calls expected.
 */
import { isPending, type Completion } from '../decider';

type Expect = (actual: unknown) => {
  toBe(v: unknown): void;
  toEqual(v: unknown): void;
  not: { toBeInstanceOf(c: unknown): void };
  resolves: { toEqual(v: unknown): Promise<void> };
};
const expect = (globalThis as unknown as { expect: Expect }).expect;

export async function expectFastPath<P, C, R>(
  execute: (port: P, call: C) => Completion<R>,
  syncPort: P,
  asyncPort: P,
  log: string[],
  cases: ReadonlyArray<readonly [call: C, result: R, calls: ReadonlyArray<string>]>,
): Promise<void> {
  for (const [c, expected, calls] of cases) {
    log.length = 0;
    const now = execute(syncPort, c);
    expect(isPending(now)).toBe(false);
    expect(now).not.toBeInstanceOf(Promise);
    expect(now).toEqual(expected);
    expect(log).toEqual(calls);
    log.length = 0;
    const later = execute(asyncPort, c);
    expect(isPending(later)).toBe(true);
    await expect(later).resolves.toEqual(now);
    expect(log).toEqual(calls);
  }
}
