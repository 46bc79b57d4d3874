/**
 * Every TCP connection the benchmark opens, in this process and in the child processes it
 * spawns, is recorded (node:diagnostics_channel 'net.client.socket') so that BENCHMARKS.md
 * can say, from this run, that all of it went to 127.0.0.1; the run fails otherwise.
 */
import * as diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** Where connections went: remote addresses once connected, and host names looked up. */
export class ConnectionLog {
  /** Starts recording this process's connections. */
  static record(): ConnectionLog {
    const log = new ConnectionLog();
    diagnostics.subscribe('net.client.socket', (message) => {
      const { socket } = message as { socket: Socket };
      socket.once('lookup', (_error: Error | null, _address: string, _family: unknown, host: string) => log.endpoints.push(`lookup:${host}`));
      socket.once('connect', () => log.endpoints.push(socket.remoteAddress ?? 'unknown'));
    });
    return log;
  }

  readonly endpoints: string[] = [];

  add(endpoints: readonly string[]): void {
    this.endpoints.push(...endpoints);
  }

  /** The connections that did not go to loopback (empty: all did). */
  notLoopback(): string[] {
    return this.endpoints.filter((e) => !LOOPBACK.has(e));
  }

  get connections(): number {
    return this.endpoints.filter((e) => !e.startsWith('lookup:')).length;
  }
}

const LOOPBACK = new Set(['127.0.0.1', '::ffff:127.0.0.1']);

/**
 * The same recorder for a child process (plain JavaScript, run before anything else in it):
 * it defines `connections`, an array the child reports to its parent.
 */
export const CHILD_CONNECTION_RECORDER = `
const connections = [];
require('node:diagnostics_channel').subscribe('net.client.socket', ({ socket }) => {
  socket.once('lookup', (_e, _a, _f, host) => connections.push('lookup:' + host));
  socket.once('connect', () => connections.push(socket.remoteAddress || 'unknown'));
});
`;
