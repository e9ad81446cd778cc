/** The gate floor as the hardware's diode (issue 15): a soft knee below G_min, not a clip. */
import { FLOOR_DIODE_1N4148, PAPER_LEARNING_CIRCUIT, stepAboveDiode } from './learning-rule';

const c = { ...PAPER_LEARNING_CIRCUIT, floor: 'diode' as const };
const { is_A, n, vt_V } = FLOOR_DIODE_1N4148;
const T_H = 100e-6;

/** Where a gate pushed down at `rate_Vps` settles: the diode takes the whole learning current. */
const settled = (rate_Vps: number): number => c.gMin_V - n * vt_V * Math.log(1 - (c.c0_F * rate_Vps) / is_A);

function hold(rate_Vps: number, from_V: number, seconds: number, dt_s = T_H): number {
  let g = from_V;
  for (let k = Math.round(seconds / dt_s); k > 0; k--) g = stepAboveDiode(g, rate_Vps, dt_s, c);
  return g;
}

describe('the diode floor (1N4148 from the G_min source)', () => {
  it.each([-0.05, -1, -20, -200])('a gate pushed down at %d V/s settles where the diode carries the learning current', (rate) => {
    const g = hold(rate, 1.2, 60);
    expect(g).toBeCloseTo(settled(rate), 6);
    // A diode drop below 1.1 V that grows with the current: ≈ 0.28 V at 1 µA, ≈ 0.6 V at 4 mA.
    expect(g).toBeLessThan(c.gMin_V);
    expect(g).toBeGreaterThan(0.4);
  });

  it('is a soft knee: the lower the push, the closer to G_min; well above it the gate follows the rule', () => {
    expect(settled(-0.05)).toBeGreaterThan(settled(-1));
    expect(settled(-1)).toBeGreaterThan(settled(-200));
    // 2 V above the floor the diode passes only its reverse current IS: 1 s moves the gate by IS·1 s/C0 ≈ 0.2 mV.
    expect(hold(0, 3.1, 1)).toBeCloseTo(3.1 - is_A / c.c0_F, 6);
    expect(hold(10, 3.0, 0.01)).toBeCloseTo(3.1, 3);
  });

  it('takes the knee in t_h steps as in 1 µs steps (the diode term is implicit)', () => {
    for (const rate of [-5, -100]) {
      const coarse = hold(rate, 1.2, 0.2);
      const fine = hold(rate, 1.2, 0.2, 1e-6);
      expect(Math.abs(coarse - fine)).toBeLessThan(2e-3);
    }
  });
});
