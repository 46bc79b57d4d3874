#!/usr/bin/env bash
# Installs the packed library (dist/js/*.jsii.tgz, from `npx projen tarball`) into a scratch
# CDK app with the example stack and synthesizes it offline with the aws-cdk CLI v2.
# CDK_VERSION picks the app's aws-cdk-lib (default: the newest 2.x), e.g. CDK_VERSION=2.189.1
# for the library's floor. NAG_MAJOR (2 or 3) then also runs cdk-nag's AwsSolutions pack over the
# app as a user of that version registers it, and fails on any finding on the canceller's
# resources (the example's own bucket and role have findings: they show the pack ran).
set -euo pipefail
cdk_version="${CDK_VERSION:-^2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tgz="$(ls "$root"/dist/js/cdk-polytomic@*.jsii.tgz | head -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/example/app.ts" "$root/example/cdk.json" "$root/example/tsconfig.json" "$work/"
cd "$work"
npm init -y >/dev/null
nag="${NAG_MAJOR:+cdk-nag@^$NAG_MAJOR}"
npm install --no-audit --no-fund --loglevel=error "$tgz" "aws-cdk-lib@$cdk_version" constructs@^10 aws-cdk@^2 ts-node typescript@^5 @types/node $nag >/dev/null
echo "example app: aws-cdk-lib $(node -p 'require("aws-cdk-lib/package.json").version'), aws-cdk CLI $(npx cdk --version 2>/dev/null)"
CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --no-notices -q -o cdk.out
node -e '
const t = require("./cdk.out/WarehouseStack.template.json");
const r = Object.values(t.Resources);
const count = (type) => r.filter((x) => x.Type === type).length;
const runtimes = [...new Set(r.filter((x) => x.Type === "AWS::Lambda::Function").map((x) => JSON.stringify(x.Properties.Runtime)))];
console.log(`example app synthesized: ${r.length} resources, ${count("Custom::PolytomicBulkSyncCanceller")} canceller, ${count("AWS::Lambda::Function")} functions, runtimes ${runtimes.join(",")}`);
if (count("Custom::PolytomicBulkSyncCanceller") !== 1 || runtimes.join() !== "\"nodejs24.x\"") process.exit(1);
'

[ -z "${NAG_MAJOR:-}" ] && exit 0
# With findings on its own resources the synthesis fails, as a user's would; the report stays.
rm -rf cdk.out
CDK_NAG="$NAG_MAJOR" CDK_DISABLE_CLI_TELEMETRY=true npx cdk synth --no-notices -q -o cdk.out >nag.log 2>&1 || true
NAG_MAJOR="$NAG_MAJOR" node -e '
const fs = require("fs");
const version = require("cdk-nag/package.json").version;
// the example resources (app.ts) have findings of their own: anything else is the canceller
const exampleResource = (path) => /(^|\/)(LandingBucket|PolytomicWriterRole)(\/|$)/.test(path);
let findings;      // [construct path, rule] of each unacknowledged finding
let acknowledged;  // v2 lists the acknowledged findings too; v3 reports none
if (process.env.NAG_MAJOR === "3") {
  const file = ["validation-report.json", "policy-validation-report.json"].map((f) => `cdk.out/${f}`).find((f) => fs.existsSync(f));
  const report = JSON.parse(fs.readFileSync(file, "utf8"));
  findings = report.pluginReports.filter((r) => r.pluginName === "AwsSolutions").flatMap((r) => r.violations)
    .flatMap((v) => v.violatingConstructs.map((c) => [c.constructPath, v.ruleName]));
} else {
  const csv = fs.readdirSync("cdk.out").find((f) => f.endsWith("NagReport.csv"));
  const rows = fs.readFileSync(`cdk.out/${csv}`, "utf8").trim().split("\n").slice(1)
    .map((line) => [...line.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1]));
  // UNKNOWN: the rule could not be evaluated (cdk-nag v2 raises CdkNagValidationFailure for it)
  findings = rows.filter((r) => r[2] === "Non-Compliant" || r[2] === "UNKNOWN").map((r) => [r[1], r[0]]);
  acknowledged = rows.filter((r) => r[2] === "Suppressed" && !exampleResource(r[1])).length;
}
const canceller = findings.filter(([path]) => !exampleResource(path));
const example = [...new Set(findings.filter(([path]) => exampleResource(path)).map(([, rule]) => rule.split("[")[0]))];
console.log(`example app, cdk-nag ${version}: ${canceller.length} unacknowledged findings on the canceller`
  + (acknowledged === undefined ? "" : ` (${acknowledged} acknowledged)`) + `; on the example resources: ${example.join(", ")}`);
if (example.length === 0) { console.error("no finding on the example resources: did cdk-nag run?"); process.exit(1); }
if (acknowledged === 0) { console.error("cdk-nag v2 lists no acknowledged finding: were the acknowledgements read?"); process.exit(1); }
if (canceller.length > 0) { console.error(canceller.map(([p, r]) => `  ${p}: ${r}`).join("\n")); process.exit(1); }
'
