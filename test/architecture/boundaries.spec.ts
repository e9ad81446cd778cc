/**
 * Module boundaries by tag, checked on every import of every project: arrows point down
 * only. type:numeric imports nothing of ours and no framework; type:domain never imports
 * NestJS, nats or influx; no lib imports an app; a lib is imported by its alias only.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = join(__dirname, '..', '..');
interface Project { name: string; root: string; tags: string[] }

function findProjects(dir: string, out: Project[] = []): Project[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.') || entry === 'dist') continue;
    const full = join(dir, entry);
    if (!statSync(full).isDirectory()) continue;
    try {
      const p = JSON.parse(readFileSync(join(full, 'project.json'), 'utf8'));
      out.push({ name: p.name, root: full, tags: p.tags ?? [] });
    } catch {
      /* not a project folder */
    }
    findProjects(full, out);
  }
  return out;
}

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) sources(full, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.spec.ts')) out.push(full);
  }
  return out;
}

const projects = ['apps', 'libs', 'test'].flatMap((d) => findProjects(join(root, d)));
const aliases: Record<string, string> = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths;
const projectOfAlias = new Map(Object.entries(aliases).map(([alias, [target]]) => [alias, projects.find((p) => join(root, target).startsWith(p.root + '/'))]));

const FRAMEWORKS = [/^@nestjs\//, /^nats$/, /^influx$/, /^rxjs/];

describe('module boundaries', () => {
  it('every project carries a scope:* and a type:* tag', () => {
    for (const p of projects) {
      expect(p.tags.some((t) => t.startsWith('scope:'))).toBe(true);
      expect(p.tags.some((t) => t.startsWith('type:'))).toBe(true);
    }
  });

  it.each(projects.filter((p) => !p.tags.includes('type:testing')).map((p) => [p.name, p] as const))('%s imports only what its type allows', (_name, project) => {
    const type = project.tags.find((t) => t.startsWith('type:'));
    for (const file of sources(project.root)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:from|import|require\()\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1];
        const where = `${relative(root, file)} imports ${spec}`;
        if (spec.startsWith('.')) {
          const target = join(file, '..', spec);
          if (!target.startsWith(project.root)) throw new Error(`${where}: reach into another project through its alias, not a relative path`);
          continue;
        }
        const imported = projectOfAlias.get(spec);
        if (imported) {
          const importedType = imported.tags.find((t) => t.startsWith('type:'));
          if (importedType === 'type:app') throw new Error(`${where}: nothing may import an app`);
          if (type === 'type:numeric' && importedType !== 'type:util') throw new Error(`${where}: numeric code depends on util only`);
        }
        if ((type === 'type:numeric' || type === 'type:domain') && FRAMEWORKS.some((r) => r.test(spec))) {
          throw new Error(`${where}: ${type} code must not import a framework or transport`);
        }
      }
    }
  });
});
