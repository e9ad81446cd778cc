/**
 * `metatwin emulate` as a lab physicist starts it: the board emulator on a TCP port and on a
 * pseudo-terminal, a host link driving a training step through it, Ctrl-C stopping it with
 * what it did; a chip file for its chip; a bad flag, or a bad chip file, is named.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControllerLink, serialTransport, tcpTransport } from '@metatwin/bridges';
import { killClis, startCli, type CliRun } from '@metatwin/test-support';

afterAll(() => killClis());

/** Wait until the emulator says where it answers. */
async function address(cli: CliRun): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const m = /answers on (\S+) /.exec(cli.output());
    if (m) return m[1];
    if (cli.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`metatwin emulate did not say where it answers; it printed:\n${cli.output()}`);
}

describe('metatwin emulate', () => {
  it.each([
    ['--tcp 0', ['--tcp', '0']],
    ['--pty', ['--pty']],
  ])('%s: a host link drives a training step; Ctrl-C stops it and says what it did', async (_name, flags) => {
    const cli = startCli(['emulate', 'xor', ...flags, '--corrupt', '0.05']);
    const where = await address(cli);
    const tcp = /^tcp:\/\/([^:]+):(\d+)$/.exec(where);
    const link = await ControllerLink.open(tcp ? tcpTransport(tcp[1], Number(tcp[2])) : serialTransport(where), { timeout_ms: 60 });
    try {
      expect(link.version).toMatchObject({ protocol: 1, firmwareMajor: 1 });
      expect(
        await link.request({
          kind: 'dacWrite',
          writes: [
            { channel: 0, code: 255 },
            { channel: 1, code: 0 },
            { channel: 4, code: 64 },
          ],
        }),
      ).toEqual({ kind: 'ack', command: 0x10 });
      // The emulator keeps hardware time: learn-enable stays on at least the 100 µs asked.
      const pulse = await link.request({ kind: 'learnPulse', duration_us: 100, run: 1, index: 0 });
      expect(pulse.kind === 'pulseDone' && pulse.duration_us >= 100).toBe(true);
    } finally {
      await link.close();
    }
    cli.child.kill('SIGINT');
    const { code, out } = await cli.within(10_000);
    expect(code).toBe(0);
    expect(out).toMatch(/stopped after 2 commands/);
  });

  it('names a bad flag and exits 2', async () => {
    const { code, out } = await startCli(['emulate', 'xor', '--tcp', '0', '--drop', '2']).within(30_000);
    expect({ code, out: out.trim() }).toEqual({ code: 2, out: 'metatwin emulate: --drop must be a number in 0..1, got "2"' });
    const neither = await startCli(['emulate', 'xor']).within(30_000);
    expect({ code: neither.code, out: neither.out.trim() }).toEqual({ code: 2, out: 'metatwin emulate: give one of --tcp PORT or --pty' });
  });

  it('takes a chip file for its chip (--chip), and names a bad one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mt-chip-'));
    const chip = { format: 'metatwin-chip/1', edges: 32, free: { vto_V: Array(32).fill(0.72), k_AperV2: Array(32).fill(4.6e-4) }, clamped: null, learningOffsets_V2: null };
    const good = join(dir, 'chip.json');
    writeFileSync(good, JSON.stringify(chip));
    const cli = startCli(['emulate', 'xor', '--tcp', '0', '--fast', '--chip', good]);
    expect(await address(cli)).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    cli.child.kill('SIGINT');
    expect((await cli.within(10_000)).code).toBe(0);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...chip, free: { ...chip.free, vto_V: chip.free.vto_V.slice(1) } }));
    const refused = await startCli(['emulate', 'xor', '--tcp', '0', '--chip', bad]).within(30_000);
    expect(refused.code).toBe(2);
    expect(refused.out).toMatch(/--chip: imperfections\.chip\.free\.vto_V: .*must hold 32 values, one per edge/);
    // A board the paper's cannot be (iris: 64 nodes per copy, 9 DAC channels) is refused by name.
    const iris = await startCli(['emulate', 'iris', '--tcp', '0']).within(30_000);
    expect(iris.code).toBe(2);
    expect(iris.out).toMatch(/metatwin emulate: iris does not fit the board: the board's demux reads 32 addresses/);
    const both = await startCli(['emulate', 'xor', '--tcp', '0', '--chip', good, '--chip-seed', '3']).within(30_000);
    expect({ code: both.code, out: both.out.trim() }).toEqual({ code: 2, out: 'metatwin emulate: give one of --chip FILE or --chip-seed N: a chip file is the chip' });
  });
});
