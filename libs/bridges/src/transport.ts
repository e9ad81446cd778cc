/**
 * The byte streams a controller link runs over: a serial device (a board's USB port, or one
 * end of a socat pseudo-terminal pair) or TCP (the board emulator, a network serial server).
 * Both carry the same SLIP-framed frames; the link does not know which it has.
 */
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';

export interface Transport {
  /** Where it goes, for messages: `tcp://host:port`, `serial:/dev/ttyACM0@115200`. */
  readonly describe: string;
  /** A new connection; rejects naming the place when it cannot be opened. */
  open(): Promise<Duplex>;
}

export function tcpTransport(host: string, port: number): Transport {
  const describe = `tcp://${host}:${port}`;
  return {
    describe,
    open: () =>
      new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        socket.setNoDelay(true);
        socket.once('connect', () => resolve(socket));
        socket.once('error', (err) => reject(new Error(`cannot connect to the controller at ${describe}: ${err.message}`)));
      }),
  };
}

export function serialTransport(path: string, baudRate = 115_200): Transport {
  const describe = `serial:${path}@${baudRate}`;
  return {
    describe,
    open: () =>
      new Promise((resolve, reject) => {
        const port = new SerialPort({ path, baudRate, autoOpen: false });
        port.open((err) => (err ? reject(new Error(`cannot open the controller's serial port ${describe}: ${err.message}`)) : resolve(port)));
      }),
  };
}

/** `tcp://host:port` or a serial device path (optionally `path@baud`). */
export function transportOf(target: string): Transport {
  const tcp = /^tcp:\/\/([^:/]+):(\d+)$/.exec(target);
  if (tcp) return tcpTransport(tcp[1], Number(tcp[2]));
  if (target.startsWith('/')) {
    const [path, baud] = target.split('@');
    const baudRate = baud === undefined ? 115_200 : Number(baud);
    if (!Number.isInteger(baudRate) || baudRate <= 0) throw new RangeError(`controller ${target}: the baud rate must be a positive integer, got ${baud}`);
    return serialTransport(path, baudRate);
  }
  throw new RangeError(`controller ${JSON.stringify(target)}: expected tcp://host:port or a serial device path such as /dev/ttyACM0 (optionally /dev/ttyACM0@115200)`);
}
