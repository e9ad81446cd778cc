import { serviceConfig } from './config';

describe('service configuration', () => {
  it('reads the NATS URL, the recording target and the flush interval from the environment', () => {
    expect(serviceConfig({ METATWIN_NATS_URL: 'nats://127.0.0.1:14222' })).toEqual({
      natsUrl: 'nats://127.0.0.1:14222',
      record: 'nats://127.0.0.1:14222',
      flushEvery_ms: 20,
      influx: null,
    });
    expect(serviceConfig({ METATWIN_RECORD: 'off', METATWIN_FLUSH_MS: '5' })).toMatchObject({ natsUrl: 'nats://127.0.0.1:4222', record: 'off', flushEvery_ms: 5 });
  });
  it('reads the InfluxDB target for health figures and the projection', () => {
    expect(serviceConfig({ METATWIN_INFLUX_URL: 'http://127.0.0.1:18086', METATWIN_INFLUX_DB: 'lab' }).influx).toMatchObject({ host: '127.0.0.1', port: 18086, database: 'lab' });
  });
  it('names the bad variable', () => {
    expect(() => serviceConfig({ METATWIN_INFLUX_URL: 'udp://x' })).toThrow(/METATWIN_INFLUX_URL must use http/);
    expect(() => serviceConfig({ METATWIN_NATS_URL: 'http://x' })).toThrow(/METATWIN_NATS_URL must be a nats:\/\/ URL/);
    expect(() => serviceConfig({ METATWIN_FLUSH_MS: 'soon' })).toThrow(/METATWIN_FLUSH_MS/);
  });
});
