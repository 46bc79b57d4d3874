// CI loads this with `jest --setupFilesAfterEnv` to prove, from inside the test sandbox, which Node
// binary and which aws-cdk-lib the tests really ran with (a wrong resolution would pass silently).
// CI_EXPECT_NODE_MAJOR / CI_EXPECT_CDK_VERSION / CI_EXPECT_NAG_MAJOR: fail every test file on a mismatch.
// CI_PROBE_OUT: write what was seen there, for the log.
const fs = require('fs');

const seen = {
  node: process.version,
  cdk: require('aws-cdk-lib/package.json').version,
  nag: require('cdk-nag/package.json').version,
};
const wantNode = process.env.CI_EXPECT_NODE_MAJOR;
const wantCdk = process.env.CI_EXPECT_CDK_VERSION;
if (wantNode && process.versions.node.split('.')[0] !== wantNode) {
  throw new Error(`jest runs Node ${seen.node}, expected major ${wantNode}`);
}
if (wantCdk && seen.cdk !== wantCdk) {
  throw new Error(`jest resolves aws-cdk-lib ${seen.cdk}, expected ${wantCdk}`);
}
const wantNag = process.env.CI_EXPECT_NAG_MAJOR;
if (wantNag && seen.nag.split('.')[0] !== wantNag) {
  throw new Error(`jest resolves cdk-nag ${seen.nag}, expected major ${wantNag}`);
}
if (process.env.CI_PROBE_OUT) {
  fs.writeFileSync(process.env.CI_PROBE_OUT, `node ${seen.node}, aws-cdk-lib ${seen.cdk}, cdk-nag ${seen.nag}\n`);
}
