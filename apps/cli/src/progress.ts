/**
 * A progress line on stderr: simulated learning time, steps/s and the latest MSE. On a
 * terminal it redraws in place; otherwise it prints a line every 10 %, so logs stay short.
 */
import type { Progress } from '@metatwin/experiments';

export class ProgressBar {
  private lastDecile = -1;
  private lastDraw = -Infinity;
  private prefix = '';

  constructor(
    private readonly write: (s: string) => void,
    private readonly tty: boolean,
  ) {}

  task(index: number, total: number, name: string): void {
    this.prefix = `[${index + 1}/${total}] `;
    if (!this.tty) this.write(`${this.prefix}${name}\n`);
    this.lastDecile = -1;
  }

  update(p: Progress): void {
    const fraction = p.steps > 0 ? p.step / p.steps : 1;
    const rate = p.wall_s > 0 ? p.step / p.wall_s : 0;
    const text = `${this.prefix}t = ${p.t_s.toFixed(2)} s  ${Math.round(rate).toLocaleString('en-US')} steps/s  MSE ${p.mse.toExponential(2)} V²`;
    if (this.tty) {
      if (p.wall_s - this.lastDraw < 0.05 && p.step < p.steps) return;
      this.lastDraw = p.wall_s;
      const width = 24;
      const filled = Math.round(fraction * width);
      this.write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * fraction).toFixed(0).padStart(3)}%  ${text}\x1b[K`);
    } else {
      const decile = Math.floor(fraction * 10);
      if (decile === this.lastDecile) return;
      this.lastDecile = decile;
      this.write(`${(100 * fraction).toFixed(0).padStart(3)}%  ${text}\n`);
    }
  }

  /** A line of its own (a warning, a state change), on a terminal clearing the bar first. */
  note(text: string): void {
    this.write(this.tty ? `\r${text}\x1b[K\n` : `${text}\n`);
    this.lastDraw = -Infinity;
  }

  done(): void {
    if (this.tty) this.write('\n');
  }
}
