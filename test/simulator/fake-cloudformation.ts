/**
 * A loopback AWS CloudFormation endpoint for the REAL `@aws-sdk/client-cloudformation`.
 * Point the client at `fake.url` via `endpoint` or `AWS_ENDPOINT_URL_CLOUDFORMATION`.
 *
 * The installed client speaks the awsQuery protocol: `POST /` with a form-encoded body
 * (`Action=DescribeStacks&Version=2010-05-15&StackName=…`), answered in XML. Only
 * DescribeStacks is implemented; any other action, or a request in another protocol (a
 * future client may switch to JSON), is answered 400 and recorded, so such a change fails
 * loudly. Signatures are parsed (for the region) but not verified.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { LoopbackServer } from './loopback-server';

const XMLNS = 'http://cloudformation.amazonaws.com/doc/2010-05-15/';

export interface FakeCloudFormationOptions {
  /** stack status keyed by stack id (ARN) or stack name */
  readonly stacks?: Record<string, string>;
  /** the time recorded with each request (e.g. a simulated clock's); default Date.now */
  readonly now?: () => number;
}

/** How a DescribeStacks request fails. */
export type CloudFormationFault =
  /** 500 InternalFailure */
  | { readonly type: 'internal' }
  /** 400 Throttling, "Rate exceeded" */
  | { readonly type: 'throttling' }
  /** 403 AccessDenied (a grant not propagated yet, or none) */
  | { readonly type: 'denied' }
  /** accept the request and never answer, until the client aborts or `close()` */
  | { readonly type: 'hang' };

/** One request as the fake saw it. */
export interface CloudFormationRequest {
  /** from `now` when the request arrived */
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** the form field `Action`, when the body is a form */
  readonly action?: string;
  readonly stackName?: string;
  /** from the SigV4 credential scope `AKID/date/REGION/service/aws4_request` */
  readonly region?: string;
  readonly service?: string;
  /** lower-cased names */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** the fault applied, if any */
  fault?: CloudFormationFault['type'];
  /** the status answered (undefined while hung) */
  responseStatus?: number;
  /** the stack status answered */
  stackStatus?: string;
}

interface Stack {
  readonly id: string;
  readonly name: string;
  status: string;
  /** statuses answered next, one per DescribeStacks; the last one stays */
  script: string[];
}

export class FakeCloudFormation {
  /** Start on 127.0.0.1 with an OS-assigned port. */
  public static async start(options: FakeCloudFormationOptions = {}): Promise<FakeCloudFormation> {
    const fake = new FakeCloudFormation(options);
    fake.url = await fake.server.listen();
    return fake;
  }

  /** e.g. 'http://127.0.0.1:PORT' */
  public url = '';
  public readonly requests: CloudFormationRequest[] = [];

  private readonly server: LoopbackServer;
  private readonly now: () => number;
  private readonly stacks: Stack[] = [];
  private readonly faults: Array<{ fault: CloudFormationFault; remaining: number }> = [];

  private constructor(options: FakeCloudFormationOptions) {
    this.now = options.now ?? Date.now;
    for (const [key, status] of Object.entries(options.stacks ?? {})) this.setStatus(key, status);
    this.server = new LoopbackServer((req, res) => this.handle(req, res), (res, err) => this.error(res, 500, 'InternalFailure', String(err)));
  }

  /** Set a stack's status now (and drop any scripted statuses); adds the stack if new. */
  public setStatus(stackIdOrName: string, status: string): void {
    const stack = this.find(stackIdOrName);
    if (stack) {
      stack.status = status;
      stack.script = [];
      return;
    }
    const name = stackIdOrName.startsWith('arn:') ? stackIdOrName.split('/')[1] ?? stackIdOrName : stackIdOrName;
    this.stacks.push({ id: stackIdOrName, name, status, script: [] });
  }

  /** Successive DescribeStacks of this stack answer these statuses; the last one stays. */
  public script(stackIdOrName: string, statuses: readonly string[]): void {
    if (statuses.length === 0) return;
    this.setStatus(stackIdOrName, statuses[0]);
    this.find(stackIdOrName)!.script = [...statuses];
  }

  /** The status a DescribeStacks would answer now (without consuming a scripted one). */
  public statusOf(stackIdOrName: string): string | undefined {
    const stack = this.find(stackIdOrName);
    return stack?.script[0] ?? stack?.status;
  }

  /** The next `times` DescribeStacks requests (default 1; Infinity allowed) fail with `fault`. */
  public fault(fault: CloudFormationFault, times = 1): void {
    this.faults.push({ fault, remaining: times });
  }

  public clearFaults(): void {
    this.faults.length = 0;
  }

  /** DescribeStacks requests seen (failed ones included). */
  public describeStacksRequests(): CloudFormationRequest[] {
    return this.requests.filter((r) => r.action === 'DescribeStacks');
  }

  /** Close the server and any open (hung) sockets. */
  public async close(): Promise<void> {
    await this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const scope = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
    const isForm = (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const form = isForm ? new URLSearchParams(body) : undefined;
    const request: CloudFormationRequest = {
      at: this.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      action: form?.get('Action') ?? undefined,
      stackName: form?.get('StackName') ?? undefined,
      region: scope?.[3],
      service: scope?.[4],
      headers,
      body,
    };
    this.requests.push(request);

    const answer = (status: number, send: () => void) => {
      request.responseStatus = status;
      send();
    };
    if (req.method !== 'POST' || req.url !== '/' || !form) {
      return answer(400, () => this.error(res, 400, 'InvalidAction', 'only the awsQuery protocol (POST / with a form body) is implemented'));
    }
    if (!scope) return answer(403, () => this.error(res, 403, 'MissingAuthenticationToken', 'Missing Authentication Token'));
    if (request.action !== 'DescribeStacks') {
      return answer(400, () => this.error(res, 400, 'InvalidAction', `unsupported action ${request.action ?? '(none)'}`));
    }

    const queued = this.faults.find((f) => f.remaining > 0);
    if (queued) {
      queued.remaining -= 1;
      request.fault = queued.fault.type;
      switch (queued.fault.type) {
        case 'hang': return; // the socket stays open until the client aborts or close()
        case 'internal': return answer(500, () => this.error(res, 500, 'InternalFailure', 'An internal error occurred.', 'Receiver'));
        case 'throttling': return answer(400, () => this.error(res, 400, 'Throttling', 'Rate exceeded'));
        case 'denied': return answer(403, () => this.error(res, 403, 'AccessDenied', 'User is not authorized to perform: cloudformation:DescribeStacks'));
      }
    }

    const name = request.stackName;
    if (!name) return answer(400, () => this.error(res, 400, 'ValidationError', 'this fake needs StackName'));
    const stack = this.find(name);
    if (!stack) return answer(400, () => this.error(res, 400, 'ValidationError', `Stack with id ${name} does not exist`));
    if (stack.script.length > 0) {
      stack.status = stack.script[0];
      if (stack.script.length > 1) stack.script.shift();
    }
    request.stackStatus = stack.status;
    const member = [
      `<StackId>${escapeXml(stack.id)}</StackId>`,
      `<StackName>${escapeXml(stack.name)}</StackName>`,
      '<CreationTime>2026-01-01T00:00:00.000Z</CreationTime>',
      `<StackStatus>${escapeXml(stack.status)}</StackStatus>`,
    ].join('');
    answer(200, () => this.xml(res, 200,
      `<DescribeStacksResponse xmlns="${XMLNS}"><DescribeStacksResult><Stacks><member>${member}</member></Stacks></DescribeStacksResult>`
      + `<ResponseMetadata><RequestId>${requestId()}</RequestId></ResponseMetadata></DescribeStacksResponse>`));
  }

  /** By stack id (ARN) or name. */
  private find(idOrName: string): Stack | undefined {
    return this.stacks.find((s) => s.id === idOrName || s.name === idOrName);
  }

  private error(res: http.ServerResponse, status: number, code: string, message: string, type = 'Sender'): void {
    this.xml(res, status, `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${type}</Type><Code>${code}</Code>`
      + `<Message>${escapeXml(message)}</Message></Error><RequestId>${requestId()}</RequestId></ErrorResponse>`);
  }

  private xml(res: http.ServerResponse, status: number, text: string): void {
    res.writeHead(status, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function requestId(): string {
  const h = createHash('sha1').update(`${Date.now()}${Math.random()}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
