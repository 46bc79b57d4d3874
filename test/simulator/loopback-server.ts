/**
 * The HTTP plumbing the loopback fakes share: a server on 127.0.0.1 with an OS-assigned
 * port, whose open sockets (hung requests included) are destroyed on close.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export class LoopbackServer {
  /** e.g. 'http://127.0.0.1:PORT', once listening */
  url = '';
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();

  /** `onError(res, err)` answers a request whose handler threw before it answered. */
  constructor(
    handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
    onError: (res: http.ServerResponse, err: unknown) => void,
  ) {
    this.server = http.createServer((req, res) => {
      handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) onError(res, err);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
