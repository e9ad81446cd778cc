/**
 * Hardware-in-the-loop benchmarks (issue 11): the I/O-controller protocol over TCP to
 * `metatwin emulate` in its own process — the round trip of each kind of command, training
 * steps driven from the host (a DAC write and a learn pulse each), the same steps run by the
 * controller alone from a downloaded schedule, and an embedded XOR run with the supervisor on
 * its hardware bridge against the same run all simulated.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ControllerLink, closeControllerLinks, expectReply, tcpTransport } from '@metatwin/bridges';
import { planFromInput, type Experiment } from '@metatwin/experiments';
import type { Command } from '@metatwin/protocol';
import { runEmbedded } from '@metatwin/services';
import { REPO_ROOT as root } from '@metatwin/test-support';

function xor(steps: number, rig: Partial<Experiment['rig']> = {}): Experiment {
  const plan = planFromInput({ preset: 'xor' }, { steps }, { readText: () => '' });
  if (plan.kind !== 'run') throw new Error('not a run');
  return { ...plan.experiment, rig: { ...plan.experiment.rig, ...rig } };
}

const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

export async function benchHil(out: (s: string) => void, quick: boolean): Promise<void> {
  const emulator = spawn(process.execPath, [join(root, 'bin', 'metatwin.js'), 'emulate', 'xor', '--tcp', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      emulator.stdout.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /answers on tcp:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      emulator.once('exit', (code) => reject(new Error(`metatwin emulate exited (${code}): ${text}`)));
    });
    const link = await ControllerLink.open(tcpTransport('127.0.0.1', port));
    const n = quick ? 500 : 2000;
    const rtt = async (name: string, command: Command): Promise<void> => {
      for (let i = 0; i < 100; i++) await link.request(command); // warm-up
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await link.request(command);
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
    await rtt('learnPulse 100 µs (one network step)', { kind: 'learnPulse', duration_us: 100 });
    await rtt('demuxSelect', { kind: 'demuxSelect', address: 1 });
    await rtt('adcRead, 4 repeats', { kind: 'adcRead', repeats: 4 });

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
      await expectReply(link, { kind: 'learnPulse', duration_us: 100 }, 'pulseDone');
    }
    const hostDriven = steps / ((performance.now() - t0) / 1000);
    out(`training steps driven from the host (dacWrite + learnPulse each): ${Math.round(hostDriven).toLocaleString('en-US')} steps/s`);

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
    const sim = await runEmbedded(xor(runSteps), { runId: 'bench-hil-sim', clock });
    const bridged = await runEmbedded(xor(runSteps, { supervisor: `bridge:tcp://127.0.0.1:${port}` }), { runId: 'bench-hil-bridged', clock });
    await closeControllerLinks();
    out(
      `embedded xor, ${runSteps.toLocaleString('en-US')} steps, supervisor on its bridge to the emulator: ${Math.round(runSteps / bridged.wall_s).toLocaleString('en-US')} steps/s (all simulated: ${Math.round(runSteps / sim.wall_s).toLocaleString('en-US')}); real time needs 1 / (2 t_h) = 5,000 steps/s`,
    );
  } finally {
    emulator.kill('SIGINT');
  }
}
