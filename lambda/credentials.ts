/**
 * Reads the Polytomic key from Secrets Manager and turns it into an Authorization header.
 * The value is registered with the logger before anything else can see it, and no error
 * raised here ever carries it: errors name the secret and the field, never the value.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { clientForArn, regionOf } from './arn';
import { Clock } from './clock';
import { PermanentError, TransientError, describe } from './errors';
import { Logger } from './logger';
import { AuthMode } from '../src/shared/contract';
import { MIN_CALL_TIME_MS, SECRETS_CONNECT_TIMEOUT_MS, SECRETS_SOCKET_TIMEOUT_MS, SECRET_READ_TIMEOUT_MS } from '../src/shared/time-budget';

export interface CredentialSource {
  readonly secretArn: string;
  readonly secretField?: string;
  readonly authMode: AuthMode;
  readonly organizationId?: string;
}

export interface ReadOptions {
  readonly logger: Logger;
  /** the read is abandoned (as a transient failure) if it has not answered by then (epoch ms) */
  readonly stopBy: number;
  /** time, and the bound of the read */
  readonly clock: Clock;
  /**
   * A freshly created role can be denied for a short while, until IAM has propagated;
   * during that window access denied is worth another try.
   */
  readonly accessDeniedIsTransient?: boolean;
}

const clients = new Map<string, SecretsManagerClient>();

/** One client per region, created in the secret's own region (taken from its ARN). */
export function secretsClientFor(secretArn: string): SecretsManagerClient {
  return clientForArn(clients, secretArn, 'secretsmanager', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', (region) => new SecretsManagerClient({
    ...region ? { region } : {},
    // without these the SDK waits on a silent endpoint (a VPC with no route) indefinitely
    requestHandler: { connectionTimeout: SECRETS_CONNECT_TIMEOUT_MS, requestTimeout: SECRETS_SOCKET_TIMEOUT_MS },
  }));
}

/** The `Authorization` header value for the configured auth mode. */
export async function readAuthorization(source: CredentialSource, options: ReadOptions): Promise<string> {
  const key = await readKey(source, options);
  const header = source.authMode === 'DEPLOYMENT_KEY'
    ? 'Basic ' + Buffer.from(`${source.organizationId ?? ''}:${key}`).toString('base64')
    : 'Bearer ' + key;
  options.logger.addSecret(header);
  return header;
}

async function readKey(source: CredentialSource, options: ReadOptions): Promise<string> {
  const name = source.secretArn;
  let secretString: string | undefined;
  // the whole read, the SDK's own retries included, ends by then
  const budgetMs = Math.min(SECRET_READ_TIMEOUT_MS, options.stopBy - options.clock.now());
  if (budgetMs < MIN_CALL_TIME_MS) throw new TransientError(`secret ${name} not read: no time left in this invocation`);
  try {
    const out = await secretsClientFor(name).send(new GetSecretValueCommand({ SecretId: name }), { abortSignal: options.clock.abortAfter(budgetMs) });
    secretString = out.SecretString;
    if (secretString === undefined) {
      throw new PermanentError(out.SecretBinary
        ? `secret ${name} holds binary data: store the Polytomic key as a string, or as JSON with secretField`
        : `secret ${name} has no string value`);
    }
  } catch (error) {
    throw classifySecretsError(error, name, options.accessDeniedIsTransient ?? false);
  }
  options.logger.addSecret(secretString);
  options.logger.addSecret(secretString.trim());

  let key: string = secretString;
  if (source.secretField !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(secretString);
    } catch {
      throw new PermanentError(`secret ${name} is not JSON, but secretField "${source.secretField}" was given: store a JSON object, or drop secretField`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new PermanentError(`secret ${name} is not a JSON object, but secretField "${source.secretField}" was given`);
    }
    if (!(source.secretField in parsed)) {
      throw new PermanentError(`secret ${name} has no field "${source.secretField}"`);
    }
    const value = (parsed as Record<string, unknown>)[source.secretField];
    if (typeof value !== 'string') {
      throw new PermanentError(`field "${source.secretField}" of secret ${name} is not a string`);
    }
    key = value;
  } else if (/^\s*\{/.test(secretString)) {
    throw new PermanentError(`secret ${name} holds JSON: set secretField to the name of the field that holds the Polytomic key`);
  }

  key = key.trim();
  const where = `secret ${name}${source.secretField ? ` (field "${source.secretField}")` : ''}`;
  if (key === '') throw new PermanentError(`the Polytomic key in ${where} is empty`);
  options.logger.addSecret(key);
  // a line break or a non-ASCII character cannot go in an HTTP header, and fetch's error would quote the header
  if (!/^[\x21-\x7e]+$/.test(key)) {
    throw new PermanentError(`the Polytomic key in ${where} contains spaces, line breaks or non-ASCII characters: store the key alone`);
  }
  return key;
}

function classifySecretsError(error: unknown, name: string, accessDeniedIsTransient: boolean): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  const code = (error as { name?: string }).name ?? '';
  const httpStatus = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  switch (code) {
    case 'ResourceNotFoundException':
      return new PermanentError(`secret ${name} was not found (in region ${regionOf(name, 'secretsmanager') ?? 'of the handler'})`);
    case 'AccessDeniedException':
    case 'DecryptionFailure':
    case 'KMSAccessDeniedException': {
      const kms = code !== 'AccessDeniedException' || /kms/i.test(describe(error));
      // a grant made in the same deployment may not have propagated yet
      if (accessDeniedIsTransient) return new TransientError(`access to secret ${name} was denied (IAM may still be propagating)`);
      return kms
        ? new PermanentError(`secret ${name} could not be decrypted: the handler's role needs kms:Decrypt on the secret's KMS key`)
        : new PermanentError(`access to secret ${name} was denied: the handler's role needs secretsmanager:GetSecretValue on it (and, for a secret owned by another account, the secret's resource policy must allow it)`);
    }
    case 'InvalidRequestException':
      return new PermanentError(`secret ${name} cannot be read now (it may be scheduled for deletion)`);
    case 'InvalidParameterException':
      return new PermanentError(`secret id ${name} is not valid`);
    case 'AbortError':
    case 'TimeoutError':
      return new TransientError(`reading secret ${name} got no answer in time`);
    default: {
      // Secrets Manager's own words are never repeated: the key is not known yet, so nothing
      // it echoed could be redacted. Its error code is, when it has the shape of one.
      const shown = /^[A-Za-z]{1,64}$/.test(code) ? code : undefined;
      if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500 && httpStatus !== 429 && !/Throttl/i.test(code)) {
        return new PermanentError(`reading secret ${name} failed: ${shown ?? 'HTTP ' + httpStatus}`);
      }
      // with no HTTP status it failed on the way (network, timeout): Node's words, safe to show
      const detail = httpStatus !== undefined ? `HTTP ${httpStatus}` : describe(error);
      return new TransientError(`reading secret ${name} failed: ${shown ? shown + ': ' : ''}${detail}`);
    }
  }
}
