// warnings-collector's capture hook for Node.js: load it without changing
// any code, with
//
//   node --require ./.ci/warnings_collector_hook.cjs --test
//   NODE_OPTIONS="--require $PWD/.ci/warnings_collector_hook.cjs" npm test
//
// (`--import` takes it too) and every process warning ('warning' events:
// deprecations, experimental features, MaxListenersExceeded, and those of
// process.emitWarning) is appended to $WARNINGS_COLLECTOR_JSONL as one
// JSON line:
//   {"message": "[DEP0005] DeprecationWarning: ...", "file": "/abs/src/a.js",
//    "line": 12, "test": "test/a.test.js", "category": "deprecation"}
// for `warnings-collector collect --jsonl FILE`. Warnings are still
// printed as before.
//
// - The output: $WARNINGS_COLLECTOR_JSONL, made absolute at start; unset,
//   `warnings.jsonl` in the current directory (said once on stderr). The
//   absolute path is put back into the environment, so that child
//   processes (node --test runs each test file in one) append to the same
//   file. Each record is one write(2) on an O_APPEND file: processes
//   running side by side never split each other's lines. The file is
//   never truncated.
// - The place: the first frame of the warning's stack outside Node itself
//   and node_modules; else the first outside Node (a dependency's file);
//   else none. Node keeps 10 frames (Error.stackTraceLimit).
// - The test: under `node --test`, each test file runs in a process of its
//   own, and the test is that file, relative to the current directory
//   (a warning at the top of the file counts too). Elsewhere (mocha, jest,
//   a plain script) it is the first file of the stack that is named like
//   a test (`test/`, `__tests__/`, `*.test.js`, `*.spec.ts`, ...), when
//   the stack reaches it; no test otherwise. The test's own name is not
//   known.
// - Not seen: each deprecation is emitted once per process (the first
//   call only), none under --no-deprecation; warnings printed by other
//   means (console.warn) are not process warnings.
'use strict';

(() => {
  const fs = require('fs');
  const path = require('path');
  const { fileURLToPath } = require('url');

  const ENV_VAR = 'WARNINGS_COLLECTOR_JSONL';
  const cwd = process.cwd();
  let file = process.env[ENV_VAR] || '';
  if (!file) {
    file = path.resolve(cwd, 'warnings.jsonl');
    process.stderr.write(`warnings-collector: ${ENV_VAR} is not set; appending warnings to ${file}\n`);
  }
  file = path.resolve(cwd, file);
  process.env[ENV_VAR] = file;
  // A process loads this once, even when given it twice (--require and
  // NODE_OPTIONS).
  if (process.__warningsCollectorHook) return;
  Object.defineProperty(process, '__warningsCollectorHook', { value: true });

  const HERE = __filename;
  const TEST_FILE = /(^|[\\/])(__tests__|tests?|specs?)[\\/]|[._-](test|spec)s?\.[cm]?[jt]sx?$/;
  // node --test runs each test file as the main module of a child process.
  const mainTest =
    process.env.NODE_TEST_CONTEXT && process.argv[1]
      ? path.relative(cwd, path.resolve(cwd, process.argv[1]))
      : null;
  let failed = false;

  function frames(stack) {
    const out = [];
    for (const l of String(stack || '').split('\n')) {
      const m = /^\s+at (?:.* \()?(.+?):(\d+):\d+\)?$/.exec(l);
      if (!m) continue;
      let f = m[1];
      if (f.startsWith('file://')) {
        try {
          f = fileURLToPath(f);
        } catch {
          continue;
        }
      }
      if (f.startsWith('node:') || f.startsWith('<') || f === HERE || !path.isAbsolute(f)) continue;
      out.push({ file: f, line: Number(m[2]) });
    }
    return out;
  }

  function record(w) {
    const all = frames(w && w.stack);
    const lib = (f) => /[\\/]node_modules[\\/]/.test(f.file);
    const place = all.find((f) => !lib(f)) || all[0] || { file: null, line: null };
    let test = mainTest;
    if (test === null) {
      const t = all.find((f) => !lib(f) && TEST_FILE.test(path.relative(cwd, f.file)));
      test = t ? path.relative(cwd, t.file) : null;
    }
    const name = (w && w.name) || 'Warning';
    const code = w && w.code ? `[${w.code}] ` : '';
    const rec = {
      message: `${code}${name}: ${w && w.message}`,
      file: place.file,
      line: place.line,
      test,
      category: /Deprecation/.test(name) ? 'deprecation' : 'warning',
    };
    try {
      fs.appendFileSync(file, JSON.stringify(rec) + '\n');
    } catch (e) {
      if (!failed) {
        failed = true;
        process.stderr.write(`warnings-collector: cannot append to ${file}: ${e.message} (no more warnings are recorded)\n`);
      }
    }
  }

  process.on('warning', (w) => {
    try {
      record(w);
    } catch {
      // Never break the program for a record.
    }
  });
})();
