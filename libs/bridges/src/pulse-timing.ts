/**
 * Learn pulses as the controller timed them, per run, in this process: every bridge that
 * pulses learn-enable (the supervisor's, or the network's when the network is on the board)
 * records what the controller says learn-enable was on against what it asked. The host that
 * runs the run reads it for the run's pacing (result.json) and forgets it.
 */
import { runTag } from './board-access';

/** Learn pulses as the controller timed them: how far they ran over what was asked (µs). */
export interface PulseTiming {
  count: number;
  overMean_us: number;
  overMax_us: number;
}

/** Add one pulse that ran `over_us` over what was asked to `p`. */
export function addPulse(p: PulseTiming, over_us: number): void {
  p.count++;
  p.overMean_us += (over_us - p.overMean_us) / p.count;
  if (p.count === 1 || over_us > p.overMax_us) p.overMax_us = over_us;
}

/** Per run tag (the run's id as its pulses carry it). */
const byRun = new Map<number, PulseTiming>();

/** A pulse the controller applied for run `tag`: `done_us` on of the `asked_us` asked. */
export function recordPulse(tag: number, asked_us: number, done_us: number): void {
  let p = byRun.get(tag);
  if (p === undefined) byRun.set(tag, (p = { count: 0, overMean_us: 0, overMax_us: 0 }));
  addPulse(p, done_us - asked_us);
}

/** The pulses of run `runId` timed by a controller in this process (a copy), or undefined when none was; then forgotten. */
export function takePulseTiming(runId: string): PulseTiming | undefined {
  const tag = runTag(runId);
  const p = byRun.get(tag);
  byRun.delete(tag);
  return p === undefined ? undefined : { ...p };
}
