export const USAGE = `metatwin — digital twin of a self-learning transistor network

Usage:
  metatwin run <preset|file> [--out DIR] [--seed N] [--steps N | --time SECONDS] [--no-report] [--bus in-process|direct|nats://…] [--record DIR|nats://…] [--influx http://…] [--on-interrupt ask|cancel|detach]
                                    run an experiment: embedded services by default (event log
                                    in runs/log), distributed with --bus nats://…, the same with
                                    recording off with --bus direct; --influx projects it into
                                    InfluxDB (presets: xor, xor-paper, regression,
                                    regression-family, iris; or a JSON/YAML file, whose rig
                                    picks each subsystem's adapter);
                                    Ctrl-C asks: cancel (recorded, resumable) or detach
  metatwin study run <file> [--workers N | --nats URL]
                                    a scaling study: the jobs of a study file (axes of task,
                                    topology, size, seed, any experiment field), run on a pool
                                    of N threads here (default: the cores) or queued on NATS
                                    JetStream for \`metatwin worker\`s; results in
                                    studies/<id>/results.jsonl and .csv; run again to go on
  metatwin study status <id> [--nats URL] [--json] | study cancel <id> [--nats URL] | study report <id> [--out DIR]
                                    done / failed / running / queued with an ETA; stop it; its
                                    HTML report (metric against size, fitted power laws)
  metatwin worker --nats URL [--name NAME] [--jobs N]
                                    pull study jobs from a JetStream work queue and run them
                                    (as many workers, on as many machines, as you like)
  metatwin runs [--log DIR|nats://…] [--json]
                                    recorded runs from the catalogue: experiment, mode, status
                                    (running, finished, aborted, cancelled, interrupted,
                                    incomplete when the log lost records), length
  metatwin replay <run> [--at SECONDS] [--verify] [--log DIR|nats://…]
                                    state (gates, every datapoint's output) at a time,
                                    rebuilt from the log; --verify re-drives the recorded
                                    inputs, reports any difference from recorded gates and
                                    checks the log is complete
  metatwin result <run> [--log DIR|nats://…] [--out DIR] [--no-report]
                                    rebuild result.json and the report from the log alone
  metatwin attach <run> --log nats://… [--out DIR] [--no-report]
                                    follow a run on the services to its end, write its result
  metatwin cancel <run> [--log DIR|nats://…]
                                    stop a run; it is recorded as cancelled and can be resumed
  metatwin resume <run> [--log DIR|nats://…] [--out DIR] [--no-report]
                                    go on with a cancelled or interrupted run where its log ends
  metatwin prune [--log DIR|nats://…] [--older-than DAYS] [--keep N] [--run ID]… [--dry-run]
                                    remove ended runs (and their catalogue entries) from the log
  metatwin watch <run> [--log DIR|nats://…] [--every SECONDS] [--once]
                                    follow a run: a line per test step (t, step, MSE, error
                                    modes, steps/s), then its end; exit 0 finished, 1 aborted;
                                    --once prints what is recorded so far and exits
  metatwin influx rebuild <run> [--log DIR|nats://…] [--influx http://host:8086[/db]]
                                    project a recorded run into InfluxDB again (idempotent)
  metatwin solve --network FILE     DC operating point of one network copy (JSON in, JSON out)
  metatwin up [--nats URL] [--influx URL]
                                    the four services (edge-physics, supervisor, clamping,
                                    measurement) as child processes on NATS, until Ctrl-C;
                                    each with its role's credentials (METATWIN_NATS_CREDS_DIR)
  metatwin nats-auth init|rotate [--dir DIR] [--role ROLE]…
                                    NATS credentials: an nkey seed per role in DIR (default
                                    .tmp/servers/nats-auth) and nats-server's authorization
                                    block (auth.conf) from the roles table; rotate replaces seeds
  metatwin emulate <preset|file> (--tcp PORT | --pty) [--chip FILE | --chip-seed N] [--vto-sigma V] [--k-sigma REL] [--offset-sigma V²] [--noise V] [--latency MS] [--drop P] [--corrupt P] [--duplicate P] [--reorder P] [--fail-safe MS] [--fast]
                                    the board emulator: the experiment's network behind the
                                    I/O-controller protocol (docs/protocol.md) on a TCP port or
                                    a pseudo-terminal (socat), with a hidden chip (mismatch
                                    10 mV / 0.5 % by default) and injected frame faults;
                                    pulses last their time as on the board (--fast: at once)
  metatwin compare <run> [--log DIR|nats://…] [--chip FILE] [--json] [--influx URL]
                                    a recorded (hardware) run's ADC readings against its twin
                                    re-driven on the run's recorded inputs: residuals in ADC
                                    codes per measured signal and test step, and the noise floor;
                                    --chip: the twin built with a chip file (calibrate's);
                                    --influx: the residuals into InfluxDB (Hardware link)
  metatwin calibrate <run> [<run>…] --out FILE [--log DIR|nats://…]
                                    fit each edge's k and VTO (both copies) and learning
                                    offset to chip-calibration runs (the chip-calibration
                                    preset, network on hardware, one run per gate level) and
                                    write the chip file experiments load
  metatwin damage <preset|file> [--learn S] [--relearn S] [--kind open|short] [--seed N] [--test-every STEPS] [--json] [--out DIR]
                                    learn S s (default: the experiment's time), damage the edge
                                    whose loss raises the MSE most, relearn S s (default 10):
                                    MSE before/after, time to relearn against the original
                                    learning time; tests every STEPS (default 100), finer
                                    near a fast relearning; --out writes DIR/damage.json
  metatwin help                     this text

solve reads {"nodes", "edges", "gates", "fixed", "transistor"} (see README) and prints
{"status", "voltages", "currents", "power", "iterations", "residual_A", "unconnected"}.
Exit codes: 0 ok (a detached run too), 1 the run aborted or the solve did not converge,
2 bad input, 3 a server or service the command needs did not answer (NATS — also after
waiting METATWIN_NATS_WAIT_S, 60 s, through an outage — or the four services),
130 the run was cancelled (result.json holds what was done).`;

/** An error caused by the user's input: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A server or service the command needs did not answer: printed as one line with the remedy, exit code 3. */
export class UnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnavailableError';
  }
}

/** What to say when NATS at `url` cannot be reached. */
export function natsUnreachable(url: string, err: unknown): UnavailableError {
  return new UnavailableError(`cannot reach NATS at ${url} (${(err as Error).message}): start it (bash scripts/servers.sh start) or name another server`);
}
