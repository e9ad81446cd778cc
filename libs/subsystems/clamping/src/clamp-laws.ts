/**
 * The clamping circuit (paper Eq. 6, Eq. 7, Appendix E.1–E.2, Appendix F): from the free
 * network's output voltages and the labels, what the clamped copy's outputs are held at
 * (or, for Equilibrium Propagation, what current is pushed into them). Pure functions of
 * their inputs, evaluated again whenever the free outputs move, as the analog feedback does.
 */
import type { ClampLaw } from '@metatwin/contracts';

export type { ClampLaw };

export type ClampLawKind = ClampLaw['kind'];

/** What the twin needs from a clamping circuit; the edge-physics subsystem depends only on this shape. */
export interface ClampCircuit {
  /** 'voltage': outputs are held at the returned voltages; 'current': the returned currents are injected. */
  readonly drives: 'voltage' | 'current';
  /** Output nodes driven per label: 1 for single outputs, 2 for differential pairs. */
  readonly nodesPerLabel: 1 | 2;
  /**
   * @param freeOutputs_V free-network voltage of every output node (pairs as +, −)
   * @param labels_V one label per task output
   * @param out clamped voltage (V) or injected current (A) per output node
   */
  clamp(freeOutputs_V: ArrayLike<number>, labels_V: ArrayLike<number>, out: Float64Array): void;
}

export class ClampLawError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = 'ClampLawError';
  }
}

export function validateClampLaw(law: ClampLaw): void {
  switch (law.kind) {
    case 'coupled':
    case 'differential':
      if (!(law.eta > 0 && law.eta <= 1)) throw new ClampLawError(`clamp.eta must be in (0, 1], got ${law.eta}`);
      return;
    case 'equilibrium-propagation':
    case 'differential-equilibrium-propagation':
      if (!(law.beta_S > 0) || !Number.isFinite(law.beta_S)) throw new ClampLawError(`clamp.beta_S must be a positive number of siemens, got ${law.beta_S}`);
      return;
    default: {
      const never: never = law;
      throw new ClampLawError(
        `clamp.kind must be one of coupled, differential, equilibrium-propagation, differential-equilibrium-propagation, got ${JSON.stringify((never as { kind: unknown }).kind)}`,
      );
    }
  }
}

/** Coupled Learning output for one node (Eq. 6). */
export function coupledOutput(free_V: number, label_V: number, eta: number): number {
  return eta * label_V + (1 - eta) * free_V;
}

/**
 * Differential clamp (Eq. 7) as the hardware builds it (Fig. 9B): label lines
 * L± = (O+ + O−)/2 ± L/2 feed two potentiometer circuits with wiper η, so
 * O±^C = η L± + (1 − η) O±, which equals O± ± (η/2)(L − (O+ − O−)).
 */
export function differentialOutputs(freePlus_V: number, freeMinus_V: number, label_V: number, eta: number, out: Float64Array, at: number): void {
  const mid = 0.5 * (freePlus_V + freeMinus_V);
  const labelPlus = mid + 0.5 * label_V;
  const labelMinus = mid - 0.5 * label_V;
  out[at] = coupledOutput(freePlus_V, labelPlus, eta);
  out[at + 1] = coupledOutput(freeMinus_V, labelMinus, eta);
}

export function clampCircuit(law: ClampLaw): ClampCircuit {
  validateClampLaw(law);
  switch (law.kind) {
    case 'coupled': {
      const eta = law.eta;
      return {
        drives: 'voltage',
        nodesPerLabel: 1,
        clamp(o, l, out) {
          for (let i = 0; i < l.length; i++) out[i] = coupledOutput(o[i], l[i], eta);
        },
      };
    }
    case 'differential': {
      const eta = law.eta;
      return {
        drives: 'voltage',
        nodesPerLabel: 2,
        clamp(o, l, out) {
          for (let i = 0; i < l.length; i++) differentialOutputs(o[2 * i], o[2 * i + 1], l[i], eta, out, 2 * i);
        },
      };
    }
    case 'equilibrium-propagation': {
      const beta = law.beta_S;
      return {
        drives: 'current',
        nodesPerLabel: 1,
        clamp(o, l, out) {
          for (let i = 0; i < l.length; i++) out[i] = beta * (l[i] - o[i]);
        },
      };
    }
    case 'differential-equilibrium-propagation': {
      const half = 0.5 * law.beta_S;
      return {
        drives: 'current',
        nodesPerLabel: 2,
        clamp(o, l, out) {
          for (let i = 0; i < l.length; i++) {
            const push = half * (l[i] - (o[2 * i] - o[2 * i + 1]));
            out[2 * i] = push;
            out[2 * i + 1] = -push;
          }
        },
      };
    }
    default: {
      const never: never = law;
      throw new ClampLawError(`unknown clamp law ${JSON.stringify(never)}`);
    }
  }
}

/** η realised by a wiper position. */
export function etaOfWiper(position: number, positions = 128): number {
  if (!Number.isInteger(position) || position < 0 || position >= positions) {
    throw new ClampLawError(`wiper position must be an integer in 0..${positions - 1}, got ${position}`);
  }
  return position / (positions - 1);
}
