/**
 * The thread behind deflateOffThread: raw-deflates the packed column text it is sent and
 * answers with the bytes (transferred, not copied), by id. Relative imports only: it runs
 * in a fresh isolate without the workspace's path aliases.
 */
import { parentPort } from 'node:worker_threads';
import { deflateRawSync } from 'node:zlib';

export interface DeflateRequest {
  readonly id: number;
  readonly text: string;
}

export type DeflateReply = { readonly id: number; readonly bytes: Uint8Array } | { readonly id: number; readonly error: string };

const port = parentPort;
if (!port) throw new Error('deflate-worker must run in a worker thread');

port.on('message', ({ id, text }: DeflateRequest) => {
  let reply: DeflateReply;
  try {
    const out = deflateRawSync(text, { level: 6 });
    // A fresh buffer of its own: zlib's may be a view into a larger one.
    const bytes = new Uint8Array(out.byteLength);
    bytes.set(out);
    reply = { id, bytes };
  } catch (err) {
    reply = { id, error: (err as Error).message };
  }
  port.postMessage(reply, 'bytes' in reply ? [reply.bytes.buffer as ArrayBuffer] : []);
});
