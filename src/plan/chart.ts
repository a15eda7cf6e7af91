// The Pareto front as an SVG scatter chart: end-to-end latency (ms) across, total energy per
// inference (mJ) up, each plan numbered as in the table, the chosen plan highlighted. Plain SVG 1.1
// with no scripts or external fonts, so any browser or image viewer renders it.
import { type CandidatePlan, totalJoules } from './search';

const W = 720, H = 480, LEFT = 80, RIGHT = 40, TOP = 70, BOTTOM = 70;

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About five round tick values from 0 to at least `hi`. */
export function ticks(hi: number): number[] {
  const raw = (hi > 0 ? hi : 1) / 5;
  const step = [1, 2, 5, 10].map((m) => m * 10 ** Math.floor(Math.log10(raw))).find((s) => s >= raw)!;
  const count = Math.max(1, Math.ceil(hi / step - 1e-9));
  return Array.from({ length: count + 1 }, (_, i) => Number((i * step).toPrecision(12)));
}

function format(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Number(v.toPrecision(3)).toString();
}

export function frontChart(front: CandidatePlan[], chosen: CandidatePlan, title: string): string {
  const points = front.map((p, i) => ({ i, x: p.objectives.latencyMicros / 1000, y: totalJoules(p.objectives) * 1000, chosen: p === chosen }));
  const xt = ticks(Math.max(...points.map((p) => p.x)));
  const yt = ticks(Math.max(...points.map((p) => p.y)));
  const [xMax, yMax] = [xt[xt.length - 1]!, yt[yt.length - 1]!];
  const sx = (x: number) => LEFT + (x / (xMax || 1)) * (W - LEFT - RIGHT);
  const sy = (y: number) => H - BOTTOM - (y / (yMax || 1)) * (H - TOP - BOTTOM);
  const out: string[] = [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (const x of xt) {
    out.push(`<line x1="${sx(x)}" y1="${TOP}" x2="${sx(x)}" y2="${H - BOTTOM}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${sx(x)}" y="${H - BOTTOM + 18}" text-anchor="middle">${format(x)}</text>`);
  }
  for (const y of yt) {
    out.push(`<line x1="${LEFT}" y1="${sy(y)}" x2="${W - RIGHT}" y2="${sy(y)}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${LEFT - 8}" y="${sy(y) + 4}" text-anchor="end">${format(y)}</text>`);
  }
  out.push(`<line x1="${LEFT}" y1="${H - BOTTOM}" x2="${W - RIGHT}" y2="${H - BOTTOM}" stroke="black"/>`);
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${H - BOTTOM}" stroke="black"/>`);
  out.push(`<text x="${(LEFT + W - RIGHT) / 2}" y="${H - 25}" text-anchor="middle">end-to-end latency (ms)</text>`);
  out.push(`<text transform="translate(22 ${(TOP + H - BOTTOM) / 2}) rotate(-90)" text-anchor="middle">energy per inference, all devices (mJ)</text>`);
  for (const p of points.filter((q) => !q.chosen)) {
    out.push(`<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="5" fill="#4a78c2"><title>plan ${p.i}: ${format(p.x)} ms, ${format(p.y)} mJ</title></circle>`);
    out.push(`<text x="${(sx(p.x) + 7).toFixed(1)}" y="${(sy(p.y) - 6).toFixed(1)}" fill="#4a78c2">${p.i}</text>`);
  }
  const c = points.find((q) => q.chosen)!;
  out.push(`<circle cx="${sx(c.x).toFixed(1)}" cy="${sy(c.y).toFixed(1)}" r="8" fill="#d62728" stroke="black"><title>plan ${c.i} (chosen): ${format(c.x)} ms, ${format(c.y)} mJ</title></circle>`);
  out.push(`<text x="${(sx(c.x) + 10).toFixed(1)}" y="${(sy(c.y) - 10).toFixed(1)}" fill="#d62728" font-weight="bold">${c.i} chosen</text>`);
  out.push(`<text x="${W / 2}" y="44" text-anchor="middle" fill="#555">${front.length} plans on the Pareto front (latency, throughput, bytes, energy per device)</text>`);
  out.push('</svg>', '');
  return out.join('\n');
}
