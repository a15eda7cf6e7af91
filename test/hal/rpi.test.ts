// Raspberry Pi 5 PMIC via `vcgencmd pmic_read_adc` (fake vcgencmd from the fixture's bin/).
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { RpiPmicSource } from '../../hal/boards/descriptor';
import { surveyMeters } from '../../hal/energy/best';
import { RpiPmicMeter } from '../../hal/power/rpi-pmic';
import { parsePmicReadAdc } from '../../hal/power/rpi-pmic-parse';
import { fixtureContext, near, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();
const pmicSource = findBoard(catalog, 'rpi5').power.sources[0] as RpiPmicSource;

t.test('current and voltage lines are paired by rail name', async (t) => {
  const adc = parsePmicReadAdc(['  VDD_CORE_A current(7)=0.92871990A', '   3V3_SYS_V volt(9)=3.30176000V', '  VDD_CORE_V volt(15)=0.72097620V', '   3V3_SYS_A current(1)=0.05172044A', '  EXT5V_V volt(24)=5.13220000V', ''].join('\n'));
  t.same(adc.rails.map((r) => r.name), ['VDD_CORE', '3V3_SYS']);
  near(t, adc.rails[0]!.watts, 0.66958494436638, 'VDD_CORE 0.92871990 A x 0.72097620 V');
  near(t, adc.rails[1]!.watts, 0.1707684799744, '3V3_SYS 0.05172044 A x 3.30176000 V');
  t.same(adc.inputs, { EXT5V: 5.1322 }, 'a voltage without a current is an input, not a rail');
});

t.test('Pi 5 meter: every paired rail, total of all of them', async (t) => {
  const r = await new RpiPmicMeter(fixtureContext('rpi5'), pmicSource).read();
  t.equal(r.kind, 'measured');
  t.equal(r.rails.length, 12, '12 rails with both _A and _V lines; EXT5V_V and BATT_V have no current');
  near(t, r.rails.find((x) => x.name === 'VDD_CORE')?.watts, 0.66958494436638, 'VDD_CORE');
  near(t, r.rails.find((x) => x.name === 'HDMI')?.watts, 0.1128319153614, 'HDMI 0.02188980 A x 5.15454300 V');
  // 0.1707684799744 (3V3_SYS) + 0.3013934715222 (1V8_SYS) + 0.03036814704 (DDR_VDD2) + 0.20612991168 (1V1_SYS)
  // + 0.267965412956 (0V8_SYS) + 0.66958494436638 (VDD_CORE) + 0.00100838208075 (3V3_ADC) + 0.1128319153614 (HDMI)
  // + 0 (3V7_WL_SW, DDR_VDDQ, 3V3_DAC, 0V8_AON) = 1.76005066498113
  near(t, r.totalWatts, 1.76005066498113, 'total');
});

t.test('older Pis answer "Command not registered": unsupported, clearly', async (t) => {
  t.throws(() => parsePmicReadAdc('error=1 error_msg="Command not registered"\n'), {
    code: 'METER_UNSUPPORTED',
    message: /this board has no PMIC ADC \(firmware answered error=1 "Command not registered"; only the Raspberry Pi 5 family has one\)/,
  });
  await t.rejects(new RpiPmicMeter(fixtureContext('rpi4'), pmicSource).read(), { code: 'METER_UNSUPPORTED' });
});

t.test('garbled output names the line; missing vcgencmd names the tool', async (t) => {
  t.throws(() => parsePmicReadAdc('  VDD_CORE_A current(7)=0.92871990V\n'), { code: 'METER_GARBLED', message: /unexpected line "VDD_CORE_A current\(7\)=0\.92871990V"/ });
  t.throws(() => parsePmicReadAdc('  VDD_CORE_A current(7)=0.9A\n'), { message: /no rail has both a current \(_A\) and a voltage \(_V\) line/ });
  const { ctx, file } = scratchCopy(t, 'rpi5');
  fs.rmSync(file('bin/vcgencmd'));
  await t.rejects(new RpiPmicMeter(ctx, pmicSource).read(), { code: 'COMMAND_MISSING', message: /^vcgencmd: not found on PATH/ });
  const survey = await surveyMeters(findBoard(catalog, 'rpi5'), { ctx });
  t.same(survey.find((s) => s.name === 'rpi-pmic'), { name: 'rpi-pmic', kind: 'measured', available: false, reason: `vcgencmd: not found on PATH (${ctx.searchPath})` });
});
