/**
 * Demultiplexer addressing (paper Appendix E.4): four 4-to-1 MAX396 demuxes and 2-to-1
 * MAX322 switches select, with one 5-bit address (32 choices), one node (16 free + 16
 * clamped) and one gate (32) at a time. Address a selects node slot a and gate a.
 */
export interface DemuxSelection {
  /** Which copy the selected node belongs to. */
  readonly copy: 'free' | 'clamped';
  readonly node: number;
  readonly edge: number;
}

export const DEMUX_ADDRESS_BITS = 5;

/**
 * Decode a demux address for a network with `nodeCount` nodes per copy and `edgeCount`
 * gates: addresses 0…nodeCount−1 are free nodes, the next nodeCount clamped nodes; the
 * gate is the edge with the same index. Larger networks use wider addresses.
 */
export function decodeDemux(address: number, nodeCount: number, edgeCount: number): DemuxSelection {
  const slots = Math.max(2 * nodeCount, edgeCount);
  if (!Number.isInteger(address) || address < 0 || address >= slots) {
    throw new RangeError(`demux address must be an integer in 0..${slots - 1}, got ${address}`);
  }
  const copy = address < nodeCount ? 'free' : 'clamped';
  return { copy, node: address % nodeCount, edge: address % edgeCount };
}

export function encodeDemux(copy: 'free' | 'clamped', node: number, nodeCount: number): number {
  if (!Number.isInteger(node) || node < 0 || node >= nodeCount) throw new RangeError(`node must be in 0..${nodeCount - 1}, got ${node}`);
  return copy === 'free' ? node : nodeCount + node;
}
