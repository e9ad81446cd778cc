import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCredentials } from '@metatwin/nats-auth';
import { serviceConfig } from './config';

describe('service configuration', () => {
  it("connects with its own role's seed from METATWIN_NATS_CREDS_DIR, and names a missing one", () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'metatwin-service-creds-')), 'creds');
    writeCredentials(dir);
    expect(serviceConfig({ METATWIN_NATS_CREDS_DIR: dir }, 'clamping').security).toMatchObject({ role: 'clamping', nkeySeedFile: join(dir, 'clamping.nk') });
    const empty = mkdtempSync(join(tmpdir(), 'metatwin-service-nocreds-'));
    expect(() => serviceConfig({ METATWIN_NATS_CREDS_DIR: empty }, 'supervisor')).toThrow(`no credentials for role supervisor in ${empty}`);
  });

  it('reads the NATS URL from the environment', () => {
    expect(serviceConfig({ METATWIN_NATS_URL: 'nats://127.0.0.1:14222' })).toEqual({ natsUrl: 'nats://127.0.0.1:14222', influx: null, logLimits: {} });
    expect(serviceConfig({})).toEqual({ natsUrl: 'nats://127.0.0.1:4222', influx: null, logLimits: {} });
    expect(serviceConfig({ METATWIN_LOG_MAX_AGE_S: '604800', METATWIN_LOG_MAX_BYTES: '2e9' }).logLimits).toEqual({ maxAge_s: 604800, maxBytes: 2e9 });
  });
  it('reads the InfluxDB target for health figures and the projection', () => {
    expect(serviceConfig({ METATWIN_INFLUX_URL: 'http://127.0.0.1:18086', METATWIN_INFLUX_DB: 'lab' }).influx).toMatchObject({ host: '127.0.0.1', port: 18086, database: 'lab' });
  });
  it('names the bad variable', () => {
    expect(() => serviceConfig({ METATWIN_INFLUX_URL: 'udp://x' })).toThrow(/METATWIN_INFLUX_URL must use http/);
    expect(() => serviceConfig({ METATWIN_NATS_URL: 'http://x' })).toThrow(/METATWIN_NATS_URL must be a nats:\/\/ URL/);
    expect(() => serviceConfig({ METATWIN_LOG_MAX_BYTES: 'lots' })).toThrow(/METATWIN_LOG_MAX_BYTES must be a positive number, got "lots"/);
  });
  it('refuses the variables log-first delivery retired, saying why', () => {
    expect(() => serviceConfig({ METATWIN_RECORD: 'off' })).toThrow(/METATWIN_RECORD is no longer read: services deliver every signal through the event log/);
    expect(() => serviceConfig({ METATWIN_FLUSH_MS: '5' })).toThrow(/METATWIN_FLUSH_MS is no longer read/);
  });
});
