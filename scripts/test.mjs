#!/usr/bin/env node
// The whole test suite, in order: lint, typecheck, Rust (clippy + cargo test), unit (Vitest),
// end-to-end (Vitest + Chromium + real clients). Prints one summary line at the end:
//   "tests: N passed, M failed"      (each Rust/Vitest test counts; lint and typecheck count as one each)
// Exit code 0 only when everything passed. `npm test` runs scripts/setup.sh test first.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const results = [];
const tmp = '.cache/test';
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });

function run(name, cmd, args, opts = {}) {
  console.log(`\n=== ${name}: ${[cmd, ...args].join(' ')}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    stdio: opts.capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    ...opts,
  });
  if (opts.capture) process.stdout.write(r.stdout ?? '');
  console.log(`=== ${name}: exit ${r.status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return r;
}

function check(name, cmd, args) {
  const r = run(name, cmd, args);
  results.push({ name, passed: r.status === 0 ? 1 : 0, failed: r.status === 0 ? 0 : 1 });
}

function cargoTests(name, args) {
  const r = run(name, 'cargo', args, { capture: true });
  let passed = 0;
  let failed = 0;
  for (const m of (r.stdout ?? '').matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
    passed += Number(m[1]);
    failed += Number(m[2]);
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  results.push({ name, passed, failed });
}

function vitest(name, config) {
  const out = `${tmp}/${name}.json`;
  const r = run(name, 'npx', [
    'vitest',
    'run',
    '--config',
    config,
    '--reporter=default',
    '--reporter=json',
    `--outputFile=${out}`,
  ]);
  let passed = 0;
  let failed = 0;
  try {
    const report = JSON.parse(readFileSync(out, 'utf8'));
    passed = report.numPassedTests;
    failed = report.numFailedTests;
  } catch {
    // no report: the run itself failed
  }
  if (r.status !== 0 && failed === 0) failed = 1;
  results.push({ name, passed, failed });
}

check('eslint', 'npx', ['eslint', '.', '--max-warnings', '0']);
check('prettier', 'npx', ['prettier', '--check', '.']);
check('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json', '--noEmit']);
const gpuManifest = ['--manifest-path', 'native/gpu/Cargo.toml'];
check('clippy', 'cargo', [
  'clippy',
  '--release',
  ...gpuManifest,
  '--all-targets',
  '--',
  '-D',
  'warnings',
]);
cargoTests('cargo-test', ['test', '--release', ...gpuManifest]);
vitest('unit', 'vitest.config.ts');
vitest('e2e', 'vitest.e2e.config.ts');

console.log('\n=== summary');
for (const r of results) console.log(`${r.name.padEnd(12)} ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
