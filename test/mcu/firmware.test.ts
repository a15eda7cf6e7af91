// The firmware images: built for each board from the same core sources as the addon, with no heap,
// printf, exceptions or RTTI linked, the vector table where the board boots, inside the board's
// flash and RAM; and each board boots and answers (the Cortex-M33 one runs a Program too).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { SerialLink } from '../../hal/serial';
import { startEmulatedBoard } from '../../src/mcu/qemu';
import { FIRMWARE_TARGETS } from '../../src/mcu/firmware-build';
import { board, bootBoard, firmware, goldenCase, runGolden, toolsPresent } from './emulated';

t.setTimeout(10 * 60_000);

// Symbols firmware must never link: heap, printf family, exceptions, RTTI, static-init guards.
const FORBIDDEN = /^(malloc|free|calloc|realloc|_sbrk|_Zn[wa]|_Zd[la]|.*printf|puts|__cxa_|__gxx_personality|_Unwind_|_ZTI|_ZTS|__dynamic_cast)/;
// Where each core boots: the vector table's address (rp2040-pico's RAM image enters at 0x20000000
// and moves VTOR to the table, on the next 256-byte boundary).
const CODE_ORIGIN: Record<string, number> = { 'mps2-an385': 0x00000000, 'mps2-an505': 0x10000000, 'nucleo-l4r5zi': 0x08000000, 'rp2040-pico': 0x20000100 };
// Boards whose image runs from SRAM: its code counts against the RAM too.
const RUNS_FROM_RAM = new Set(['rp2040-pico']);

t.test('every board with firmware support is checked here', async (t) => {
  t.same(Object.keys(CODE_ORIGIN).sort(), Object.keys(FIRMWARE_TARGETS).sort());
});

for (const id of Object.keys(FIRMWARE_TARGETS)) {
  t.test(`${id}: the image links no heap, printf, exceptions or RTTI and fits the board`, async (t) => {
    if (!toolsPresent(t)) return;
    const image = await firmware(id);
    const symbols = spawnSync('arm-none-eabi-nm', [image.elf], { encoding: 'utf8' }).stdout.split('\n')
      .map((l) => l.trim().split(/\s+/)).filter((f) => f.length === 3).map(([address, , name]) => ({ address: parseInt(address!, 16), name: name! }));
    t.same(symbols.filter((s) => FORBIDDEN.test(s.name)).map((s) => s.name), [], 'no forbidden symbol');
    t.equal(symbols.find((s) => s.name === 'kVectorTable' || s.name.endsWith('12kVectorTable'))?.address, CODE_ORIGIN[id], 'the vector table is where the core boots');
    t.ok(symbols.some((s) => s.name.includes('ProgramStreamVerifier')) && symbols.some((s) => s.name.includes('11Interpreter6Invoke')), 'the core loader and interpreter are linked');
    t.ok(symbols.some((s) => s.name.includes('10CortexMOps3Run')), 'the Cortex-M kernels run the ops they have');
    const descriptor = board(id);
    t.ok(image.flashBytes <= descriptor.memory.flashBytes!, `flash ${image.flashBytes} B <= ${descriptor.memory.flashBytes} B`);
    const ramUse = image.ramBytes + (RUNS_FROM_RAM.has(id) ? image.flashBytes : 0);
    t.ok(ramUse <= descriptor.memory.ramBytes!, `RAM ${ramUse} B <= ${descriptor.memory.ramBytes} B`);
    t.equal(fs.statSync(image.bin).size, image.flashBytes, 'the BIN holds the code and the .data initializers');
    t.comment(`${id}: flash ${image.flashBytes} B, RAM ${image.ramBytes} B (Program buffer and arena included)`);
  });
}

t.test('mps2-an505 (Cortex-M33, Secure) boots, answers hello and runs a Program to its golden output', async (t) => {
  if (!toolsPresent(t)) return;
  const { device } = await bootBoard(t, 'mps2-an505');
  const hello = await device.hello();
  t.match(hello, { board: 'mps2-an505', clockHz: 20_000_000, programFormat: 2 });
  const golden = goldenCase('tflm_hello_world');
  t.same((await runGolden(device, golden)).outputs, golden.outputs);
});

t.test('the firmware greets the EEMBC runner at boot', async (t) => {
  if (!toolsPresent(t)) return;
  const emulator = await startEmulatedBoard(board('mps2-an385'), (await firmware('mps2-an385')).elf);
  t.teardown(() => emulator.close());
  const link = await SerialLink.open({ path: emulator.serialPath, baudRate: 115200 });
  t.teardown(() => link.close());
  const first = link.nextLine(30_000);
  await emulator.resume();
  t.equal(await first, 'm-init-done');
  t.equal(await link.nextLine(30_000), 'm-ready');
});
