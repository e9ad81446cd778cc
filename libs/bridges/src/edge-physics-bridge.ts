/**
 * The twin network on hardware: the board's 32 twin edges, driven and read through the I/O
 * controller. Physically:
 * - the held nodes (inputs and rails) are the DAC channels of the patch map, written at the
 *   start of each step;
 * - the free outputs are read through the demux and ADC (node LSB ≈ 1.8 mV, averaged over the
 *   experiment's repeats) — the only way a host sees them;
 * - a simulated clamp's O^C is driven onto the clamped outputs by the test jig's 16-bit DACs;
 *   with the clamp's bridge on this controller, the board's own clamp holds them instead;
 * - learn-enable is pulsed by the controller for the step's t_h (per substep when the run has
 *   substeps), tagged with the run and the pulse's number, so a pulse sent again after a
 *   restart is not applied twice;
 * - the gates are read through the ADC (LSB ≈ 39 mV) at snapshots and test steps, not after
 *   every step: `endLearning` gives the last gates read. The hardware keeps its own state, so
 *   `restore` drives nothing: a restarted service takes up the board as it is.
 */
import { encodeDemux, nodeCount, outputNodes } from '@metatwin/contracts';
import type { EdgePhysicsPort, EdgeSnapshot, Learned, NodesReading, Settle } from '@metatwin/edge-physics';
import { JIG, ROUTE, jigCode } from '@metatwin/protocol';
import type { BoardAccess } from './board-access';
import { recordPulse } from './pulse-timing';

const ALL_ROUTES = ROUTE.clampedOutputsFromJig | ROUTE.clampInputFromJig | ROUTE.adcFromJig;

export class EdgePhysicsBridge implements EdgePhysicsPort {
  private readonly freeOutputs: number[];
  private readonly clampOnBoard: boolean;
  /** The network, the clamp and the ADC on the board as wired; the jig drives the clamped outputs unless the clamp is here. */
  private readonly routing: number;
  private readonly nodes: number;
  private readonly substeps: number;
  private readonly t_h_ns: number;
  private readonly allAddresses: number[];
  private gates_V: Float64Array;
  private pulseStep = -1;
  private substep = 0;

  constructor(private readonly board: BoardAccess) {
    const exp = board.exp;
    this.nodes = nodeCount(exp.network);
    this.freeOutputs = outputNodes(exp).map((n) => encodeDemux('free', n, this.nodes));
    this.clampOnBoard = board.onBoard.has('clamping');
    this.routing = this.clampOnBoard ? 0 : ROUTE.clampedOutputsFromJig;
    this.substeps = exp.schedule.substeps;
    this.t_h_ns = Math.round(exp.schedule.t_h_s * 1e9);
    // Addresses 0..2n−1 are the free then the clamped nodes; address e < edges also reads gate e.
    this.allAddresses = Array.from({ length: Math.max(2 * this.nodes, board.edges) }, (_, a) => a);
    this.gates_V = new Float64Array(board.edges).fill(Number.NaN);
  }

  hold(_t_ns: number, _datapoint: number, held_V: ReadonlyArray<number>): Promise<void> {
    return this.board.exclusive(async () => {
      await this.board.request({ kind: 'dacWrite', writes: this.board.heldCodes(held_V) }, 'ack');
    });
  }

  settleFree(): Promise<Settle> {
    return this.board.exclusive(async () => {
      await this.route();
      const read = await this.board.scan(this.freeOutputs);
      return { ok: true, outputs_V: read.map((r) => this.board.nodeVolts(r.nodeCode)) };
    });
  }

  learn(t_ns: number, clamp: ReadonlyArray<number>, dt_s: number): Promise<Learned> {
    // The pulse's number in the run: its step (from the step's time) and substep.
    const step = Math.round(t_ns / this.t_h_ns);
    this.substep = step === this.pulseStep ? this.substep + 1 : 0;
    this.pulseStep = step;
    const index = step * this.substeps + this.substep;
    return this.board.exclusive(async () => {
      await this.route();
      if (!this.clampOnBoard)
        await this.board.request({ kind: 'jigWrite', writes: clamp.map((v, k) => ({ channel: JIG.clampedOutput + k, code: jigCode(JIG.clampedOutput + k, v) })) }, 'ack');
      const duration_us = Math.round(dt_s * 1e6);
      const done = await this.board.request({ kind: 'learnPulse', duration_us, run: this.board.tag, index }, 'pulseDone');
      if (!done.applied) return { ok: true }; // applied before this process restarted: its timing was counted then
      if (done.duration_us < duration_us)
        return { ok: false, reason: `learn-enable was on ${done.duration_us} µs of the ${duration_us} µs asked (the controller's fail-safe cut the pulse)` };
      recordPulse(this.board.tag, duration_us, done.duration_us);
      return { ok: true };
    });
  }

  endLearning(): Float64Array {
    return this.gates_V;
  }

  measure(_t_ns: number, _datapoint: number, held_V: ReadonlyArray<number>): Promise<NodesReading> {
    return this.board.exclusive(async () => {
      // The datapoint's voltages go with each read (adcScan's writes): another host on this
      // controller (the measurement's service) may have put its own datapoint on the DACs.
      const held = this.board.heldCodes(held_V);
      await this.route();
      if (!this.clampOnBoard) {
        // Learning is frozen: the jig holds the clamped outputs at the free outputs (a clamp at
        // η = 0), so the clamped copy is read at a state like the free copy's, not wherever the
        // last step left the jig — the readings calibration fits the clamped copy from.
        const outputs = await this.board.scan(this.freeOutputs, held);
        await this.board.request(
          { kind: 'jigWrite', writes: outputs.map((r, k) => ({ channel: JIG.clampedOutput + k, code: jigCode(JIG.clampedOutput + k, this.board.nodeVolts(r.nodeCode)) })) },
          'ack',
        );
      }
      const read = await this.board.scan(this.allAddresses, held);
      this.gates_V = this.gatesOf(read);
      const volts = read.map((r) => this.board.nodeVolts(r.nodeCode));
      return { ok: true, nodes_V: volts.slice(0, this.nodes), gates_V: this.gates_V, clamped_V: volts.slice(this.nodes, 2 * this.nodes) };
    });
  }

  snapshot(): Promise<EdgeSnapshot> {
    return this.board.exclusive(async () => {
      await this.route();
      this.gates_V = this.gatesOf(await this.board.scan(this.allAddresses));
      return { gates_V: this.gates_V, warm: null };
    });
  }

  restore(snapshot: EdgeSnapshot): void {
    this.gates_V = snapshot.gates_V.slice();
  }

  private gatesOf(read: ReadonlyArray<{ gateCode: number }>): Float64Array {
    return Float64Array.from(read.slice(0, this.board.edges), (r) => this.board.gateVolts(r.gateCode));
  }

  private async route(): Promise<void> {
    await this.board.request({ kind: 'route', mask: ALL_ROUTES, flags: this.routing }, 'ack');
  }
}
