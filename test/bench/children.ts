/**
 * Fresh Node.js processes for the measurements that need one (a cold start, a module load):
 * `node -e <script>` with an IPC channel. The script talks to the parent with `ask(message)`,
 * which resolves once the parent has handled the message, so the parent can take its own
 * readings (e.g. the simulator's request count) between two steps of the child.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

export const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'index', 'index.js');

/** Defined in every child script: send a message and wait for the parent's answer. */
const ASK = `
const ask = (message) => new Promise((resolve) => { process.once('message', resolve); process.send(message); });
`;

/**
 * Runs `script` in a new process; `onMessage` handles each `ask` (its return value is sent
 * back). Resolves with every message once the child has exited with 0; rejects otherwise.
 */
export async function runChild(
  script: string,
  env: Record<string, string>,
  onMessage: (message: Record<string, unknown>) => unknown = () => null,
): Promise<Array<Record<string, unknown>>> {
  const child = spawn(process.execPath, ['-e', ASK + script], {
    env: { ...process.env, ...env },
    // the handler's JSON log lines go to stdout: not measured, not shown
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  const messages: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  child.on('message', (message: Record<string, unknown>) => {
    messages.push(message);
    child.send({ answer: onMessage(message) ?? null }, () => undefined); // the child may have exited meanwhile
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  if (code !== 0) throw new Error(`child process exited with ${code}: ${stderr.trim()}`);
  return messages;
}
