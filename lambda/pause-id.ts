/**
 * The physical ids of the halt window (docs/halt-window.md). The pause's id is where the set of
 * syncs it deactivated is kept: CloudFormation sends it back with every later request to the
 * pause (the rollback's Delete, the clean-up Delete) and resolves it into the resume's `PauseId`.
 *
 *   polytomic-pause-<run>-<ids>   <run>: 16 hex digits, the time of the request (12, in ms) and
 *                                 4 of its RequestId's hash; <ids>: the deactivated syncs'
 *                                 UUIDs without dashes, dot-joined, or `none`
 *
 * The time orders two pause ids: a resume whose PauseId goes back to an older pause is being
 * rolled back, which it knows without asking CloudFormation. 25 syncs take 25 × 33
 * characters: the id stays under CloudFormation's 1 KB.
 */
import { createHash } from 'node:crypto';

const PAUSE_PREFIX = 'polytomic-pause-';
const NONE = 'none';
const TIME_HEX = 12;
const REQUEST_HEX = 4;
const RESUME_HASH_HEX = 16;
const UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i;
/** `<run>`: 16 hex digits (time, request); 12 without the time, as the first development builds wrote it. */
const PAUSE_ID = /^polytomic-pause-(?:([0-9a-f]{12})[0-9a-f]{4}|[0-9a-f]{12})-(none|[0-9a-f]{32}(?:\.[0-9a-f]{32})*)$/i;

/** Whether `id` is a UUID, the only form of sync id a pause id can carry. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** The run tag of a request made at `nowMs` (epoch ms): the time, then 4 hex digits of its RequestId's SHA-256. */
export function runTagOf(requestId: string, nowMs: number): string {
  const time = Math.max(0, Math.floor(nowMs)).toString(16).padStart(TIME_HEX, '0').slice(-TIME_HEX);
  return time + createHash('sha256').update(requestId).digest('hex').slice(0, REQUEST_HEX);
}

/** The pause's physical id naming `syncIds` (UUIDs), the syncs this run deactivates. */
export function pausePhysicalId(runTag: string, syncIds: readonly string[]): string {
  for (const id of syncIds) if (!isUuid(id)) throw new Error(`bulk sync id "${id}" is not a UUID`);
  const ids = syncIds.length === 0 ? NONE : syncIds.map((id) => id.replace(/-/g, '')).join('.');
  return `${PAUSE_PREFIX}${runTag}-${ids}`;
}

/** The syncs a pause's physical id names (UUIDs with their dashes), or undefined when `physicalId` is no pause id. */
export function pausedSyncsOf(physicalId: string | undefined): string[] | undefined {
  const match = physicalId === undefined ? null : PAUSE_ID.exec(physicalId);
  if (!match) return undefined;
  if (match[2] === NONE) return [];
  return match[2].split('.').map((hex) => [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join('-'));
}

/** When the pause named by `physicalId` ran (epoch ms), or undefined when it is no pause id. */
export function pauseTimeOf(physicalId: string | undefined): number | undefined {
  const match = physicalId === undefined ? null : PAUSE_ID.exec(physicalId);
  return match?.[1] === undefined ? undefined : parseInt(match[1], 16);
}

/** The resume's physical id: stable for the life of the resource. */
export function resumePhysicalId(stackId: string, logicalResourceId: string): string {
  return `polytomic-resume-${createHash('sha256').update(`${stackId}/${logicalResourceId}`).digest('hex').slice(0, RESUME_HASH_HEX)}`;
}
