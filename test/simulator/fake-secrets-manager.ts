/**
 * A loopback AWS Secrets Manager endpoint (AWS JSON 1.1) for the REAL `@aws-sdk/client-secrets-manager`.
 * Point the client at `fake.url` via `endpoint` or `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
 * Implements GetSecretValue only; signatures are parsed (for the region) but not verified.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { LoopbackServer } from './loopback-server';

/** A secret value, as passed to CreateSecret. */
export interface FakeSecret {
  readonly SecretString?: string;
  readonly SecretBinary?: Uint8Array;
}

export interface FakeSecretsManagerOptions {
  /** Secrets keyed by full ARN or by name. */
  readonly secrets?: Record<string, FakeSecret>;
  /** Region used in ARNs generated for secrets keyed by name. Default 'us-east-1'. */
  readonly region?: string;
}

/** Error types `fail()` can inject. Any other string is sent as-is with status 400. */
export type SecretsManagerErrorType =
  | 'ResourceNotFoundException'
  | 'AccessDeniedException'
  | 'DecryptionFailure'
  | 'InvalidRequestException'
  | 'InvalidParameterException'
  | 'InternalServiceError'
  | (string & {});

/** One request as the fake saw it. */
export interface SecretsManagerRequest {
  /** e.g. 'secretsmanager.GetSecretValue' (from `x-amz-target`). */
  readonly target?: string;
  readonly secretId?: string;
  /** From the SigV4 credential scope `AKID/date/REGION/service/aws4_request`. */
  readonly region?: string;
  readonly service?: string;
  readonly accessKeyId?: string;
  /** Lower-cased names. */
  readonly headers: Record<string, string>;
  readonly body: unknown;
}

interface StoredSecret {
  arn: string;
  name: string;
  value: FakeSecret;
  versionId: string;
  createdDate: number;
}

const ERROR_MESSAGES: Record<string, string> = {
  ResourceNotFoundException: "Secrets Manager can't find the specified secret.",
  AccessDeniedException: 'User is not authorized to perform: secretsmanager:GetSecretValue on resource',
  DecryptionFailure: "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
  InternalServiceError: 'An error occurred on the server side.',
};

export class FakeSecretsManager {
  /** Start on 127.0.0.1 with an OS-assigned port. */
  public static async start(options: FakeSecretsManagerOptions = {}): Promise<FakeSecretsManager> {
    const fake = new FakeSecretsManager(options);
    fake.url = await fake.server.listen();
    return fake;
  }

  /** e.g. 'http://127.0.0.1:PORT'. */
  public url = '';
  public readonly requests: SecretsManagerRequest[] = [];

  private readonly server: LoopbackServer;
  private readonly region: string;
  private readonly secrets: StoredSecret[] = [];
  private readonly failures = new Map<string, { type: string; remaining: number }>();

  private constructor(options: FakeSecretsManagerOptions) {
    this.region = options.region ?? 'us-east-1';
    for (const [key, value] of Object.entries(options.secrets ?? {})) this.putSecret(key, value);
    this.server = new LoopbackServer((req, res) => this.handle(req, res), (res, err) => this.error(res, 500, 'InternalServiceError', String(err)));
  }

  /** Add a secret or replace its value (a new VersionId is issued). */
  public putSecret(arnOrName: string, value: FakeSecret): void {
    const existing = this.find(arnOrName);
    if (existing) {
      existing.value = value;
      existing.versionId = versionIdFor(existing.arn, Date.now());
      return;
    }
    const arn = arnOrName.startsWith('arn:') ? arnOrName : `arn:aws:secretsmanager:${this.region}:123456789012:secret:${arnOrName}-${suffixFor(arnOrName)}`;
    const name = arnOrName.startsWith('arn:') ? nameFromArn(arnOrName) : arnOrName;
    this.secrets.push({ arn, name, value, versionId: versionIdFor(arn, 0), createdDate: Math.floor(Date.now() / 1000) });
  }

  /** Make requests for `secretId` (ARN, name, or an unknown id) answer `errorType`, `times` times (default: always). */
  public fail(secretId: string, errorType: SecretsManagerErrorType, times = Infinity): void {
    this.failures.set(secretId, { type: errorType, remaining: times });
  }

  /** Close the server and any open sockets. */
  public async close(): Promise<void> {
    await this.server.close();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    let body: unknown;
    try {
      body = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      body = raw;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const scope = /Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request/.exec(headers.authorization ?? '');
    const secretId = (body as { SecretId?: unknown } | undefined)?.SecretId;
    const target = headers['x-amz-target'];
    this.requests.push({
      target,
      secretId: typeof secretId === 'string' ? secretId : undefined,
      accessKeyId: scope?.[1],
      region: scope?.[3],
      service: scope?.[4],
      headers,
      body,
    });

    if (req.method !== 'POST' || req.url !== '/') return this.error(res, 404, 'UnknownOperationException', 'not found');
    if (!scope) return this.error(res, 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    if (target !== 'secretsmanager.GetSecretValue') return this.error(res, 400, 'UnknownOperationException', `unsupported target ${target ?? '(none)'}`);
    if (typeof secretId !== 'string' || secretId === '') return this.error(res, 400, 'InvalidParameterException', 'SecretId is required');

    const secret = this.find(secretId);
    const failure = [secretId, secret?.arn, secret?.name]
      .map((k) => (k === undefined ? undefined : this.failures.get(k)))
      .find((f) => f !== undefined && f.remaining > 0);
    if (failure) {
      failure.remaining -= 1;
      return this.error(res, failure.type === 'InternalServiceError' ? 500 : 400, failure.type, ERROR_MESSAGES[failure.type] ?? failure.type);
    }
    if (!secret) return this.error(res, 400, 'ResourceNotFoundException', ERROR_MESSAGES.ResourceNotFoundException);

    const out: Record<string, unknown> = {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      VersionStages: ['AWSCURRENT'],
      CreatedDate: secret.createdDate,
    };
    if (secret.value.SecretString !== undefined) out.SecretString = secret.value.SecretString;
    if (secret.value.SecretBinary !== undefined) out.SecretBinary = Buffer.from(secret.value.SecretBinary).toString('base64');
    this.json(res, 200, out);
  }

  /** Match by full ARN, name, or ARN without the 6-character random suffix. */
  private find(id: string): StoredSecret | undefined {
    return this.secrets.find((s) => s.arn === id || s.name === id || s.arn.replace(/-[A-Za-z0-9]{6}$/, '') === id);
  }

  private error(res: http.ServerResponse, status: number, type: string, message: string): void {
    this.json(res, status, { __type: type, message }, { 'x-amzn-errortype': type });
  }

  private json(res: http.ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...extra,
      'content-type': 'application/x-amz-json-1.1',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': createHash('sha1').update(`${Date.now()}${Math.random()}`).digest('hex').slice(0, 32),
    });
    res.end(text);
  }
}

/** The secret name in `arn:aws:secretsmanager:region:acct:secret:NAME-AbCdEf`. */
function nameFromArn(arn: string): string {
  const resource = arn.split(':').slice(6).join(':');
  return resource.replace(/-[A-Za-z0-9]{6}$/, '');
}

function suffixFor(name: string): string {
  return createHash('sha256').update(name).digest('base64').replace(/[^A-Za-z0-9]/g, 'x').slice(0, 6);
}

function versionIdFor(arn: string, n: number): string {
  const h = createHash('sha256').update(`${arn}#${n}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
