import { checkSignal, decodeSignal, encodeSignal } from './validate';
import { CONTRACT_VERSION, decodeFloat64, encodeFloat64, type Signal } from './signals';

const meta = { v: CONTRACT_VERSION, runId: 'run-1', source: 'supervisor', seq: 7, t_ns: 100000 };
const dac = (write: unknown, m: object = meta): unknown => ({ type: 'DacWritten', meta: m, data: { writes: [write] } });

describe('signal validation', () => {
  it('accepts a well-formed DAC write and round-trips it through the wire encoding', () => {
    const s = dac({ channel: 3, code: 255 }) as Signal;
    expect(checkSignal(s)).toEqual({ ok: true, signal: s });
    const back = decodeSignal(encodeSignal(s));
    expect(back.ok && back.signal).toEqual(s);
  });

  it.each([
    [dac({ channel: 0, code: 300 }), /DacWritten: writes\[0\]\.code must be an integer in 0\.\.255, got 300/],
    [dac({ channel: 256, code: 1 }), /DacWritten: writes\[0\]\.channel must be an integer in 0\.\.255, got 256/],
    [dac({ channel: 1, code: Number.NaN }), /code must be an integer in 0\.\.255, got NaN/],
    [dac({ channel: 1, code: 2 }, { ...meta, source: 'clamping' }), /meta\.source must be supervisor for DacWritten/],
    [dac({ channel: 1, code: 2 }, { ...meta, runId: 'a.b' }), /meta\.runId must be/],
    [dac({ channel: 1, code: 2 }, { ...meta, v: 1 }), /meta\.v must be contract version 5/],
    [dac({ channel: 1, code: 2 }, { ...meta, seq: 0 }), /meta\.seq must be an integer in 1\.\./],
    [
      {
        type: 'DacWritten',
        meta,
        data: {
          writes: [
            { channel: 1, code: 2 },
            { channel: 1, code: 3 },
          ],
        },
      },
      /writes\[1\]\.channel must not repeat a channel of the same latch/,
    ],
    [{ type: 'DacWritten', meta, data: { writes: [] } }, /writes must be an array of 1\.\.256 channel writes/],
    [{ type: 'PortBound', meta: { ...meta, source: 'clamping' }, data: { service: 'clamping', adapter: 'usb' } }, /adapter must be sim, mirror or bridge:<address>/],
    [{ type: 'PortBound', meta: { ...meta, source: 'clamping' }, data: { service: 'measurement', adapter: 'sim' } }, /data\.service must be the emitting service/],
    [{ type: 'Teleported', meta, data: {} }, /type must be a known signal type/],
    [{ type: 'FreeOutputMeasured', meta: { ...meta, source: 'edge-physics' }, data: { step: 1, substep: 0, outputs_V: [0.1, 'x'] } }, /outputs_V\[1\] must be a finite number/],
    [{ type: 'GatesEvolved', meta: { ...meta, source: 'edge-physics' }, data: { step: 1, gates: '!!' } }, /gates must be base64 float64 data/],
    ['nonsense', /signal must be an object/],
  ])('rejects %j with a reason', (value, reason) => {
    const c = checkSignal(value);
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(reason);
  });

  it('reports bytes that are not JSON', () => {
    const c = decodeSignal(new TextEncoder().encode('{oops'));
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.reason).toMatch(/not JSON/);
  });

  it('encodes float64 arrays exactly', () => {
    const v = Float64Array.of(Math.PI, -0, 1e-300, 3.5000000000000004);
    const back = decodeFloat64(encodeFloat64(v));
    expect(Array.from(back)).toEqual(Array.from(v));
    expect(Object.is(back[1], -0)).toBe(true);
  });
});
