// Where the package lives on disk, whether running from src/ (tests, via tap's TypeScript loader)
// or from dist/src/ (the compiled CLI).
import * as fs from 'node:fs';
import * as path from 'node:path';

function findPackageRoot(start: string): string {
  let dir = start;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find cleave's package.json above ${start}`);
    dir = parent;
  }
  return dir;
}

export const packageRoot = findPackageRoot(__dirname);

export const packageVersion: string = (
  JSON.parse(fs.readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { version: string }
).version;
