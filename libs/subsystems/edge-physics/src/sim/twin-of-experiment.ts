/**
 * From an experiment to its simulated twin network: the lattice or edge list, each copy's
 * transistors with their mismatch, the learning offsets and the damage schedule. Random
 * draws come from forks of the seed, one per purpose, so turning one imperfection on never
 * reshuffles another.
 */
import { clampDrives, outputNodes, type CopyTransistors, type Experiment, type NetworkSpec } from '@metatwin/contracts';
import { networkFromEdges, rngStreams, squareLattice, uniformTransistors, type Level1Params, type Network, type TransistorSet } from '@metatwin/physics';
import { drawEdgeStages, learningOffsets, mismatchedTransistors } from '../imperfections';
import { TwinNetwork } from '../twin';

export function networkOf(spec: NetworkSpec): Network {
  return spec.kind === 'lattice'
    ? squareLattice(spec.rows, spec.cols, spec.periodic)
    : networkFromEdges(
        spec.nodes,
        spec.edges.map(([a, b]) => [a, b] as [number, number]),
      );
}

/** The twin network of an experiment, with its mismatch, offsets and damage, at the initial gates. */
export function twinOf(exp: Experiment): TwinNetwork {
  const network = networkOf(exp.network);
  const streams = rngStreams(exp.seed);
  const card: Level1Params = {
    vto_V: exp.transistor.vto_V,
    beta_AperV2: exp.transistor.k_AperV2,
    gamma_sqrtV: exp.transistor.gamma_sqrtV,
    phi_V: exp.transistor.phi_V,
    lambda_perV: exp.transistor.lambda_perV,
  };
  const m = network.edgeCount;
  const { mismatch, learningOffsetSigma_V2, damage, chip } = exp.imperfections;
  // A chip's own parameters replace the card and the draws where it gives them.
  const copy = (given: CopyTransistors | null | undefined, drawn: () => TransistorSet): TransistorSet => {
    if (!given) return drawn();
    const set = uniformTransistors(m, card);
    set.vto_V.set(given.vto_V);
    set.beta_AperV2.set(given.k_AperV2);
    return set;
  };
  const offsets = chip?.learningOffsets_V2
    ? Float64Array.from(chip.learningOffsets_V2)
    : learningOffsetSigma_V2 > 0
      ? learningOffsets(m, learningOffsetSigma_V2, streams.offsets)
      : null;
  return new TwinNetwork(
    {
      network,
      freeTransistors: copy(chip?.free, () => mismatchedTransistors(m, card, mismatch, streams.mismatchFree)),
      clampedTransistors: copy(chip?.clamped, () => mismatchedTransistors(m, card, mismatch, streams.mismatchClamped)),
      heldNodes: [...exp.roles.inputs, ...exp.roles.rails.map((r) => r.node)],
      outputNodes: outputNodes(exp),
      clampDrives: clampDrives(exp.clamp),
      learning: exp.learning.offPerStep_s === undefined ? { ...exp.learning, offPerStep_s: exp.schedule.t_h_s } : exp.learning,
      learningOffset_V2: offsets,
      learningStages: exp.learning.stages ? drawEdgeStages(m, exp.learning.stages, streams.stages) : null,
      enableJitterSeed: exp.seed,
      damage,
      warmStartSlots: exp.dataset.inputs.length,
    },
    exp.initialGates_V,
  );
}
