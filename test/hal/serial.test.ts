// Serial links over a real pseudo-terminal (as QEMU's `-serial pty` gives): lines both ways, and the
// modem-control ioctls that ptys refuse reported as not applied instead of failing the link.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { findBoard, loadBoardCatalog } from '../../hal/boards/catalog';
import { listSerialPorts, SerialLink, serialOptionsFor } from '../../hal/serial';

// A pty whose far end answers each line upper-cased, like a device echoing commands.
const PTY_ECHO = `
import os, pty, select, sys, tty
master, slave = pty.openpty()
tty.setraw(master)
print(os.ttyname(slave), flush=True)
while True:
    ready, _, _ = select.select([master, sys.stdin], [], [])
    if sys.stdin in ready and not sys.stdin.read(1):
        break
    if master in ready:
        os.write(master, os.read(master, 1024).upper())
`;

const hasPython = spawnSync('python3', ['-c', 'import pty'], { stdio: 'ignore' }).status === 0;

t.test('a serial link on a pty: write, read lines, DTR/RTS not applied', { skip: !hasPython && 'python3 is needed to open a pty' }, async (t) => {
  const echo = spawn('python3', ['-c', PTY_ECHO], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    echo.stdin.end();
    echo.kill();
  });
  const ptyPath = await new Promise<string>((resolve) => echo.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  t.match(ptyPath, /^\/dev\/pts\/\d+$/);

  const options = serialOptionsFor(findBoard(loadBoardCatalog(), 'nucleo-l4r5zi'), ptyPath);
  t.same(options, { path: ptyPath, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 });
  const link = await SerialLink.open(options);
  t.teardown(() => link.close());

  await link.write('name%\r\n');
  t.equal(await link.nextLine(5000), 'NAME%', 'a line back, without its \\r\\n');
  await link.write('db load 4%\ninfer 1 0%\n');
  t.equal(await link.nextLine(5000), 'DB LOAD 4%');
  t.equal(await link.nextLine(5000), 'INFER 1 0%');

  const signals = await link.setSignals({ dtr: false, rts: false });
  t.equal(signals.applied, false);
  t.match(signals.reason, new RegExp(`${ptyPath}: modem-control signals not supported here`));
  await t.rejects(link.nextLine(50), { code: 'SERIAL_TIMEOUT', message: `${ptyPath}: no line within 50 ms` });
});

t.test('opening a missing port names it', async (t) => {
  await t.rejects(SerialLink.open({ path: '/dev/cleave-no-such-port', baudRate: 9600 }), {
    code: 'SERIAL_OPEN',
    message: /^\/dev\/cleave-no-such-port: cannot open at 9600 baud/,
  });
  t.throws(() => serialOptionsFor(findBoard(loadBoardCatalog(), 'host-x86_64')), { code: 'SERIAL_UNKNOWN' });
});

t.test('listing ports never throws; without udevadm it says so', async (t) => {
  const listing = await listSerialPorts();
  if (listing.available) t.ok(Array.isArray(listing.ports));
  else t.match(listing.reason, /^cannot list serial ports/);
});
