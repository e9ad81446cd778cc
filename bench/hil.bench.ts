/**
 * Hardware-in-the-loop benchmarks (issue 11): the I/O-controller protocol over TCP to
 * `metatwin emulate` in its own process — the round trip of each kind of command, training
 * steps driven from the host (a DAC write and a learn pulse each), the same steps run by the
 * controller alone from a downloaded schedule, and an embedded XOR run with the supervisor on
 * its hardware bridge against the same run all simulated.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ControllerLink, SupervisorBridge, closeControllerLinks, expectReply, tcpTransport } from '@metatwin/bridges';
import type { Command } from '@metatwin/protocol';
import { runEmbedded, type AnyHost } from '@metatwin/services';
import { REPO_ROOT as root } from '@metatwin/test-support';
import { xorExperiment } from './experiments.bench';

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

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
    await rtt('adcScan, 2 addresses × 4 repeats', { kind: 'adcScan', repeats: 4, addresses: [3, 19] });
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
    const clock = (): number => performance.now() / 1000;
    const sim = await runEmbedded(xorExperiment(runSteps), { runId: 'bench-hil-sim', clock });
    const bridged = await runEmbedded(xorExperiment(runSteps, { supervisor: `bridge:tcp://127.0.0.1:${fast.port}` }), { runId: 'bench-hil-bridged', clock });
    await closeControllerLinks();
    out(
      `embedded xor, ${runSteps.toLocaleString('en-US')} steps, supervisor on its bridge (pulses computed at once): ${Math.round(runSteps / bridged.wall_s).toLocaleString('en-US')} steps/s (all simulated: ${Math.round(runSteps / sim.wall_s).toLocaleString('en-US')})`,
    );
  } finally {
    fast.child.kill('SIGINT');
  }

  // Hardware time: the emulator holds each pulse for its t_h, as the board's controller does.
  const paced = await startEmulator([]);
  let bridgeHost: AnyHost | undefined;
  try {
    const runSteps = quick ? 2000 : 10_000;
    const exp = xorExperiment(runSteps, { supervisor: `bridge:tcp://127.0.0.1:${paced.port}` });
    let bridge: SupervisorBridge | undefined;
    const intervals: number[] = [];
    let last = -1;
    const result = await runEmbedded(exp, {
      runId: 'bench-hil-paced',
      clock: () => performance.now() / 1000,
      onHosts: (hosts) => (bridgeHost = hosts.find((h) => h.source === 'supervisor')),
      onSignal: (s) => {
        if (s.type !== 'LearningEnabled') return;
        const now = performance.now();
        if (last >= 0) intervals.push((now - last) * 1000);
        last = now;
        bridge ??= bridgeHost?.portOf('bench-hil-paced') as SupervisorBridge | undefined;
      },
    });
    await closeControllerLinks();
    const learning_s = runSteps * exp.schedule.t_h_s;
    const p = bridge?.pulses;
    out(
      `paced run (the emulator holds each ${exp.schedule.t_h_s * 1e6} µs pulse): ${runSteps.toLocaleString('en-US')} steps in ${result.wall_s.toFixed(2)} s, real-time factor ${(learning_s / result.wall_s).toFixed(2)} (learning time / wall time; 1 is the network's own pace, the paper's lab ≈ 0.5)`,
    );
    out(
      `  jitter: pulses ran over their t_h by ${p ? `${p.overMean_us.toFixed(1)} µs on average, ${p.overMax_us} µs at most (${p.count} timed by the controller)` : 'n/a'}; step period median ${quantile(intervals, 0.5).toFixed(0)} µs, 99th percentile ${quantile(intervals, 0.99).toFixed(0)} µs`,
    );
  } finally {
    paced.child.kill('SIGINT');
  }
}
