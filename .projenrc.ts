import { awscdk, javascript } from 'projen';

// Dummy credentials and region for every task: nothing in a build or test may reach AWS,
// and without them the SDK and the CDK CLI probe the instance metadata service.
const offlineAws = {
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'offline-dummy-secret-access-key',
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_CLI_TELEMETRY: 'true',
};

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-polytomic',
  description: 'AWS CDK constructs for Polytomic: cancel running bulk syncs and wait until they are terminal before your infrastructure changes.',
  author: 'cdk-polytomic maintainers',
  authorAddress: 'maintainers@cdk-polytomic.dev',
  repositoryUrl: 'https://github.com/cdk-polytomic/cdk-polytomic.git',
  license: 'Apache-2.0',
  keywords: ['cdk', 'awscdk', 'aws-cdk', 'polytomic', 'custom-resource', 'bulk-sync'],
  defaultReleaseBranch: 'main',
  cdkVersion: '2.189.1',
  jsiiVersion: '~6.0.0',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // The handler lives in lambda/ and is bundled by hand below, not discovered under src/.
  lambdaAutoDiscover: false,

  devDeps: [
    // bundled into the handler asset, so build-time only for the library
    '@aws-sdk/client-cloudformation',
    '@aws-sdk/client-secrets-manager',
    // test only: the Provider framework's own code (cdk.out asset) expects these from the Lambda runtime
    '@aws-sdk/client-lambda@^3',
    '@aws-sdk/client-sfn@^3',
    '@types/aws-lambda',
    'aws-sdk-client-mock',
    // the integration test: snapshot verified offline, deployed by a maintainer (CONTRIBUTING.md);
    // integ-tests-alpha 2.187 is the newest whose aws-cdk-lib peer range admits the floor
    '@aws-cdk/integ-runner@^2',
    '@aws-cdk/integ-tests-alpha@2.187.0-alpha.0',
    'cdk-nag@^2',
    'fast-check',
    // benchmark only (test/bench): the official client, measured against the handler on the simulator
    'polytomic@1.18.1',
  ],

  jestOptions: {
    // `jest --updateSnapshot` would hide regressions; CI must fail on drift.
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      setupFiles: ['<rootDir>/test/setup-env.ts'],
      testTimeout: 20_000,
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
    },
  },

  publishToPypi: {
    distName: 'cdk-polytomic',
    module: 'cdk_polytomic',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkpolytomic',
    mavenGroupId: 'io.github.cdk-polytomic',
    mavenArtifactId: 'cdk-polytomic',
  },
  publishToNuget: {
    dotNetNamespace: 'CdkPolytomic',
    packageId: 'CdkPolytomic',
  },
  publishToGo: {
    moduleName: 'github.com/cdk-polytomic/cdk-polytomic-go',
  },

  gitignore: ['/.jsii.tabl.json', '/example-out/'],

  // PR titles become the squashed commit's message: the conventional types this history uses
  githubOptions: {
    pullRequestLintOptions: {
      semanticTitleOptions: { types: ['feat', 'fix', 'perf', 'refactor', 'docs', 'test', 'build', 'ci', 'chore'] },
    },
  },
});

// lambda/ is type-checked on its own terms (Node + aws-lambda types, no jsii rules).
new javascript.TypescriptConfig(project, {
  fileName: 'lambda/tsconfig.json',
  extends: javascript.TypescriptConfigExtends.fromPaths(['../tsconfig.json']),
  include: ['**/*.ts'],
  compilerOptions: {
    // '..': the handler imports the pure modules in src/shared/ that the construct uses too
    rootDir: '..',
    noEmit: true,
    types: ['node', 'aws-lambda'],
  },
});

// One bundle, two exports (index.onEvent, index.isComplete). The SDK is bundled so the
// handler runs the exact client version it was tested with, whatever the Lambda runtime ships.
const bundle = project.bundler.addBundle('lambda/index.ts', {
  platform: 'node',
  target: 'node20',
  sourcemap: false,
  minify: true,
  tsconfigPath: 'lambda/tsconfig.json',
});
// esbuild does not type-check
bundle.bundleTask.prependExec('tsc -p lambda/tsconfig.json');

project.eslint?.addLintPattern('lambda');
project.eslint?.allowDevDeps('lambda/**');
project.addPackageIgnore('/lambda/');
project.addPackageIgnore('/example/');
project.addPackageIgnore('/test/');
project.addPackageIgnore('/.ci/');
project.addPackageIgnore('/rosetta/');
project.addPackageIgnore('/scripts/');

// jest transpiles only; type-check the tests (and, through imports, lambda/) first.
project.testTask.prependExec('tsc -p test/tsconfig.json');
// construct tests synthesize the handler asset, so `npm test` on a fresh clone bundles first
project.testTask.prependSpawn(bundle.bundleTask);

// `npm run integ`: the integration test's snapshot (test/integ/*.snapshot) verified offline, no
// deployment; `npm run integ:update` writes it again. integ-runner reads cloud-assembly schemas
// up to a version newer than the floor's, so it runs against the floor, the devDependency.
const integEnv = { ...offlineAws, TS_NODE_TRANSPILE_ONLY: 'true' };
const integ = project.addTask('integ', {
  description: 'Verify the integration test snapshot against a fresh synthesis (offline, no deployment)',
  env: integEnv,
  receiveArgs: true,
});
integ.exec('integ-runner --language typescript --directory test/integ', { receiveArgs: true });
project.addTask('integ:update', {
  description: 'Write the integration test snapshot again, without deploying (commit the result)',
  env: integEnv,
}).exec('integ-runner --language typescript --directory test/integ --update-on-failed --dry-run');
project.testTask.spawn(integ);
// the snapshot's bundled assets (the handler among them): verification reads only the templates
// and manifests. Added here, after projen's own `!/test/`, which would drop it.
project.gitignore.exclude('/test/integ/*.snapshot/asset.*');

// `npx projen tarball`: the npm tarball from a fresh clone in one command. package:js alone
// fails there, because it packs jsii's output (.jsii, lib/) and the bundled handler.
const packageJs = project.tasks.tryFind('package:js');
if (!packageJs) throw new Error('projen no longer defines package:js');
const tarball = project.addTask('tarball', {
  description: 'Build the npm tarball from a fresh clone (bundle, jsii, package:js) and print its path',
});
tarball.exec('rm -f dist/js/cdk-polytomic@*.jsii.tgz'); // so the path printed below is this build's
tarball.spawn(project.preCompileTask);
tarball.spawn(project.compileTask);
tarball.spawn(packageJs);
tarball.exec('echo "npm tarball: $(ls dist/js/cdk-polytomic@*.jsii.tgz)"');

// `npm run demo`: the built handler through Create -> Update -> Delete against the local simulator.
const demo = project.addTask('demo', {
  description: 'Run the bundled handler through a whole deployment lifecycle against the local Polytomic simulator',
  env: { ...offlineAws, TS_NODE_TRANSPILE_ONLY: 'true' },
});
demo.spawn(bundle.bundleTask);
demo.exec('ts-node --project test/tsconfig.json test/demo/demo.ts');

project.addTask('measure', {
  description: 'Print the handler bundle size and the resource count of stacks with 1 and 10 cancellers',
  env: { TS_NODE_TRANSPILE_ONLY: 'true' },
}).exec('ts-node --project test/tsconfig.json test/measure/measure.ts');

// `npm run bench`: one run against the simulator on loopback measures the handler and writes BENCHMARKS.md.
const bench = project.addTask('bench', {
  description: 'Measure the bundled handler, polling, template footprint and the official client against the local simulator; write BENCHMARKS.md',
  env: { ...offlineAws, TS_NODE_TRANSPILE_ONLY: 'true' },
});
bench.spawn(bundle.bundleTask);
bench.exec('ts-node --project test/tsconfig.json test/bench/bench.ts');

for (const [name, value] of Object.entries(offlineAws)) {
  project.tasks.addEnvironment(name, value);
}
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');

project.synth();
