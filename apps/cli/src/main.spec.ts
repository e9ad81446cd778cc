import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureMain } from './testing/capture-main';

const run = captureMain;

describe('metatwin solve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'metatwin-cli-'));
  const file = (name: string, body: string): string => {
    const p = join(dir, name);
    writeFileSync(p, body);
    return p;
  };

  it('prints status, voltages, currents and power as JSON', async () => {
    const f = file(
      'ok.json',
      JSON.stringify({
        nodes: 3,
        edges: [
          [0, 1],
          [1, 2],
        ],
        gates: [3, 3],
        fixed: { '0': 0.4, '2': 0 },
        transistor: { k: 5e-4, vth: 0.7 },
      }),
    );
    const r = await run(['solve', '--network', f]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json.status).toBe('converged');
    expect(json.voltages).toHaveLength(3);
    expect(json.currents).toHaveLength(2);
    // Identical gates in series: the midpoint is below 0.2 V because the upper edge, with the
    // higher mean voltage, conducts less (K ∝ G − Vth − V̄).
    expect(json.voltages[1]).toBeLessThan(0.2);
    expect(json.voltages[1]).toBeGreaterThan(0.15);
    expect(json.power).toBeGreaterThan(0);
  });

  it('reports a node no edge touches as unconnected, and solves the rest', async () => {
    const f = file(
      'isolated.json',
      JSON.stringify({
        nodes: 4,
        edges: [
          [0, 1],
          [1, 2],
        ],
        gates: [3, 3],
        fixed: { '0': 0.4, '2': 0 },
      }),
    );
    const r = await run(['solve', '--network', f]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.out);
    expect(json).toMatchObject({ status: 'converged', unconnected: [3] });
    expect(json.voltages[3]).toBe(0);
    expect(json.voltages[1]).toBeGreaterThan(0.15);
  });

  it('names the bad field and exits 2', async () => {
    const f = file('bad.json', JSON.stringify({ nodes: 3, edges: [[0, 1]], gates: [3, 1], fixed: { '0': 0.4 } }));
    const r = await run(['solve', '--network', f]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.json: gates: has 2 entries but there are 1 edges/);
  });

  it('reports unreadable files, broken JSON, missing flags and unknown commands', async () => {
    expect((await run(['solve', '--network', join(dir, 'missing.json')])).err).toMatch(/cannot read the file \(ENOENT\)/);
    expect((await run(['solve', '--network', file('broken.json', '{"nodes": ')])).err).toMatch(/not valid JSON/);
    expect((await run(['solve'])).err).toMatch(/needs --network FILE/);
    expect((await run(['solve', '--nope'])).code).toBe(2);
    expect((await run(['frobnicate'])).err).toMatch(/unknown command "frobnicate"/);
  });
});
