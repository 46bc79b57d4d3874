#!/usr/bin/env bash
# Installs the packed library (dist/js/*.jsii.tgz, from `npx projen tarball`) into a scratch
# CDK app with the example stack and synthesizes it offline with the aws-cdk CLI v2.
# CDK_VERSION picks the app's aws-cdk-lib (default: the newest 2.x), e.g. CDK_VERSION=2.189.1
# for the library's floor.
set -euo pipefail
cdk_version="${CDK_VERSION:-^2}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tgz="$(ls "$root"/dist/js/cdk-polytomic@*.jsii.tgz | head -n 1)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$root/example/app.ts" "$root/example/cdk.json" "$root/example/tsconfig.json" "$work/"
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --loglevel=error "$tgz" "aws-cdk-lib@$cdk_version" constructs@^10 aws-cdk@^2 ts-node typescript@^5 @types/node >/dev/null
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
