/**
 * Lenient parsing of the custom resource properties. CloudFormation sends every value as a
 * string and replays properties written by older versions of the construct on rollback and
 * delete, so missing optional values take the defaults they had when they were introduced.
 */
import { PermanentError } from './errors';
import { AuthMode, CancellerProperties, DEFAULT_API_URL, DEFAULT_API_VERSION, Prop, TimeoutBehavior } from './types';

const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_POLL_INTERVAL_MS = 15_000;

export function parseProperties(raw: Record<string, unknown> | undefined): CancellerProperties {
  const props = raw ?? {};
  const syncIds = parseList(props[Prop.SyncIds]);
  if (syncIds.length === 0) throw new PermanentError(`resource property ${Prop.SyncIds} is empty: at least one bulk sync id is expected`);
  const secretArn = parseString(props[Prop.SecretArn]);
  if (!secretArn) throw new PermanentError(`resource property ${Prop.SecretArn} is missing`);

  const authMode = (parseString(props[Prop.AuthMode]) ?? 'API_KEY').toUpperCase();
  if (authMode !== 'API_KEY' && authMode !== 'DEPLOYMENT_KEY') {
    throw new PermanentError(`resource property ${Prop.AuthMode} is "${authMode}": API_KEY or DEPLOYMENT_KEY is expected`);
  }
  const organizationId = parseString(props[Prop.OrganizationId]);
  if (authMode === 'DEPLOYMENT_KEY' && !organizationId) {
    throw new PermanentError(`resource property ${Prop.OrganizationId} is required with ${Prop.AuthMode} DEPLOYMENT_KEY`);
  }
  const onTimeout = (parseString(props[Prop.OnTimeout]) ?? 'FAIL').toUpperCase();

  return {
    syncIds: [...new Set(syncIds)],
    secretArn,
    secretField: parseString(props[Prop.SecretField]),
    authMode: authMode as AuthMode,
    organizationId,
    apiUrl: parseString(props[Prop.ApiUrl]) ?? DEFAULT_API_URL,
    apiVersion: parseString(props[Prop.ApiVersion]) ?? DEFAULT_API_VERSION,
    timeoutMs: parseSeconds(props[Prop.TimeoutSeconds]) ?? DEFAULT_TIMEOUT_MS,
    pollIntervalMs: parseSeconds(props[Prop.PollIntervalSeconds]) ?? DEFAULT_POLL_INTERVAL_MS,
    onTimeout: (onTimeout === 'CONTINUE' ? 'CONTINUE' : 'FAIL') as TimeoutBehavior,
  };
}

function parseString(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** A list, or a comma-separated string. */
function parseList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.map(parseString).filter((s): s is string => s !== undefined);
}

/** Positive seconds (number or numeric string) as milliseconds. */
function parseSeconds(value: unknown): number | undefined {
  const text = parseString(value);
  if (text === undefined) return undefined;
  const seconds = Number(text);
  return Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}
