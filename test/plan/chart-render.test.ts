// The front's SVG as a browser draws it: headless Chromium renders the chart to a PNG of the chart's
// size, with ink on it (axes, labels, points), the chosen point in its red and the others in blue.
// Chromium is heavy and not in .ci/run's packages, so this skips without it, even under
// CLEAVE_REQUIRE_TOOLS=1 (set CLEAVE_REQUIRE_CHROMIUM=1 to make its absence a failure).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PNG } from 'pngjs';
import { frontChart } from '../../src/plan/chart';
import type { CandidatePlan } from '../../src/plan/search';

const chromium = ['chromium', 'chromium-browser', 'google-chrome'].find((c) => spawnSync(c, ['--version'], { stdio: 'ignore' }).status === 0);

function plan(latencyMs: number, mJ: number[]): CandidatePlan {
  return {
    segments: [{ begin: 0, end: 3, device: 0, precision: 'int8' }], transfers: [],
    objectives: { latencyMicros: latencyMs * 1000, bottleneckMicros: latencyMs * 500, wireBytes: 100, joules: mJ.map((j) => j / 1000) },
  };
}

if (!chromium && process.env.CLEAVE_REQUIRE_CHROMIUM !== '1') {
  t.skip('SVG rendering check: no chromium on PATH (optional, not installed by .ci/run); set CLEAVE_REQUIRE_CHROMIUM=1 to make this a failure');
} else {
  t.test('headless Chromium draws the chart at its size, with ink, the chosen point red and the others blue', async (t) => {
    t.ok(chromium, 'chromium is installed');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-chart-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const front = [plan(3, [1, 2]), plan(5, [0.5, 1.2]), plan(9, [0.2, 0.4]), plan(14, [0.1, 0.1])];
    const svg = path.join(dir, 'front.svg');
    fs.writeFileSync(svg, frontChart(front, front[1]!, 'kws: mcu → host'));
    const png = path.join(dir, 'front.png');
    const r = spawnSync(chromium!, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${path.join(dir, 'profile')}`,
      `--screenshot=${png}`, '--window-size=720,480', `file://${svg}`], { encoding: 'utf8', timeout: 120_000 });
    t.ok(fs.existsSync(png), `chromium wrote a screenshot (status ${r.status}: ${r.stderr.slice(-400)})`);
    const image = PNG.sync.read(fs.readFileSync(png));
    t.same([image.width, image.height], [720, 480], 'the chart\'s own size');
    let ink = 0, red = 0, blue = 0;
    for (let i = 0; i < image.data.length; i += 4) {
      const [r8, g8, b8] = [image.data[i]!, image.data[i + 1]!, image.data[i + 2]!];
      if (r8 < 200 || g8 < 200 || b8 < 200) ink++;
      if (r8 > 180 && g8 < 80 && b8 < 80) red++;
      if (r8 < 110 && g8 > 90 && g8 < 150 && b8 > 160) blue++;
    }
    t.ok(ink > 2000, `not blank: ${ink} non-white pixels`);
    t.ok(red > 100, `the chosen point is drawn red: ${red} pixels`);
    t.ok(blue > 150, `the other points are drawn blue: ${blue} pixels`);
  });
}
