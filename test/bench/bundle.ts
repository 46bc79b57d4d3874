/**
 * Section 4: the handler bundle (assets/lambda/index/index.js, what both functions run):
 * its size raw and deflated (as a Lambda zip stores it), and the time a fresh Node.js
 * process takes to `require` it.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { BUNDLE, runChild } from './children';
import { Section, bytes, median, ms, table } from './report';

const LOADS = 9;

const CHILD = `
const start = performance.now();
require(process.env.BENCH_BUNDLE);
ask({ loadMs: performance.now() - start }).then(() => process.exit(0));
`;

export async function bundleSection(): Promise<Section> {
  const raw = fs.readFileSync(BUNDLE);
  const deflated = zlib.deflateRawSync(raw, { level: 9 }).length;
  const loads: number[] = [];
  for (let i = 0; i < LOADS; i++) {
    const [message] = await runChild(CHILD, { BENCH_BUNDLE: BUNDLE });
    loads.push(message.loadMs as number);
  }
  return {
    title: '4. Handler bundle',
    lines: [
      '`assets/lambda/index/index.js` as `npx projen bundle` wrote it in this run. Deflated: raw DEFLATE at level 9, as a Lambda zip stores it.',
      `Load: \`require\` of the bundle in a fresh Node.js process, ${LOADS} processes.`,
      '',
      ...table(['raw bytes', 'deflated bytes', 'deflated / raw', 'load, median (ms)', 'load, min – max (ms)'], [[
        bytes(raw.length), bytes(deflated), `${((deflated / raw.length) * 100).toFixed(1)}%`, ms(median(loads)),
        `${ms(Math.min(...loads))} – ${ms(Math.max(...loads))}`,
      ]], ['r', 'r', 'r', 'r', 'r']),
    ],
  };
}
