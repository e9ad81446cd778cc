/**
 * "Nothing else tests which adapter runs": the adapter classes are built by the factory
 * alone (libs/services/src/factory.ts), and the adapter names (sim, mirror, bridge:…) are
 * read only where configuration enters (the experiment parser, the contracts' validation)
 * and in the factory. Production code only — specs may look at adapters.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry.startsWith('.')) continue;
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts') && !full.includes('/testing/')) out.push(full);
  }
  return out;
}

const files = ['apps', 'libs', 'bench', 'test'].flatMap((d) => sources(join(root, d))).map((f) => ({ path: relative(root, f), text: readFileSync(f, 'utf8') }));
const FACTORY = 'libs/services/src/factory.ts';
const ADAPTERS = ['SupervisorSim', 'SupervisorMirror', 'EdgePhysicsSim', 'EdgePhysicsMirror', 'ClampingSim', 'ClampingMirror', 'MeasurementSim', 'MeasurementMirror'];

describe('the factory is the only place that chooses an adapter', () => {
  it('finds the sources it checks (so the checks below cannot pass on nothing)', () => {
    expect(files.some((f) => f.path === FACTORY)).toBe(true);
    expect(files.length).toBeGreaterThan(100);
  });

  it.each(ADAPTERS)('%s is constructed only by the factory, and named only by its own subsystem and the factory', (name) => {
    const subsystem = name
      .replace(/(Sim|Mirror)$/, '')
      .replace(/([a-z])([A-Z])/g, '$1-$2')
      .toLowerCase();
    const own = `libs/subsystems/${subsystem}/src/`;
    const naming = files.filter((f) => new RegExp(`\\b${name}\\b`).test(f.text)).map((f) => f.path);
    expect(naming.filter((p) => p !== FACTORY && !p.startsWith(own))).toEqual([]);
    const constructing = files.filter((f) => new RegExp(`new ${name}\\b`).test(f.text)).map((f) => f.path);
    expect(constructing).toEqual([FACTORY]);
  });

  it('adapter names are compared only where configuration is read', () => {
    const readers = new Set([FACTORY, 'libs/experiments/src/parse.ts', 'libs/contracts/src/validate.ts', 'libs/contracts/src/experiment.ts', 'libs/contracts/src/signals.ts']);
    const comparing = /(===|!==)\s*['"](sim|mirror)['"]|['"](sim|mirror)['"]\s*(===|!==)|startsWith\(\s*['"]bridge:/;
    expect(files.filter((f) => comparing.test(f.text) && !readers.has(f.path)).map((f) => f.path)).toEqual([]);
  });
});
