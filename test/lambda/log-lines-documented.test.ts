/**
 * The README's troubleshooting tables ("Every line the handler writes") against the handler's
 * source: every message the handler logs is in a table, and every message in a table is one the
 * handler logs. A line renamed, added or removed without its row fails here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const LAMBDA = path.join(ROOT, 'lambda');

// string literals continued with `+` on the next line are read as one
const source = readdirSync(LAMBDA).filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(path.join(LAMBDA, f), 'utf8')).join('\n')
  .replace(/'\s*\+\s*'/g, '');

/** The troubleshooting section of the README, from its heading to the next `## `. */
function troubleshooting(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Troubleshooting\n');
  expect(start).toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** The messages of the table rows `| LEVEL \`message\` … |` (a row may give two: `` `a` or `b` ``). */
function documentedMessages(): string[] {
  const rows = troubleshooting().split('\n').filter((line) => /^\| (INFO|WARN|ERROR) `/.test(line));
  return rows.flatMap((row) => {
    const first = row.split(' | ')[0];
    return [...first.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
  });
}

/**
 * The messages the handler logs: each string literal in the first argument of a
 * `.info(` / `.warn(` / `.error(` call (both branches of a conditional included), and the
 * literals a `note` variable logged that way is built from.
 */
function loggedMessages(): string[] {
  const messages: string[] = [];
  for (const call of source.matchAll(/\.(?:info|warn|error)\(([\s\S]*?)(?:,\s*\{|\);)/g)) {
    const first = call[1];
    for (const literal of first.matchAll(/'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`/g)) messages.push(literal[1] ?? literal[2]);
  }
  for (const note of source.matchAll(/\bnote = `((?:[^`\\]|\\.)*)`/g)) messages.push(note[1]);
  return messages.filter((m) => m.length > 0);
}

/** The fixed parts of a message: the text between placeholders (`${…}` in code, `<…>` in the README). */
function fixedParts(message: string): string[] {
  return message.split(/\$\{[^}]*\}|<[^>]*>|…/).map((p) => p.trim()).filter((p) => p.length >= 4);
}

/** A logged message as a pattern: each `${…}` of a template literal may stand for any text. */
function asPattern(message: string): RegExp {
  const parts = message.split(/\$\{[^}]*\}/).map((p) => p.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&'));
  return new RegExp(`^${parts.join('(.*)')}$`);
}

/**
 * Whether the README's `message` is `template` filled in: each filled-in part is a README
 * placeholder (`<n>`), a number, or text the handler's source holds (a constant's value).
 */
function fills(template: RegExp, message: string): boolean {
  const match = message.replace(/<[^>]*>/g, '<>').match(template);
  return match !== null && match.slice(1).every((part) => part === '' || /^(<>|\d+)$/.test(part) || source.includes(part));
}

describe('README troubleshooting: every log line the handler writes', () => {
  test('the handler logs at least the lines this test was written for', () => {
    // a guard on the extraction itself: a regex that silently finds nothing would pass below
    expect(loggedMessages().length).toBeGreaterThanOrEqual(60);
    expect(documentedMessages().length).toBeGreaterThanOrEqual(60);
  });

  test('each message the handler logs is in a table row', () => {
    const documented = documentedMessages().join('\n');
    const missing = loggedMessages().filter((message) => !fixedParts(message).every((part) => documented.includes(part)));
    expect(missing).toEqual([]);
  });

  test('each message in a table row is one the handler logs', () => {
    const templates = loggedMessages().map(asPattern);
    const invented = documentedMessages().filter((message) => !templates.some((template) => fills(template, message)));
    expect(invented).toEqual([]);
  });
});
