#!/usr/bin/env node
// Runs the cases of tests/flatware/cases.json with a runner that has node_wasi_run.mjs's command line
// (node_wasi_run.mjs itself by default), checks each case's "expect", and keeps every output under
// --out DIR/<case>/ (stdout, stderr, result.json, fs/) so that two runners' outputs can be compared with
// --compare: what a case's "compare" lists must be identical. Ends with "N passed, N failed, N skipped".
// See tests/flatware/README.md.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const USAGE = `usage: node tests/flatware/run_cases.mjs [--build DIR] [--programs DIR] [--out DIR]
         [--runner "COMMAND ..."] [--compare DIR] [--quick] [CASE...]
  --build DIR     the CMake build directory (built programs in DIR/tests/flatware/programs/; default build)
  --programs DIR  the third-party programs (default $FIXNET_PROGRAMS_DIR or ~/.cache/fixnet/wasi-programs)
  --out DIR       where each case's outputs go (default: a temporary directory, removed afterwards)
  --runner CMD    a runner taking node_wasi_run.mjs's options (default: node node_wasi_run.mjs)
  --compare DIR   an earlier --out DIR: the outputs each case's "compare" lists must be identical
  --quick         skip the cases marked slow
Cases whose program is missing are skipped.`;

function parseArgs(argv) {
  const o = { build: 'build', programs: process.env.FIXNET_PROGRAMS_DIR ||
      path.join(os.homedir(), '.cache/fixnet/wasi-programs'), cases: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) { console.error(`run_cases: ${a} needs a value`); process.exit(2); }
      return argv[++i];
    };
    if (a === '--help' || a === '-h') { console.log(USAGE); process.exit(0); }
    else if (a === '--build') o.build = value();
    else if (a === '--programs') o.programs = value();
    else if (a === '--out') o.out = value();
    else if (a === '--runner') o.runner = value();
    else if (a === '--compare') o.compare = value();
    else if (a === '--quick') o.quick = true;
    else if (a.startsWith('-')) { console.error(`run_cases: unknown option ${a}\n${USAGE}`); process.exit(2); }
    else o.cases.push(a);
  }
  return o;
}

// A directory tree as a sorted list of "type path [size sha256 | -> target]" lines: names, types,
// contents and link targets, not permission bits or times (a runner's umask and clock are its own).
function describeTree(root) {
  const lines = [];
  function walk(dir, rel) {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = fs.lstatSync(full);
      if (st.isSymbolicLink()) lines.push(`link ${r} -> ${fs.readlinkSync(full)}`);
      else if (st.isDirectory()) { lines.push(`dir ${r}`); walk(full, r); }
      else if (st.isFile()) {
        const hash = crypto.createHash('sha256').update(fs.readFileSync(full)).digest('hex');
        lines.push(`file ${r} ${st.size} ${hash}`);
      } else lines.push(`other ${r}`);
    }
  }
  if (fs.existsSync(root)) walk(root, '');
  return lines.join('\n') + '\n';
}

function readOr(file, fallback) {
  try { return fs.readFileSync(file); } catch { return fallback; }
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  const spec = JSON.parse(fs.readFileSync(path.join(here, 'cases.json'), 'utf8'));
  const thirdParty = new Set(fs.readFileSync(path.join(here, 'programs.tsv'), 'utf8').split('\n')
    .filter((l) => l && !l.startsWith('#')).map((l) => l.split('\t')[0]));
  const byName = new Map(spec.cases.map((c) => [c.name, c]));
  for (const name of o.cases) {
    if (!byName.has(name)) { console.error(`run_cases: no case named ${name}`); process.exit(2); }
  }
  // A case named on the command line brings the cases it runs after.
  const wanted = new Set();
  const want = (name) => { if (wanted.has(name)) return; wanted.add(name); const c = byName.get(name); if (c.after) want(c.after); };
  for (const name of o.cases.length ? o.cases : spec.cases.map((c) => c.name)) want(name);

  const out = o.out ? path.resolve(o.out) : fs.mkdtempSync(path.join(os.tmpdir(), 'flatware-cases-'));
  const runner = o.runner ? o.runner.split(' ').filter(Boolean) : [process.execPath, path.join(here, 'node_wasi_run.mjs')];
  const results = new Map();  // name -> 'passed' | 'failed' | 'skipped'
  let passed = 0, failed = 0, skipped = 0;

  for (const c of spec.cases) {
    if (!wanted.has(c.name)) continue;
    const skip = (why) => { skipped++; results.set(c.name, 'skipped'); console.log(`SKIP ${c.name}: ${why}`); };
    if (c.slow && o.quick) { skip('slow (--quick)'); continue; }
    if (c.after && results.get(c.after) !== 'passed') { skip(`needs ${c.after}, which did not pass`); continue; }
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    if (!o.runner && c.node_min_major && nodeMajor < c.node_min_major) {
      skip(`node ${process.versions.node} is older than ${c.node_min_major} (see the case's note)`);
      continue;
    }
    const isThirdParty = thirdParty.has(c.program);
    const wasm = isThirdParty ? path.join(o.programs, c.program, `${c.program}.wasm`)
      : path.join(o.build, 'tests/flatware/programs', `${c.program}.wasm`);
    if (!fs.existsSync(wasm)) {
      skip(`${wasm} is missing (${isThirdParty ? 'scripts/fetch-wasi-programs' : 'build the tests'})`);
      continue;
    }

    const dir = path.join(out, c.name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const args = ['--wasm', wasm];
    // The guest's /: the program's own files, then an earlier case's output, then the case's inputs.
    const programRoot = path.join(o.programs, c.program, 'root');
    if (isThirdParty && fs.existsSync(programRoot)) args.push('--dir', programRoot);
    if (c.after) args.push('--dir', path.join(out, c.after, 'fs'));
    if (c.inputs) args.push('--dir', path.join(here, 'inputs', c.name));
    if (c.stdin) args.push('--stdin', path.join(here, c.stdin));
    for (const e of c.env || []) args.push('--env', e);
    args.push('--out-stdout', path.join(dir, 'stdout'), '--out-stderr', path.join(dir, 'stderr'),
      '--out-dir', path.join(dir, 'fs'), '--result', path.join(dir, 'result.json'), '--', ...c.args);

    const started = Date.now();
    const run = spawnSync(runner[0], [...runner.slice(1), ...args],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: (c.timeout || 600) * 1000, killSignal: 'SIGKILL' });
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    let result;
    if (run.error && run.error.code === 'ETIMEDOUT') result = { timeout: true };
    else result = JSON.parse(readOr(path.join(dir, 'result.json'), '{}').toString() || '{}');
    if (result.timeout) fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result) + '\n');
    fs.writeFileSync(path.join(dir, 'fs.txt'), describeTree(path.join(dir, 'fs')));

    const problems = [];
    if (!('exit' in result) && !result.trap && !result.timeout) {
      problems.push(`the runner failed (status ${run.status}): ${String(run.stderr).trim().split('\n')[0]}`);
    }
    const expect = c.expect || {};
    if ('exit' in result && run.status !== (result.exit & 0xff)) {
      problems.push(`the runner exited with status ${run.status}, not the program's ${result.exit}: ${String(run.stderr).trim().split('\n').pop()}`);
    }
    if ('exit' in expect && result.exit !== expect.exit) {
      problems.push(`expected exit ${expect.exit}, got ${JSON.stringify(result)}`);
    }
    for (const key of ['trap', 'timeout']) {
      if (expect[key] && !result[key]) problems.push(`expected a ${key}, got ${JSON.stringify(result)}`);
    }
    // A program that never ends: stopped by a fuel trap (Flatware) or killed at the timeout (others).
    if (expect.stopped && !result.trap && !result.timeout) {
      problems.push(`expected it to be stopped (a trap or the timeout), got ${JSON.stringify(result)}`);
    }
    for (const stream of ['stdout', 'stderr']) {
      if (!(stream in expect)) continue;
      const got = readOr(path.join(dir, stream), Buffer.alloc(0)).toString();
      if (got !== expect[stream]) problems.push(`${stream} is ${JSON.stringify(got.slice(0, 200))}, expected ${JSON.stringify(expect[stream])}`);
    }
    for (const [file, sha256] of Object.entries(expect.files || {})) {
      const data = readOr(path.join(dir, 'fs', file), null);
      const got = data && crypto.createHash('sha256').update(data).digest('hex');
      if (got !== sha256) problems.push(`/${file}: ${data ? `sha256 ${got}` : 'missing'}, expected ${sha256}`);
    }
    if (expect.stdout_sha256) {
      const got = crypto.createHash('sha256').update(readOr(path.join(dir, 'stdout'), Buffer.alloc(0))).digest('hex');
      if (got !== expect.stdout_sha256) problems.push(`stdout has sha256 ${got}, expected ${expect.stdout_sha256}`);
    }
    if (o.compare) {
      const other = path.join(o.compare, c.name);
      for (const what of c.compare ?? ['exit', 'stdout', 'stderr', 'filesystem']) {
        const file = { exit: 'result.json', stdout: 'stdout', stderr: 'stderr', filesystem: 'fs.txt' }[what];
        const mine = readOr(path.join(dir, file), null), theirs = readOr(path.join(other, file), null);
        if (!theirs) problems.push(`no ${file} in ${other} to compare with`);
        else if (!mine || !mine.equals(theirs)) problems.push(`${what} differs from ${other}`);
      }
    }
    if (problems.length) {
      failed++;
      results.set(c.name, 'failed');
      console.log(`FAIL ${c.name} (${seconds} s): ${problems.join('; ')}`);
    } else {
      passed++;
      results.set(c.name, 'passed');
      console.log(`ok   ${c.name} (${seconds} s)`);
    }
  }
  if (!o.out) fs.rmSync(out, { recursive: true, force: true });
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exitCode = failed ? 1 : 0;
}

main();
