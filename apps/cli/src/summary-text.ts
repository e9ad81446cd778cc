/** The plain-text summary printed after a run. */
import { outputCount, trainingPointCount } from '@metatwin/contracts';
import { confusionMatrix, type FamilyResult, type RunResult } from '@metatwin/experiments';

const mV = (v: number): string => `${(1000 * v).toFixed(1).padStart(7)} mV`;

export function runSummary(r: RunResult): string {
  const s = r.summary;
  const lines: string[] = [];
  const last = r.log[r.log.length - 1];
  lines.push(`${r.name}: ${r.steps.toLocaleString('en-US')} steps, ${last.t_s.toFixed(2)} s of learning time, seed ${r.seed}, ${r.wall_s.toFixed(2)} s wall`);
  // What the experiment is, and where a preset departs from the paper's set-up, says why.
  if (r.experiment.description !== '') lines.push(r.experiment.description);
  lines.push('');
  if (outputCount(r.experiment) > 1) {
    lines.push(...classificationLines(r));
  } else if (r.inputs[0].length === 2) {
    lines.push('truth table (output, label):');
    lines.push(
      `            V2 = ${r.inputs
        .map((x) => x[1])
        .filter((v, i, a) => a.indexOf(v) === i)
        .map((v) => v.toFixed(3).padStart(22))
        .join('')}`,
    );
    const v1s = [...new Set(r.inputs.map((x) => x[0]))];
    const v2s = [...new Set(r.inputs.map((x) => x[1]))];
    for (const v1 of v1s) {
      const cells = v2s.map((v2) => {
        const d = r.inputs.findIndex((x) => x[0] === v1 && x[1] === v2);
        return d < 0 ? ''.padStart(22) : `${mV(last.outputs[d])} (${mV(r.labels[d]).trim()})`.padStart(22);
      });
      lines.push(`  V1 = ${v1.toFixed(3)}  ${cells.join('')}`);
    }
    if (s.truthTableCorrect !== undefined) lines.push(`  every output on its label's side of the midpoint: ${s.truthTableCorrect ? 'yes' : 'NO'}`);
  } else {
    lines.push('   input     output      label');
    r.inputs.forEach((x, d) => lines.push(`  ${x.map((v) => v.toFixed(3)).join(',')}  ${mV(last.outputs[d])}  ${mV(r.labels[d])}`));
  }
  lines.push('');
  lines.push(
    `MSE ${s.mseStart.toExponential(2)} → ${s.mseEnd.toExponential(2)} V²  (×${s.mseFall.toFixed(1)} lower)${s.classification?.heldOutMseEnd === undefined ? '' : `; held out, at the end: ${s.classification.heldOutMseEnd.toExponential(2)} V²`}`,
  );
  if (r.modeNames.length > 0) {
    const halves = r.modeNames.map((n) => `${n} ${s.modeHalfTimes_s[n] === null ? 'never' : `${(s.modeHalfTimes_s[n] as number).toFixed(3)} s`}`).join(', ');
    lines.push(`modes fell (below half their start) in the order ${s.modeOrder.join(' → ') || '(none)'}: ${halves}; expected order ${s.modesInOrder ? 'yes' : 'NO'}`);
  } else {
    lines.push("error modes: not defined for a multi-output task (they are of one output's error)");
  }
  const meanPower = r.final.power_W.reduce((a, b) => a + b, 0) / r.final.power_W.length;
  lines.push(
    // Three significant figures, not fixed decimals: on 80,000 edges the power per edge is nW.
    `inference power ${(meanPower * 1e6).toFixed(1)} µW (${Number(((meanPower * 1e6) / r.final.gates_V.length).toPrecision(3))} µW per edge), ${Number((r.final.energyPerEdge_J * 1e12).toPrecision(3))} pJ per edge per inference (τ_V = 2 µs)`,
  );
  const held = r.final.heldEdges ?? [];
  if (held.length > 0) {
    const total = r.final.powerPerEdge_W.reduce((a, b) => a + b, 0);
    const ofHeld = held.reduce((a, e) => a + r.final.powerPerEdge_W[e], 0);
    lines.push(
      `  of it ${((100 * ofHeld) / total).toFixed(0)} % in the ${held.length} edge(s) joining two held nodes (${held.join(', ')}), set by the sources whatever is learned`,
    );
  }
  if (r.final.learningEnergy_J !== undefined) {
    const learning_s = last.t_s;
    lines.push(
      `learning circuits: ${Number((r.final.learningEnergy_J * 1e3).toPrecision(3))} mJ charging through R0 (Eq. D1) over ${learning_s.toFixed(2)} s, ${Number(((r.final.learningEnergy_J / Math.max(learning_s, 1e-12) / r.final.gates_V.length) * 1e6).toPrecision(3))} µW per edge on average`,
    );
  }
  const opAmp_W = r.experiment.report?.opAmpPowerPerEdge_W;
  if (opAmp_W !== undefined) {
    // Asked for in the experiment (report.opAmpPowerPerEdge_W): the op-amps and multiplier draw it while powered, learning or not.
    const edges = r.final.gates_V.length;
    lines.push(
      `  op-amps and multipliers: ${Number((opAmp_W * 1e3).toPrecision(3))} mW per edge (Appendix D: ≈ 100 mW) → ${Number((opAmp_W * edges).toPrecision(3))} W for ${edges} edges, ${Number((opAmp_W * edges * last.t_s).toPrecision(3))} J over ${last.t_s.toFixed(2)} s of learning`,
    );
  }
  lines.push(`learned by the task's criterion: ${s.learned ? 'yes' : 'no'}`);
  if (r.pacing) lines.push(...pacingLines(r.pacing, r.experiment.schedule.t_h_s));
  return lines.join('\n') + '\n';
}

const percent = (x: number): string => `${(100 * x).toFixed(1)} %`;

/** A classification: accuracy at the first and last test, and the final confusion matrix of each set. */
function classificationLines(r: RunResult): string[] {
  const c = r.summary.classification;
  const k = outputCount(r.experiment);
  const trained = trainingPointCount(r.experiment.dataset);
  const total = r.inputs.length;
  const names = r.experiment.dataset.classNames ?? Array.from({ length: k }, (_, o) => `output ${o + 1}`);
  const last = r.log[r.log.length - 1].outputs;
  const lines = [`classification into ${k} classes (highest output wins), ${trained} datapoints trained on, ${total - trained} held out`];
  if (c) {
    lines.push(`  accuracy, trained on: ${percent(c.accuracyStart)} → ${percent(c.accuracyEnd)}`);
    if (c.heldOutAccuracyEnd !== undefined) lines.push(`  accuracy, held out:   ${percent(c.heldOutAccuracyStart ?? 0)} → ${percent(c.heldOutAccuracyEnd)}`);
  }
  const width = Math.max(10, ...names.map((n) => n.length + 2));
  const table = (title: string, from: number, to: number): void => {
    const m = confusionMatrix(last, r.labels, k, from, to);
    lines.push(`  ${title}: rows the true class, columns the class read`);
    lines.push(`  ${''.padEnd(width)}${names.map((n) => n.padStart(width)).join('')}`);
    m.forEach((row, t) => lines.push(`  ${names[t].padEnd(width)}${row.map((n) => String(n).padStart(width)).join('')}`));
  };
  table('final confusion, trained on', 0, trained);
  if (trained < total) table('final confusion, held out', trained, total);
  return lines;
}

const us = (x: number): string => Math.round(x).toLocaleString('en-US');

/** A run on hardware: how close it kept to hardware time, as the host measured it. */
function pacingLines(p: NonNullable<RunResult['pacing']>, t_h_s: number): string[] {
  const period = p.stepPeriod_us;
  const lines = [
    `pacing (on hardware): ${p.steps.toLocaleString('en-US')} steps of ${us(t_h_s * 1e6)} µs, ${p.learning_s.toFixed(2)} s of learning time in ${p.wall_s.toFixed(2)} s wall: real-time factor ${p.realTimeFactor.toFixed(2)}`,
    `  step period ${us(period.mean)} ± ${us(period.std)} µs, median ${us(period.p50)}, 99th percentile ${us(period.p99)}, max ${us(period.max)} µs`,
  ];
  const over = p.pulseOverrun_us;
  if (over)
    lines.push(`  learn pulses over t_h by ${over.mean.toFixed(1)} µs on average, ${us(over.max)} µs at most (${over.count.toLocaleString('en-US')} timed by the controller)`);
  return lines;
}

export function familySummary(f: FamilyResult): string {
  const lines = [`${f.name}: ${f.tasks.length} tasks, seed ${f.seed}, ${f.wall_s.toFixed(1)} s wall`, ''];
  lines.push('  task                                      MSE start → end        fall   modes in order');
  for (const t of f.tasks) {
    lines.push(
      `  ${t.name.padEnd(40)} ${t.summary.mseStart.toExponential(2)} → ${t.summary.mseEnd.toExponential(2)}  ×${t.summary.mseFall.toFixed(1).padStart(6)}   ${t.summary.modesInOrder ? 'yes' : 'no'}`,
    );
  }
  lines.push('');
  lines.push(`modes fell in order (E0 → E1 → E2) for ${f.inOrder} of ${f.tasks.length} tasks`);
  return lines.join('\n') + '\n';
}
