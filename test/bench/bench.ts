/**
 * `npm run bench` (projen task `bench`, after `bundle`): one run against the Polytomic
 * simulator and the fake AWS services on loopback that measures the handler and the construct
 * and writes BENCHMARKS.md. Every figure in that file comes from this run; the file is never
 * edited by hand.
 *
 *   1. requests with nothing to do: calls made, cold and warm wall time (bundle, fresh process)
 *   2. detecting a cancel: latency and status requests, adaptive vs fixed polling; one round over 25 syncs
 *   3. template footprint: the shared provider against one provider per canceller
 *   4. the bundle: size, and the time to load it
 *   5. the official `polytomic` client against the handler, with 429s
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleSection } from './bundle';
import { BUNDLE } from './children';
import { footprintSection } from './footprint';
import { ConnectionLog } from './loopback';
import { noOpSection } from './noop';
import { officialClientSection } from './official-client';
import { pollingSection } from './polling';
import { Section } from './report';

const OUTPUT = path.join(__dirname, '..', '..', 'BENCHMARKS.md');

async function main(): Promise<void> {
  if (!fs.existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run \`npm run bench\` (it bundles first)`);
  const connections = ConnectionLog.record();
  const started = new Date();
  const t0 = performance.now();
  const sections: Section[] = [];
  const step = async (name: string, run: () => Promise<Section> | Section) => {
    const stepStart = performance.now();
    process.stdout.write(`bench: ${name} … `);
    sections.push(await run());
    process.stdout.write(`${((performance.now() - stepStart) / 1000).toFixed(1)} s\n`);
  };
  await step('requests with nothing to do', () => noOpSection(connections));
  await step('detecting a cancel', pollingSection);
  await step('template footprint', footprintSection);
  await step('handler bundle', bundleSection);
  await step('official client', officialClientSection);

  const elsewhere = connections.notLoopback();
  if (elsewhere.length > 0) throw new Error(`connections left loopback: ${[...new Set(elsewhere)].join(', ')}; BENCHMARKS.md not written`);
  const cpus = os.cpus();
  const header = [
    '# Benchmarks',
    '',
    '<!-- Written by `npm run bench` (test/bench/bench.ts). Do not edit: run it again. -->',
    '',
    `Produced by \`npm run bench\` on ${started.toISOString()} (the run took ${((performance.now() - t0) / 1000).toFixed(0)} s):`,
    `Node.js ${process.version}, ${os.platform()} ${os.arch()}, ${cpus.length} CPU cores (\`os.cpus().length\`; ${cpus[0]?.model.trim() ?? 'model unknown'}).`,
    '',
    'All traffic was loopback: the Polytomic simulator (test/simulator), a fake Secrets Manager and a fake CloudFormation, all on',
    `127.0.0.1. This run opened ${connections.connections} TCP connections (its child processes included), every one to 127.0.0.1;`,
    'the run fails rather than write this file if any goes elsewhere.',
    '',
    'Wall times are from this machine and vary from run to run; request counts, resource counts, bytes and simulated times do not.',
    '',
    ...sections.map((s) => `- [${s.title}](#${anchor(s.title)})`),
  ];
  const body = sections.flatMap((s) => ['', `## ${s.title}`, '', ...s.lines]);
  fs.writeFileSync(OUTPUT, [...header, ...body, ''].join('\n'));
  console.log(`bench: wrote ${path.relative(process.cwd(), OUTPUT)}`);
}

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchor(title: string): string {
  return title.toLowerCase().replace(/[^\p{L}\p{N} -]/gu, '').replace(/ /g, '-');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
