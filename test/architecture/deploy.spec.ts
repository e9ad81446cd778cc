/**
 * deploy/ without a Docker engine (there is none on this machine, and no registry to pull
 * base images from): the compose file and the Dockerfile agree with the repository — every
 * subsystem is a service running its npm script, the servers Grafana and the services need
 * are there, and every path the Dockerfile copies exists. (The image's build steps were also
 * replayed by hand without Docker; see issue 4's note.)
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(__dirname, '..', '..');
const SUBSYSTEMS = ['edge-physics', 'supervisor', 'clamping', 'measurement'];

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
}

const compose = parse(readFileSync(join(root, 'deploy', 'compose.yaml'), 'utf8'), { merge: true }) as { services: Record<string, Service> };
const scripts = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

describe('deploy/compose.yaml', () => {
  it('brings up nats, influxdb, grafana and the four subsystem services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['clamping', 'edge-physics', 'grafana', 'influxdb', 'measurement', 'nats', 'supervisor']);
  });

  it.each(SUBSYSTEMS)('%s runs its own npm script from the metatwin image, with NATS and InfluxDB configured', (name) => {
    const svc = compose.services[name];
    expect(svc.command).toEqual(['npm', 'run', `serve:${name}`]);
    expect(scripts[`serve:${name}`]).toBe(`node bin/serve.js ${name}`);
    expect(svc.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(svc.environment?.METATWIN_NATS_URL).toBe('nats://nats:4222');
    expect(svc.environment?.METATWIN_INFLUX_URL).toBe('http://influxdb:8086');
    expect(svc.depends_on?.nats?.condition).toBe('service_healthy');
    expect(svc.depends_on?.influxdb?.condition).toBe('service_healthy');
  });

  it('runs nats with JetStream and a 1.x influxdb', () => {
    expect(compose.services.nats.command).toContain('-js');
    expect(compose.services.influxdb.image).toMatch(/^influxdb:1\./);
  });
});

describe('deploy/Dockerfile', () => {
  const dockerfile = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');

  it('copies only paths that exist in the repository', () => {
    const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1].trim().split(/\s+/).slice(0, -1)).flat();
    expect(copies.length).toBeGreaterThan(3);
    for (const path of copies) expect({ path, exists: existsSync(join(root, path)) }).toEqual({ path, exists: true });
  });

  it('builds everything tsconfig.build.json compiles', () => {
    const include = (JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] }).include;
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+)$/gm)].map((m) => m[1].trim().split(/\s+/)[0]);
    for (const pattern of include) {
      const top = pattern.split('/*')[0].replace(/\/$/, '');
      expect({ pattern, copied: copied.some((c) => top === c || top.startsWith(`${c}/`)) }).toEqual({ pattern, copied: true });
    }
  });
});
