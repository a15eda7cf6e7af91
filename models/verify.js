#!/usr/bin/env node
// verify.js: compare candidate tensor dumps against a golden set, byte for byte.
// Plain Node (>= 12), no dependencies.
//
// Usage:
//   node verify.js GOLDEN_SET_DIR CANDIDATE_DIR [--outputs-only] [--skip-missing] [--model NAME]... [--case NAME]...
//                                               [--quiet] [--max-diffs N]
//
// GOLDEN_SET_DIR is e.g. models/ (this directory): <model>/<case>/manifest.json + t<index>.bin.
// CANDIDATE_DIR uses the same layout: <model>/<case>/t<index>.bin (its manifest, if any, is ignored).
// Every tensor listed in a golden manifest is compared (inputs too, which catches input-handling
// mistakes); --outputs-only restricts to role "output". A candidate file that is absent counts as a
// failure unless --skip-missing is given (then it is reported as skipped).
// For each case the first diverging op in execution order (producer_op, from the golden manifest)
// is named, which is usually where the bug is.
// Exit status: 0 if nothing failed, 1 if anything failed, 2 on usage errors.
'use strict';
const fs = require('fs');
const path = require('path');

function usage(msg) {
  if (msg) console.error(msg);
  console.error('usage: node verify.js GOLDEN_SET_DIR CANDIDATE_DIR [--outputs-only] [--skip-missing] ' +
                '[--model NAME]... [--case NAME]... [--quiet] [--max-diffs N]');
  process.exit(2);
}

const args = process.argv.slice(2);
const pos = [];
const opt = { outputsOnly: false, skipMissing: false, models: [], cases: [], quiet: false, maxDiffs: 5 };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--outputs-only') opt.outputsOnly = true;
  else if (a === '--skip-missing') opt.skipMissing = true;
  else if (a === '--quiet') opt.quiet = true;
  else if (a === '--model' && i + 1 < args.length) opt.models.push(args[++i]);
  else if (a === '--case' && i + 1 < args.length) opt.cases.push(args[++i]);
  else if (a === '--max-diffs' && i + 1 < args.length) opt.maxDiffs = parseInt(args[++i], 10);
  else if (a === '-h' || a === '--help') usage();
  else if (a.startsWith('--')) usage('unknown option ' + a);
  else pos.push(a);
}
if (pos.length !== 2) usage();
const [goldDir, candDir] = pos;
for (const d of [goldDir, candDir]) {
  if (!fs.existsSync(d) || !fs.statSync(d).isDirectory()) usage('not a directory: ' + d);
}

const DTYPES = {
  int8: [1, (dv, o) => dv.getInt8(o)],
  uint8: [1, (dv, o) => dv.getUint8(o)],
  int16: [2, (dv, o) => dv.getInt16(o, true)],
  uint16: [2, (dv, o) => dv.getUint16(o, true)],
  int32: [4, (dv, o) => dv.getInt32(o, true)],
  uint32: [4, (dv, o) => dv.getUint32(o, true)],
  int64: [8, (dv, o) => Number(dv.getBigInt64(o, true))],
  float32: [4, (dv, o) => dv.getFloat32(o, true)],
  bool: [1, (dv, o) => dv.getUint8(o)],
};

function describeDiff(gold, cand, e) {
  const dt = DTYPES[e.dtype] || DTYPES.uint8;
  const size = DTYPES[e.dtype] ? dt[0] : 1;
  if (gold.length !== cand.length) {
    return `size ${cand.length} bytes, expected ${gold.length}`;
  }
  const gv = new DataView(gold.buffer, gold.byteOffset, gold.byteLength);
  const cv = new DataView(cand.buffer, cand.byteOffset, cand.byteLength);
  const n = Math.floor(gold.length / size);
  let count = 0, maxAbs = 0, first = -1;
  const samples = [];
  for (let k = 0; k < n; k++) {
    const g = dt[1](gv, k * size), c = dt[1](cv, k * size);
    if (g !== c && !(Number.isNaN(g) && Number.isNaN(c))) {
      count++;
      if (first < 0) first = k;
      const d = Math.abs(g - c);
      if (d > maxAbs) maxAbs = d;
      if (samples.length < opt.maxDiffs) samples.push(`[${k}] got ${c} want ${g}`);
    }
  }
  if (count === 0) return 'bytes differ but values compare equal (e.g. NaN payloads or -0)';
  return `${count}/${n} elements differ (${(100 * count / n).toFixed(2)}%), max |diff| ${maxAbs}, ` +
         `first at element ${first}${describeIndex(first, e.shape)}; ${samples.join(', ')}`;
}

function describeIndex(flat, shape) {
  if (!Array.isArray(shape) || shape.length < 2) return '';
  const idx = [];
  let r = flat;
  for (let d = shape.length - 1; d >= 0; d--) { idx.unshift(r % shape[d]); r = Math.floor(r / shape[d]); }
  return ` (index [${idx.join(',')}])`;
}

function listDirs(d) {
  return fs.readdirSync(d, { withFileTypes: true }).filter((x) => x.isDirectory()).map((x) => x.name).sort();
}

let passed = 0, failed = 0, skipped = 0, casesPassed = 0, casesFailed = 0;
const failedCases = [];
const models = listDirs(goldDir).filter((m) => opt.models.length === 0 || opt.models.includes(m));
if (models.length === 0) usage('no model directories selected under ' + goldDir);
for (const model of models) {
  const cases = listDirs(path.join(goldDir, model))
    .filter((c) => fs.existsSync(path.join(goldDir, model, c, 'manifest.json')))
    .filter((c) => opt.cases.length === 0 || opt.cases.includes(c));
  for (const cs of cases) {
    const gdir = path.join(goldDir, model, cs);
    const cdir = path.join(candDir, model, cs);
    let manifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(gdir, 'manifest.json'), 'utf8'));
    } catch (err) {
      console.log(`ERROR ${model}/${cs}: cannot read golden manifest: ${err.message}`);
      failed++; casesFailed++; failedCases.push(`${model}/${cs}`);
      continue;
    }
    let caseFail = 0, casePass = 0, caseSkip = 0;
    let firstDiv = null;
    for (const e of manifest) {
      if (opt.outputsOnly && e.role !== 'output') continue;
      const label = `${model}/${cs}/${e.file} (tensor ${e.index}, ${e.role}` +
                    (e.producer ? `, op ${e.producer_op} ${e.producer}` : '') + `, ${e.dtype} [${e.shape}])`;
      const cfile = path.join(cdir, e.file);
      if (!fs.existsSync(cfile)) {
        if (opt.skipMissing) { caseSkip++; skipped++; if (!opt.quiet) console.log(`SKIP ${label}: missing`); continue; }
        caseFail++; failed++;
        console.log(`FAIL ${label}: candidate file missing`);
        continue;
      }
      const gold = fs.readFileSync(path.join(gdir, e.file));
      const cand = fs.readFileSync(cfile);
      if (gold.length === cand.length && gold.equals(cand)) {
        casePass++; passed++;
        continue;
      }
      caseFail++; failed++;
      console.log(`FAIL ${label}: ${describeDiff(gold, cand, e)}`);
      const opIdx = (typeof e.producer_op === 'number') ? e.producer_op : -1;
      if (firstDiv === null || opIdx < firstDiv.op) firstDiv = { op: opIdx, label };
    }
    if (caseFail) {
      casesFailed++; failedCases.push(`${model}/${cs}`);
      const where = firstDiv ? (firstDiv.op >= 0 ? `first diverging op ${firstDiv.op}: ${firstDiv.label}`
                                                 : `diverges already at ${firstDiv.label}`) : 'missing files';
      console.log(`CASE FAIL ${model}/${cs}: ${caseFail} failed, ${casePass} passed` +
                  (caseSkip ? `, ${caseSkip} skipped` : '') + `; ${where}`);
    } else {
      casesPassed++;
      if (!opt.quiet) console.log(`CASE ok   ${model}/${cs}: ${casePass} tensors` + (caseSkip ? `, ${caseSkip} skipped` : ''));
    }
  }
}
console.log(`cases: ${casesPassed} passed, ${casesFailed} failed`);
console.log(`${passed} passed, ${failed} failed` + (skipped ? `, ${skipped} skipped` : ''));
process.exit(failed ? 1 : 0);
