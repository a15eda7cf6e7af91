// GPIO: the MLPerf Tiny timestamp output through onoff on a fixture sysfs, and energy between a
// device's timestamp pulses (edge interrupts through a test double: no kernel here raises them).
import t from 'tap';
import * as fs from 'node:fs';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import type { Ina2xxHwmonSource } from '../../hal/boards/descriptor';
import { SamplingEnergyMeter } from '../../hal/energy/sampling-meter';
import { measureBetweenPulses, type EdgeSource } from '../../hal/gpio/edges';
import { loadOnoff } from '../../hal/gpio/onoff-loader';
import { openTimestampPin, TimestampPin, type OutputLine } from '../../hal/gpio/timestamp-pin';
import { Ina2xxHwmonMeter } from '../../hal/power/ina2xx-hwmon';
import type { EnergyMeter } from '../../hal/power/types';
import { manualClock, near, scratchCopy } from '../lib/board-fixtures';

const catalog = loadBoardCatalog();

t.test('the timestamp pin is opened with onoff under the fixture root, idle high', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi5');
  const pin = openTimestampPin(ctx, findBoard(catalog, 'rpi5'));
  t.teardown(() => pin.close());
  t.equal(pin.pin.sysfs, 588);
  // onoff wrote the direction `high` (output, driven high) and active_low into the fixture's gpio588.
  t.equal(fs.readFileSync(file('sys/class/gpio/gpio588/direction'), 'utf8'), 'high');
  t.equal(fs.readFileSync(file('sys/class/gpio/gpio588/active_low'), 'utf8'), '0');
  pin.pulse();
  t.equal(fs.readFileSync(file('sys/class/gpio/gpio588/value'), 'utf8'), '1\n', 'back high after the pulse');
  t.equal(pin.pulseCount, 1);
});

t.test('a pulse is low then high, once at the start of the work and once at its end', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi4');
  const Gpio = loadOnoff(ctx);
  const real = new Gpio(529, 'high');
  t.teardown(() => real.unexport());
  // Record what the real value file holds after each of onoff's writes.
  const seen: string[] = [];
  const recording: OutputLine = {
    writeSync: (v) => {
      real.writeSync(v);
      seen.push(fs.readFileSync(file('sys/class/gpio/gpio529/value'), 'utf8')[0]!);
    },
    unexport: () => undefined,
  };
  const pin = new TimestampPin(findBoard(catalog, 'rpi4').gpio[0]!, recording);
  const result = await pin.around(async () => {
    t.same(seen, ['0', '1'], 'start pulse before the work');
    return 42;
  });
  t.equal(result, 42);
  t.same(seen, ['0', '1', '0', '1'], 'end pulse after it');
  await t.rejects(pin.around(async () => Promise.reject(new Error('inference failed'))), { message: 'inference failed' });
  t.equal(pin.pulseCount, 4, 'the end pulse comes even when the work fails');
});

t.test('pins cleave cannot drive are clear errors', async (t) => {
  const { ctx } = scratchCopy(t, 'jetson-orin-nano');
  t.throws(() => openTimestampPin(ctx, findBoard(catalog, 'jetson-orin-nano')), {
    code: 'GPIO_UNKNOWN',
    message: 'jetson-orin-nano: GPIO pin "timestamp" (40-pin header pin 7 (GPIO09)) has no Linux sysfs number in its descriptor, so cleave cannot drive it',
  });
  t.throws(() => openTimestampPin(ctx, findBoard(catalog, 'host-x86_64')), { message: 'host-x86_64: no timestamp-out GPIO pin in its descriptor' });
  // Pi 5 descriptor on a tree without /sys/class/gpio/gpio588: onoff's export leaves nothing to open.
  t.throws(() => openTimestampPin(ctx, findBoard(catalog, 'rpi5')), { code: 'GPIO_UNAVAILABLE', message: /sys\/class\/gpio\/gpio588: cannot open GPIO 588 .* as an output \(ENOENT\)/ });
});

/** Edge interrupts as a test double: the test fires falling edges by hand. */
class ManualEdges implements EdgeSource {
  fire: (() => void) | undefined;
  stopped = false;
  watchFalling(onFalling: () => void): void {
    this.fire = onFalling;
  }
  stop(): void {
    this.stopped = true;
  }
}

t.test('energy between a device\'s two timestamp pulses', async (t) => {
  const { ctx, file } = scratchCopy(t, 'rpi4');
  const clock = manualClock();
  const power = new Ina2xxHwmonMeter(ctx, findBoard(catalog, 'rpi4').power.sources[0] as Ina2xxHwmonSource);
  const sampling = new SamplingEnergyMeter(power, 3_600_000, clock.now);
  // Pass-through that lets the test wait for the start sample before changing the power.
  let started: Promise<void> | undefined;
  const meter: EnergyMeter = {
    name: sampling.name,
    kind: sampling.kind,
    start: () => (started = sampling.start()),
    stop: () => sampling.stop(),
    close: () => sampling.close(),
  };
  const edges = new ManualEdges();
  const measured = measureBetweenPulses(edges, meter, 60_000);
  clock.set(5);
  edges.fire!(); // inference starts: 4.28 W
  await started;
  fs.writeFileSync(file('sys/bus/i2c/devices/1-0040/hwmon/hwmon2/power1_input'), '6280000\n');
  clock.set(5.5);
  edges.fire!(); // inference ends: 6.28 W
  const r = await measured;
  near(t, r.joules, 2.64, '(4.28 W + 6.28 W) / 2 x 0.5 s');
  t.equal(r.seconds, 0.5);
  t.ok(edges.stopped, 'stops watching after the second edge');
});

t.test('missing pulses time out with a count', async (t) => {
  const { ctx } = scratchCopy(t, 'rpi4');
  const meter = new SamplingEnergyMeter(new Ina2xxHwmonMeter(ctx, findBoard(catalog, 'rpi4').power.sources[0] as Ina2xxHwmonSource), 3_600_000);
  await t.rejects(measureBetweenPulses(new ManualEdges(), meter, 10), { code: 'GPIO_TIMEOUT', message: 'saw 0 of 2 timestamp pulses within 10 ms' });
});
