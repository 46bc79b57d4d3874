/**
 * The loopback world a rehearsal deploys into: the Polytomic simulator, the fake Secrets Manager
 * (holding the key, by default under the fixtures' `SECRET_ARN`) and the fake CloudFormation, which the handler's real AWS
 * SDK clients reach through `AWS_ENDPOINT_URL_*`, and the local cloud that runs the Provider
 * framework's code. The rehearsal suites and the demo start it the same way and close it whole.
 */
import * as fs from 'node:fs';
import { LocalCloud, LocalCloudOptions } from './local-cloud';
import { temporaryAssemblyDir } from './rehearsal';
import { SECRET_ARN } from '../fixtures/events';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';
import { FakeSecretsManager } from '../simulator/fake-secrets-manager';
import { PolytomicSimulator, PolytomicSimulatorOptions } from '../simulator/polytomic-simulator';

export interface LoopbackWorldOptions {
  /** the Polytomic key: the simulator accepts it, the fake Secrets Manager holds it */
  readonly apiKey: string;
  /** where the fake Secrets Manager holds it */
  readonly secretArn?: string;
  readonly simulator?: Omit<PolytomicSimulatorOptions, 'apiKey'>;
  readonly cloud?: LocalCloudOptions;
}

export interface LoopbackWorld {
  readonly sim: PolytomicSimulator;
  readonly secrets: FakeSecretsManager;
  readonly cfn: FakeCloudFormation;
  readonly cloud: LocalCloud;
  /** A new cloud-assembly directory whose assets load the project's node_modules; removed by `close`. */
  assemblyDir(): string;
  /** Stops every server, forgets the endpoints, removes the assemblies. */
  close(): Promise<void>;
}

export async function startLoopbackWorld(options: LoopbackWorldOptions): Promise<LoopbackWorld> {
  const sim = await PolytomicSimulator.start({ ...options.simulator, apiKey: options.apiKey });
  const secrets = await FakeSecretsManager.start({ secrets: { [options.secretArn ?? SECRET_ARN]: { SecretString: options.apiKey } } });
  const cfn = await FakeCloudFormation.start();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cfn.url;
  const cloud = await LocalCloud.start(options.cloud);
  const assemblies: string[] = [];
  return {
    sim,
    secrets,
    cfn,
    cloud,
    assemblyDir() {
      const dir = temporaryAssemblyDir();
      assemblies.push(dir);
      return dir;
    },
    async close() {
      await cloud.close();
      await Promise.all([sim.close(), secrets.close(), cfn.close()]);
      delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
      for (const dir of assemblies) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
