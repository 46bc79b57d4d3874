/**
 * The handler suite: the handler end to end against the Polytomic simulator on 127.0.0.1 and
 * the real AWS SDK Secrets Manager client pointed at a loopback fake, with simulated time.
 * The scenarios live in ./scenarios; the last test reads everything the handler let out
 * during all of them and fails if a secret is anywhere in it.
 */
import { API_KEY, DEPLOYMENT_KEY, ORG_ID, capturedOutput, worldPerTest } from '../fixtures/harness';
import { abandonedScenarios } from './scenarios/abandoned';
import { credentialScenarios } from './scenarios/credentials';
import { faultScenarios } from './scenarios/faults';
import { haltScenarios } from './scenarios/halt';
import { lifecycleScenarios } from './scenarios/lifecycle';
import { pollingScenarios } from './scenarios/polling';
import { rollbackScenarios } from './scenarios/rollback';
import { selectionScenarios } from './scenarios/selection';
import { timingScenarios } from './scenarios/timing';

const world = worldPerTest();

lifecycleScenarios(world);
faultScenarios(world);
credentialScenarios(world);
rollbackScenarios(world);
timingScenarios(world);
abandonedScenarios(world);
haltScenarios(world);
pollingScenarios(world);
selectionScenarios(world);

describe('secret hygiene over the whole suite', () => {
  test('no log line, error message, stack or result of any scenario above holds a key or an Authorization value', () => {
    const output = capturedOutput().join('\n');
    // the scenarios ran, failed on purpose and logged: the check is not vacuous
    expect(capturedOutput().length).toBeGreaterThan(500);
    expect(output).toContain('cancel requested');
    expect(output).toMatch(/HTTP 401/);
    const forbidden = [
      API_KEY,
      DEPLOYMENT_KEY,
      `Bearer ${API_KEY}`,
      Buffer.from(`${ORG_ID}:${DEPLOYMENT_KEY}`).toString('base64'),
      Buffer.from(API_KEY).toString('base64'),
      'DO-NOT-LOG', // every secret value of the suite carries this marker
    ];
    for (const value of forbidden) expect(output).not.toContain(value);
  });
});
