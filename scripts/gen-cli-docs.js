#!/usr/bin/env node
// Writes docs/cli.md from the built command tree (run `npm run build:ts` first; `npm run gen:cli-docs` does).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { buildProgram } = require('../dist/src/cli/main.js');
const { cliReference } = require('../dist/src/cli/reference.js');

const file = path.join(__dirname, '..', 'docs', 'cli.md');
fs.writeFileSync(file, cliReference(buildProgram()));
process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
