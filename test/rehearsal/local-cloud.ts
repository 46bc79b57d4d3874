/**
 * The AWS services a custom resource of the Provider framework touches while CloudFormation
 * waits for it, played on 127.0.0.1 for the real code that aws-cdk-lib writes to cdk.out
 * (framework.js, outbound.js, cfn-response.js) and for our handler bundle:
 *
 *  - Lambda: `putFunction` "deploys" a function (handler `file.export` loaded in-process from
 *    its asset directory, its environment, its timeout); `AWS_ENDPOINT_URL_LAMBDA` points the
 *    framework's Lambda client at a server answering Invoke (restJson1, `POST
 *    /2015-03-31/functions/{name}/invocations`), which runs the function and answers its result,
 *    or its error with `X-Amz-Function-Error: Unhandled` as Lambda does.
 *  - Step Functions: `putStateMachine` takes a definition (the synthesized DefinitionString,
 *    resolved); `AWS_ENDPOINT_URL_SFN` points the framework at a server answering StartExecution
 *    (awsJson1_0), which runs the execution in the background: Task states whose Resource is a
 *    function ARN, with Retry (ErrorEquals, IntervalSeconds, MaxAttempts, BackoffRate) and Catch
 *    (the error output `{Error, Cause}` replaces the input, the default ResultPath). Waits are
 *    counted (`simulatedWaitSeconds`), never slept.
 *  - S3: the pre-signed ResponseURL of each request points at an https server with a
 *    certificate made by the openssl CLI in a temporary directory at start.
 *
 * Documented behaviour relied on: Lambda's Invoke wire format and its function-error header;
 * the Amazon States Language semantics of Retry/Catch/BackoffRate; a custom resource provider
 * answers by an HTTPS PUT of a JSON body to ResponseURL.
 *
 * Assumptions and shortcuts (none of it is AWS's contract):
 *  - cfn-response.js calls `https.request({hostname, path, ...})` without the URL's port, so
 *    the response would go to :443. While the cloud is open, `https.globalAgent.defaultPort` is
 *    our server's port and `globalAgent.options.ca` its certificate; `close()` restores both.
 *  - a function's environment is written to `process.env` when it is invoked (every function of
 *    a stack runs in this one process); `close()` restores every variable it touched.
 *  - `getRemainingTimeInMillis` starts from the function's Timeout, or from `remainingTimeMs`:
 *    a handler that plans its work by the time left can be made to yield at once.
 *  - time: the functions run on the real clock; only the waiter's Retry intervals are simulated,
 *    so a handler deadline is reached in real time while 360 retries take milliseconds. Reach
 *    the Catch (the framework's onTimeout) with `maxAttemptsOverride`;
 *  - Lambda's timeout is not enforced, an asynchronous invocation is not retried, and only
 *    Task states calling a function ARN are run (other states throw).
 *  - modules are loaded once per cloud, isolated from the test's own module registry under jest
 *    (the framework caches its SDK clients, whose endpoint is read when they are made).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { STATE_KEY } from '../../src/shared/contract';
import { COMPENSATION_WINDOW_MS } from '../../src/shared/time-budget';

export interface LambdaError { readonly errorType: string; readonly errorMessage: string; readonly trace: string[] }

/** The body a custom resource provider PUTs to ResponseURL. */
export interface CustomResourceResponse {
  readonly Status: 'SUCCESS' | 'FAILED';
  readonly Reason?: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho?: boolean;
  readonly Data?: Record<string, unknown>;
}

export interface FunctionDefinition {
  /** the function's name (its physical id); its ARN is `functionArn(name)` */
  readonly name: string;
  /** `file.export` inside `codeDir` */
  readonly handler: string;
  /** the asset directory; undefined for code the cloud cannot run (an invocation then fails) */
  readonly codeDir?: string;
  readonly timeoutSeconds: number;
  readonly environment: Record<string, string>;
}

export interface Invocation {
  readonly functionName: string;
  readonly payload: unknown;
  result?: unknown;
  error?: LambdaError;
}

export interface Execution {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  /** Task attempts, all states together */
  attempts: number;
  /** the Retry intervals that would have been waited */
  simulatedWaitSeconds: number;
  /** errors caught by a Catch */
  readonly caught: LambdaError[];
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  done: Promise<void>;
}

export interface LocalCloudOptions {
  readonly account?: string;
  readonly region?: string;
  /** what `getRemainingTimeInMillis` starts from; default the function's timeout */
  readonly remainingTimeMs?: (fn: FunctionDefinition, timeoutMs: number, payload: unknown) => number;
  /** caps every Retry's MaxAttempts (to reach a Catch quickly) */
  maxAttemptsOverride?: number;
}

interface State { Type: string; Resource?: string; Next?: string; End?: boolean; Retry?: Retrier[]; Catch?: Catcher[] }
interface Retrier { ErrorEquals: string[]; IntervalSeconds?: number; MaxAttempts?: number; BackoffRate?: number }
interface Catcher { ErrorEquals: string[]; Next: string }
interface StateMachineDefinition { StartAt: string; States: Record<string, State> }

const readBody = (req: http.IncomingMessage) => new Promise<string>((resolve, reject) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => resolve(Buffer.concat(chunks).toString()));
  req.on('error', reject);
});

/** A self-signed certificate for IP 127.0.0.1 (node:crypto cannot build X.509), made in a temporary directory. */
export function selfSignedCertificate(): { key: string; cert: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-cert-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    return { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8') };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Error names a Retry or Catch matches: States.ALL matches every error (States.Runtime aside, not produced here). */
const matches = (errorEquals: string[], errorType: string) => errorEquals.includes('States.ALL') || errorEquals.includes(errorType);

export class LocalCloud {
  static async start(options: LocalCloudOptions = {}): Promise<LocalCloud> {
    const cloud = new LocalCloud(options);
    await cloud.listen();
    return cloud;
  }

  readonly account: string;
  readonly region: string;
  /** every invocation, in order */
  readonly invocations: Invocation[] = [];
  readonly executions: Execution[] = [];
  /** every response PUT to a ResponseURL */
  readonly responses: CustomResourceResponse[] = [];

  private readonly functions = new Map<string, FunctionDefinition>();
  private readonly stateMachines = new Map<string, StateMachineDefinition>();
  private readonly loaded = new Map<string, Record<string, unknown>>();
  private readonly servers: Array<{ server: http.Server; sockets: Set<Socket> }> = [];
  private readonly responseWaiters = new Map<string, (r: CustomResourceResponse) => void>();
  private readonly savedEnv = new Map<string, string | undefined>();
  private savedAgent?: { defaultPort: number; ca: https.AgentOptions['ca'] };
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private responseBase = '';

  private constructor(readonly options: LocalCloudOptions) {
    this.account = options.account ?? '123456789012';
    this.region = options.region ?? 'eu-west-1';
  }

  functionArn(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.account}:function:${name}`;
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.account}:stateMachine:${name}`;
  }

  /** Creates or replaces a function. */
  putFunction(fn: FunctionDefinition): void {
    this.functions.set(fn.name, fn);
  }

  deleteFunction(name: string): void {
    this.functions.delete(name);
  }

  hasFunction(nameOrArn: string): boolean {
    return this.functions.has(nameOrArn.split(':').pop()!);
  }

  /** Creates or replaces a state machine, from its (resolved) definition JSON. */
  putStateMachine(arn: string, definition: string): void {
    this.stateMachines.set(arn, JSON.parse(definition) as StateMachineDefinition);
  }

  deleteStateMachine(arn: string): void {
    this.stateMachines.delete(arn);
  }

  /** Runs a function in-process as the Lambda runtime would; never throws (the error is the result). */
  async invoke(nameOrArn: string, payload: unknown): Promise<{ result?: unknown; error?: LambdaError }> {
    // a qualified ARN ends with :version or :alias; the framework invokes unqualified ARNs
    const name = nameOrArn.startsWith('arn:') ? nameOrArn.split(':')[6] : nameOrArn;
    const record: Invocation = { functionName: name, payload };
    this.invocations.push(record);
    return this.track(async () => {
      try {
        const fn = this.functions.get(name);
        if (!fn) throw Object.assign(new Error(`Function not found: ${this.functionArn(name)}`), { name: 'ResourceNotFoundException' });
        const handler = this.handlerOf(fn);
        for (const [k, v] of Object.entries(fn.environment)) {
          if (!this.savedEnv.has(k)) this.savedEnv.set(k, process.env[k]);
          process.env[k] = v;
        }
        const timeoutMs = fn.timeoutSeconds * 1000;
        const budget = this.options.remainingTimeMs?.(fn, timeoutMs, payload) ?? timeoutMs;
        const started = Date.now();
        const context = {
          functionName: name,
          awsRequestId: `invocation-${this.invocations.length}`,
          getRemainingTimeInMillis: () => budget - (Date.now() - started),
        };
        record.result = await handler(payload, context);
        return { result: record.result };
      } catch (e) {
        const err = e as Error | undefined;
        record.error = { errorType: err?.name ?? 'Error', errorMessage: err?.message ?? String(e), trace: String(err?.stack ?? '').split('\n') };
        return { error: record.error };
      }
    });
  }

  /**
   * What CloudFormation does for a custom resource backed by a function: invokes the service
   * token with the event (ResponseURL added), then waits for the PUT to ResponseURL. Resolves
   * once the answer came and the work it started (waiter executions) ended; `undefined` when
   * everything went idle without an answer (CloudFormation would wait until the resource's
   * service timeout).
   */
  async customResourceRequest(serviceToken: string, event: Record<string, unknown>): Promise<CustomResourceResponse | undefined> {
    const requestId = String(event.RequestId);
    let response: CustomResourceResponse | undefined;
    const got = new Promise<void>((resolve) => this.responseWaiters.set(requestId, (r) => { response = r; resolve(); }));
    await this.invoke(serviceToken, {
      ...event,
      ResponseURL: `${this.responseBase}/cloudformation-custom-resource-response/${encodeURIComponent(requestId)}?X-Amz-Signature=rehearsal`,
    });
    await Promise.race([got, this.idle()]);
    await this.idle();
    this.responseWaiters.delete(requestId);
    return response;
  }

  /** Restores the globals it changed, closes its servers. */
  async close(): Promise<void> {
    const agent = https.globalAgent as https.Agent & { defaultPort: number; options: https.AgentOptions };
    if (this.savedAgent) {
      agent.defaultPort = this.savedAgent.defaultPort;
      agent.options.ca = this.savedAgent.ca;
      this.savedAgent = undefined;
    }
    agent.destroy();
    for (const [k, v] of this.savedEnv) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    this.savedEnv.clear();
    await Promise.all(this.servers.map(({ server, sockets }) => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    })));
  }

  private handlerOf(fn: FunctionDefinition): (event: unknown, context: unknown) => Promise<unknown> {
    if (!fn.codeDir) throw new Error(`function ${fn.name}: its code is not an asset of the cloud assembly`);
    const dot = fn.handler.lastIndexOf('.');
    const file = path.join(fn.codeDir, fn.handler.slice(0, dot));
    let mod = this.loaded.get(file);
    if (!mod) {
      // a registry of its own, so the framework's cached SDK clients are this cloud's
      const load = () => { mod = require(file) as Record<string, unknown>; }; // eslint-disable-line @typescript-eslint/no-require-imports
      if (typeof jest !== 'undefined') jest.isolateModules(load);
      else load();
      this.loaded.set(file, mod!);
    }
    const handler = mod![fn.handler.slice(dot + 1)];
    if (typeof handler !== 'function') throw new Error(`function ${fn.name}: ${fn.handler} is not exported by ${file}`);
    return handler as (event: unknown, context: unknown) => Promise<unknown>;
  }

  /** Counts work in flight (invocations, executions), for `idle()`. */
  private async track<T>(work: () => Promise<T>): Promise<T> {
    this.inFlight++;
    try {
      return await work();
    } finally {
      if (--this.inFlight === 0) this.idleWaiters.splice(0).forEach((w) => w());
    }
  }

  private idle(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private startExecution(stateMachineArn: string, name: string, input: unknown): Execution {
    const definition = this.stateMachines.get(stateMachineArn);
    if (!definition) throw new Error(`State Machine Does Not Exist: ${stateMachineArn}`);
    const exec: Execution = { stateMachineArn, name, input, attempts: 0, simulatedWaitSeconds: 0, caught: [], status: 'RUNNING', done: Promise.resolve() };
    exec.done = this.track(async () => {
      let stateName: string | undefined = definition.StartAt;
      let data = input;
      while (stateName) {
        const state: State = definition.States[stateName];
        if (state.Type !== 'Task' || !state.Resource?.startsWith('arn:aws:lambda:')) {
          throw new Error(`state ${stateName}: only Task states that call a function are run here`);
        }
        const retries = new Map<Retrier, number>();
        let next: { input: unknown; state?: string } | undefined;
        while (!next) {
          exec.attempts++;
          const out = await this.invoke(state.Resource, data);
          if (!out.error) {
            next = { input: out.result, state: state.End ? undefined : state.Next };
            break;
          }
          const retrier = state.Retry?.find((r) => matches(r.ErrorEquals, out.error!.errorType));
          const done = retrier ? retries.get(retrier) ?? 0 : 0;
          const max = Math.min(retrier?.MaxAttempts ?? 3, this.options.maxAttemptsOverride ?? Infinity);
          if (retrier && done < max) {
            exec.simulatedWaitSeconds += (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** done;
            retries.set(retrier, done + 1);
            continue;
          }
          const catcher = state.Catch?.find((c) => matches(c.ErrorEquals, out.error!.errorType));
          if (!catcher) {
            exec.status = 'FAILED';
            return;
          }
          exec.caught.push(out.error);
          next = { input: { Error: out.error.errorType, Cause: JSON.stringify(out.error) }, state: catcher.Next };
        }
        data = next.input;
        stateName = next.state;
      }
      exec.status = 'SUCCEEDED';
    }).catch(() => { exec.status = 'FAILED'; });
    this.executions.push(exec);
    return exec;
  }

  private async listen(): Promise<void> {
    const json = (res: http.ServerResponse, status: number, headers: http.OutgoingHttpHeaders, body: unknown) => {
      res.writeHead(status, headers);
      res.end(JSON.stringify(body));
    };
    const lambda = http.createServer((req, res) => void (async () => {
      const m = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(req.url ?? '');
      const payload = await readBody(req);
      if (req.method !== 'POST' || !m) {
        return json(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
          { message: `local cloud: ${req.method} ${req.url} is not implemented` });
      }
      const name = decodeURIComponent(m[1]);
      if (!this.hasFunction(name)) {
        return json(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' },
          { message: `Function not found: ${name}` });
      }
      const out = await this.invoke(name, payload ? JSON.parse(payload) : {});
      const headers: http.OutgoingHttpHeaders = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
      if (out.error) headers['x-amz-function-error'] = 'Unhandled';
      json(res, 200, headers, out.error ?? out.result ?? null);
    })());
    const sfn = http.createServer((req, res) => void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const input = JSON.parse((await readBody(req)) || '{}') as { stateMachineArn: string; name: string; input?: string };
      const headers = { 'content-type': 'application/x-amz-json-1.0' };
      if (target !== 'AWSStepFunctions.StartExecution') return json(res, 400, headers, { __type: 'UnknownOperationException', message: target });
      if (!this.stateMachines.has(input.stateMachineArn)) {
        return json(res, 400, headers, { __type: 'StateMachineDoesNotExist', message: `State Machine Does Not Exist: '${input.stateMachineArn}'` });
      }
      // counted as in flight before the answer goes out, so the caller's idle() waits for it
      this.startExecution(input.stateMachineArn, input.name, JSON.parse(input.input ?? '{}'));
      json(res, 200, headers, { executionArn: `${input.stateMachineArn.replace(':stateMachine:', ':execution:')}:${input.name}`, startDate: Date.now() / 1000 });
    })());
    const { key, cert } = selfSignedCertificate();
    const s3 = https.createServer({ key, cert }, (req, res) => void (async () => {
      const response = JSON.parse(await readBody(req)) as CustomResourceResponse;
      this.responses.push(response);
      res.writeHead(200);
      res.end();
      this.responseWaiters.get(response.RequestId)?.(response);
    })());
    const ports: number[] = [];
    for (const server of [lambda, sfn, s3]) {
      const sockets = new Set<Socket>();
      server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
      await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve); });
      this.servers.push({ server, sockets });
      ports.push((server.address() as AddressInfo).port);
    }
    for (const [k, v] of [['AWS_ENDPOINT_URL_LAMBDA', `http://127.0.0.1:${ports[0]}`], ['AWS_ENDPOINT_URL_SFN', `http://127.0.0.1:${ports[1]}`]]) {
      if (!this.savedEnv.has(k)) this.savedEnv.set(k, process.env[k]);
      process.env[k] = v;
    }
    // ResponseURL's port is dropped by cfn-response.js (see the header)
    const agent = https.globalAgent as https.Agent & { defaultPort: number; options: https.AgentOptions };
    this.savedAgent = { defaultPort: agent.defaultPort, ca: agent.options.ca };
    agent.defaultPort = ports[2];
    agent.options.ca = cert;
    this.responseBase = `https://127.0.0.1:${ports[2]}`;
  }
}

/**
 * What `getRemainingTimeInMillis` must start from for an isComplete invocation to poll for
 * `pollingMs`: a request that deactivates syncs (a pause) keeps the compensation window on top.
 */
export function pollingBudgetMs(pollingMs: number, payload: unknown): number {
  const state = (payload as Record<string, { activation?: { action?: string } } | undefined> | undefined)?.[STATE_KEY];
  return pollingMs + (state?.activation?.action === 'deactivate' ? COMPENSATION_WINDOW_MS : 0);
}
