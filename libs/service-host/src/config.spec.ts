import { serviceConfig } from './config';

describe('service configuration', () => {
  it('reads the NATS URL, the recording target and the flush interval from the environment', () => {
    expect(serviceConfig({ METATWIN_NATS_URL: 'nats://127.0.0.1:14222' })).toEqual({ natsUrl: 'nats://127.0.0.1:14222', record: 'nats://127.0.0.1:14222', flushEvery_ms: 20 });
    expect(serviceConfig({ METATWIN_RECORD: 'off', METATWIN_FLUSH_MS: '5' })).toMatchObject({ natsUrl: 'nats://127.0.0.1:4222', record: 'off', flushEvery_ms: 5 });
  });
  it('names the bad variable', () => {
    expect(() => serviceConfig({ METATWIN_NATS_URL: 'http://x' })).toThrow(/METATWIN_NATS_URL must be a nats:\/\/ URL/);
    expect(() => serviceConfig({ METATWIN_FLUSH_MS: 'soon' })).toThrow(/METATWIN_FLUSH_MS/);
  });
});
