/**
 * Hardware-in-the-loop benchmarks (issue 11): the I/O-controller protocol over TCP to
 * `metatwin emulate` in its own process — the round trip of each kind of command, training
 * steps driven from the host (a DAC write and a learn pulse each), the same steps run by the
 * controller alone from a downloaded schedule, embedded XOR runs with each subsystem alone
 * and all four on their hardware bridges against the same run all simulated, and the same
 * runs against an emulator that keeps hardware time: their pacing (real-time factor, step
 * period) as result.json reports it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ControllerLink, closeControllerLinks, expectReply, tcpTransport } from '@metatwin/bridges';
import type { Source } from '@metatwin/contracts';
import type { RunResult } from '@metatwin/experiments';
import type { Command } from '@metatwin/protocol';
import { runEmbedded } from '@metatwin/services';
import { REPO_ROOT as root } from '@metatwin/test-support';
import { xorExperiment } from './experiments.bench';

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const int = (x: number): string => Math.round(x).toLocaleString('en-US');

/** The rigs the embedded runs put on the emulator: each subsystem alone, then all four. */
const RIGS: ReadonlyArray<readonly [string, ReadonlyArray<Source>]> = [
  ['supervisor alone', ['supervisor']],
  ['edge physics alone', ['edge-physics']],
  ['clamping alone', ['clamping']],
  ['measurement alone', ['measurement']],
  ['all four', ['supervisor', 'edge-physics', 'clamping', 'measurement']],
];
const rigOn = (port: number, sources: ReadonlyArray<Source>): Partial<Record<Source, `bridge:${string}`>> =>
  Object.fromEntries(sources.map((s) => [s, `bridge:tcp://127.0.0.1:${port}`] as const));
const clock = (): number => performance.now() / 1000;
/** The embedded runs' learn pulse (µs), and which experiment they are, for the printed lines. */
const t_h_us = (): number => Math.round(xorExperiment(1).schedule.t_h_s * 1e6);
const xorRuns = (): string => `the xor preset (t_h = ${t_h_us()} µs, random datapoints)`;

/** `metatwin emulate xor --tcp 0 [flags]` in its own process; resolves with it and its port. */
async function startEmulator(flags: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [join(root, 'bin', 'metatwin.js'), 'emulate', 'xor', '--tcp', '0', ...flags], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (d: Buffer) => {
      text += d.toString();
      const m = /answers on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(text);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`metatwin emulate exited (${code}): ${text}`)));
  });
  return { child, port };
}

export async function benchHil(out: (s: string) => void, quick: boolean): Promise<void> {
  // The protocol's own costs: pulses computed at once (--fast).
  const fast = await startEmulator(['--fast']);
  try {
    const link = await ControllerLink.open(tcpTransport('127.0.0.1', fast.port));
    const n = quick ? 500 : 2000;
    const rtt = async (name: string, command: Command | (() => Command)): Promise<void> => {
      const next = typeof command === 'function' ? command : () => command;
      for (let i = 0; i < 100; i++) await link.request(next()); // warm-up
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const c = next();
        const t0 = performance.now();
        await link.request(c);
        times.push((performance.now() - t0) * 1000);
      }
      out(`round trip of ${name.padEnd(36)} median ${quantile(times, 0.5).toFixed(0)} µs, 99th percentile ${quantile(times, 0.99).toFixed(0)} µs (${n} in a row)`);
    };
    await rtt('heartbeat', { kind: 'heartbeat' });
    await rtt('dacWrite (3 channels)', {
      kind: 'dacWrite',
      writes: [
        { channel: 0, code: 255 },
        { channel: 1, code: 0 },
        { channel: 4, code: 64 },
      ],
    });
    let pulse = 0;
    await rtt('learnPulse (computed at once)', () => ({ kind: 'learnPulse', duration_us: 100, run: 1, index: pulse++ }));
    await rtt('demuxSelect', { kind: 'demuxSelect', address: 1 });
    await rtt('adcRead, 4 repeats', { kind: 'adcRead', repeats: 4 });
    await rtt('adcScan, 1 DAC write, 2 addresses × 4 repeats', { kind: 'adcScan', repeats: 4, addresses: [3, 19], writes: [{ channel: 0, code: 200 }] });
    await rtt('route', { kind: 'route', mask: 1, flags: 0 });
    await rtt('jigWrite (1 channel)', { kind: 'jigWrite', writes: [{ channel: 0, code: 30000 }] });

    const steps = quick ? 1000 : 5000;
    let t0 = performance.now();
    for (let k = 0; k < steps; k++) {
      await expectReply(
        link,
        {
          kind: 'dacWrite',
          writes: [
            { channel: 0, code: k % 2 ? 255 : 0 },
            { channel: 1, code: k % 3 ? 255 : 0 },
            { channel: 4, code: 64 },
          ],
        },
        'ack',
      );
      await expectReply(link, { kind: 'learnPulse', duration_us: 100, run: 2, index: k }, 'pulseDone');
    }
    const hostDriven = steps / ((performance.now() - t0) / 1000);
    out(`training steps driven from the host (dacWrite + learnPulse each, pulses computed at once): ${Math.round(hostDriven).toLocaleString('en-US')} steps/s`);

    for (let d = 0; d < 4; d++)
      await expectReply(
        link,
        {
          kind: 'scheduleWriteSet',
          index: d,
          writes: [
            { channel: 0, code: d & 1 ? 255 : 0 },
            { channel: 1, code: d & 2 ? 255 : 0 },
            { channel: 4, code: 64 },
          ],
        },
        'ack',
      );
    for (let first = 0; first < steps; first += 1000)
      await expectReply(
        link,
        { kind: 'scheduleSteps', firstStep: first, pulse_us: 100, writeSets: Array.from({ length: Math.min(1000, steps - first) }, (_, i) => (first + i) % 4) },
        'ack',
      );
    const finished = new Promise<void>((resolve) => link.onUnsolicited((m) => m.kind === 'scheduleDone' && resolve()));
    t0 = performance.now();
    await expectReply(link, { kind: 'scheduleRun', fromStep: 0, count: steps, reportEvery: 500 }, 'ack');
    await finished;
    const autonomous = steps / ((performance.now() - t0) / 1000);
    out(
      `the same steps run by the controller from a downloaded schedule (autonomous mode): ${Math.round(autonomous).toLocaleString('en-US')} steps/s (×${(autonomous / hostDriven).toFixed(1)})`,
    );
    await link.close();

    const runSteps = quick ? 2000 : 10_000;
    await runEmbedded(xorExperiment(runSteps), { runId: 'bench-hil-warm-up', clock }); // the first run of a process runs slow
    const sim = await runEmbedded(xorExperiment(runSteps), { runId: 'bench-hil-sim', clock });
    out(`embedded runs of ${xorRuns()}, ${int(runSteps)} steps, pulses computed at once (emulate --fast); all simulated: ${int(runSteps / sim.wall_s)} steps/s`);
    for (const [name, sources] of RIGS) {
      const bridged = await runEmbedded(xorExperiment(runSteps, rigOn(fast.port, sources)), { runId: `bench-hil-${sources.join('+')}`, clock });
      await closeControllerLinks();
      out(`  ${`${name} on ${sources.length > 1 ? 'their bridges' : 'its bridge'}:`.padEnd(34)} ${int(runSteps / bridged.wall_s).padStart(7)} steps/s`);
    }
  } finally {
    fast.child.kill('SIGINT');
  }

  // Hardware time: the emulator holds each pulse for its t_h, as the board's controller does.
  const paced = await startEmulator([]);
  try {
    const runSteps = quick ? 2000 : 10_000;
    out(`the same runs paced (the emulator holds each ${t_h_us()} µs pulse in wall time), ${int(runSteps)} steps, as result.json's pacing reports them:`);
    for (const [name, sources] of [RIGS[0], RIGS[RIGS.length - 1]]) {
      const result = await runEmbedded(xorExperiment(runSteps, rigOn(paced.port, sources)), { runId: `bench-hil-paced-${sources.join('+')}`, clock });
      await closeControllerLinks();
      out(`  ${`${name} on ${sources.length > 1 ? 'their bridges' : 'its bridge'}:`.padEnd(34)} ${pacingLine(result)}`);
    }
  } finally {
    paced.child.kill('SIGINT');
  }
}

function pacingLine(r: RunResult): string {
  const p = r.pacing;
  if (!p) return 'no pacing in the result';
  const period = p.stepPeriod_us;
  const over = p.pulseOverrun_us;
  return (
    `${p.wall_s.toFixed(2)} s wall for ${p.learning_s.toFixed(2)} s of learning: real-time factor ${p.realTimeFactor.toFixed(3)}; ` +
    `step period median ${int(period.p50)} µs, 99th percentile ${int(period.p99)} µs, max ${int(period.max)} µs (mean ${int(period.mean)} ± ${int(period.std)}); ` +
    `pulses over t_h by ${over ? `${over.mean.toFixed(1)} µs on average, ${int(over.max)} µs at most (${int(over.count)} timed by the controller)` : 'n/a'}`
  );
}
