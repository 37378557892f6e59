#!/usr/bin/env node
// The reference runner for Flatware's tests: runs a wasm32-wasi program (WASI preview 1) with Node's
// built-in node:wasi, giving it what docs/flatware.md says Flatware gives it, so that the two can be
// compared byte for byte (tests/flatware/README.md):
//   - argv: the ARGS after `--`, in full: ARGS[0] is argv[0] (the program name as given);
//   - environment: the --env K=V given, and nothing else;
//   - `/` preopened as fd 3: a fresh temporary copy of the --dir HOSTDIR(s) (several are merged, later
//     ones win), or an empty directory; the program may write there, the host directories stay as
//     they are; --out-dir DIR receives the guest's `/` after the run;
//   - stdin: the --stdin FILE, or empty; stdout and stderr: the --out-stdout/--out-stderr files, or
//     this process's own.
// Prints nothing else. Exits with the program's exit code. A trap (or any failure to instantiate) is
// one line "node_wasi_run: trap: ..." on stderr and exit status 134; a usage or I/O error of the
// runner itself is one line "node_wasi_run: ..." and exit status 125. --result FILE also writes
// {"exit": N} or {"trap": "message"} (JSON), which tells a trap from a program that exits 134.
// Works with Node 18 and later.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const USAGE = `usage: node node_wasi_run.mjs --wasm FILE [--dir HOSTDIR]... [--stdin FILE] [--env K=V]...
         [--out-stdout FILE] [--out-stderr FILE] [--out-dir DIR] [--result FILE] -- ARGV0 [ARGS...]
Runs FILE with node:wasi (WASI preview 1). ARGV0 ARGS... are the program's argv in full.`;

const RUNNER_ERROR = 125;
const TRAP = 134;

class RunnerError extends Error {}

// A usage or I/O error of the runner: main() unwinds (removing its temporary directory) and exits 125.
function fail(message) {
  throw new RunnerError(message);
}

function parseArgs(argv) {
  const options = { dirs: [], env: {}, argv: null };
  const takesValue = new Set(['--wasm', '--dir', '--stdin', '--env', '--out-stdout', '--out-stderr',
    '--out-dir', '--result']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      options.argv = argv.slice(i + 1);
      break;
    }
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    }
    if (!takesValue.has(arg)) fail(`unknown option ${JSON.stringify(arg)}\n${USAGE}`);
    if (i + 1 >= argv.length) fail(`${arg} needs a value`);
    const value = argv[++i];
    switch (arg) {
      case '--wasm': options.wasm = value; break;
      case '--dir': options.dirs.push(value); break;
      case '--stdin': options.stdin = value; break;
      case '--env': {
        const eq = value.indexOf('=');
        if (eq <= 0) fail(`--env ${JSON.stringify(value)}: expected NAME=VALUE`);
        options.env[value.slice(0, eq)] = value.slice(eq + 1);
        break;
      }
      case '--out-stdout': options.outStdout = value; break;
      case '--out-stderr': options.outStderr = value; break;
      case '--out-dir': options.outDir = value; break;
      case '--result': options.result = value; break;
    }
  }
  if (!options.wasm) fail(`--wasm FILE is required\n${USAGE}`);
  if (!options.argv || options.argv.length === 0) {
    fail(`the program's argv goes after \`--\` (at least argv[0])\n${USAGE}`);
  }
  return options;
}

// Copies a directory tree: regular files (with their permission bits), directories and symbolic
// links (as links, their targets unchanged). Anything else is an error.
function copyTree(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    const stat = fs.lstatSync(source);
    if (stat.isSymbolicLink()) {
      fs.rmSync(target, { recursive: true, force: true });
      fs.symlinkSync(fs.readlinkSync(source), target);
    } else if (stat.isDirectory()) {
      copyTree(source, target);
      fs.chmodSync(target, stat.mode & 0o7777);
    } else if (stat.isFile()) {
      fs.rmSync(target, { recursive: true, force: true });
      fs.copyFileSync(source, target);
      fs.chmodSync(target, stat.mode & 0o7777);
    } else {
      throw new Error(`${source}: not a regular file, directory or symbolic link`);
    }
  }
}

function openOutput(file, fallback) {
  if (!file) return fallback;
  try {
    return fs.openSync(file, 'w');
  } catch (e) {
    fail(`cannot write ${file}: ${e.message}`);
  }
}

function writeResult(file, result) {
  if (!file) return;
  try {
    fs.writeFileSync(file, JSON.stringify(result) + '\n');
  } catch (e) {
    fail(`cannot write ${file}: ${e.message}`);
  }
}

async function main() {
  const options = parseArgs(process.argv.slice(2));

  let bytes;
  try {
    bytes = fs.readFileSync(options.wasm);
  } catch (e) {
    fail(`cannot read ${options.wasm}: ${e.message}`);
  }

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wasi-run-'));
  let exitCode = RUNNER_ERROR;
  try {
    for (const dir of options.dirs) {
      try {
        if (!fs.statSync(dir).isDirectory()) fail(`--dir ${dir}: not a directory`);
        copyTree(dir, root);
      } catch (e) {
        fail(`--dir ${dir}: ${e.message}`);
      }
    }

    let stdin;
    try {
      stdin = fs.openSync(options.stdin ?? '/dev/null', 'r');
    } catch (e) {
      fail(`cannot read ${options.stdin}: ${e.message}`);
    }
    const stdout = openOutput(options.outStdout, 1);
    const stderr = openOutput(options.outStderr, 2);

    // node:wasi prints an ExperimentalWarning when it loads: this runner prints nothing of its own.
    process.removeAllListeners('warning');
    const { WASI } = await import('node:wasi');
    const settings = {
      args: options.argv,
      env: options.env,
      preopens: { '/': root },  // the first preopen is fd 3
      returnOnExit: true,
      stdin, stdout, stderr,
    };
    let wasi;
    try {
      wasi = new WASI({ version: 'preview1', ...settings });
    } catch (e) {
      // Node releases before `version` existed take no such option and speak only preview 1.
      if (e.code !== 'ERR_INVALID_ARG_TYPE' && e.code !== 'ERR_INVALID_ARG_VALUE') throw e;
      wasi = new WASI(settings);
    }
    const imports = typeof wasi.getImportObject === 'function'
      ? wasi.getImportObject()
      : { wasi_snapshot_preview1: wasi.wasiImport };

    try {
      const module = await WebAssembly.compile(bytes);
      const instance = await WebAssembly.instantiate(module, imports);
      exitCode = wasi.start(instance) ?? 0;
      writeResult(options.result, { exit: exitCode });
    } catch (e) {
      const message = String(e && e.message ? e.message : e).split('\n')[0];
      writeResult(options.result, { trap: message });
      process.stderr.write(`node_wasi_run: trap: ${message}\n`);
      exitCode = TRAP;
    }
    // The program may have closed them itself (fd_close closes the host descriptor).
    for (const fd of [stdin, stdout, stderr]) {
      if (fd <= 2) continue;
      try { fs.closeSync(fd); } catch { /* already closed */ }
    }

    if (options.outDir) {
      try {
        fs.rmSync(options.outDir, { recursive: true, force: true });
        copyTree(root, options.outDir);
      } catch (e) {
        fail(`--out-dir ${options.outDir}: ${e.message}`);
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  process.exitCode = exitCode;
}

try {
  await main();
} catch (e) {
  if (!(e instanceof RunnerError)) throw e;
  process.stderr.write(`node_wasi_run: ${e.message}\n`);
  process.exitCode = RUNNER_ERROR;
}
