// sd_notify from the addon against a real unix datagram socket (bound by python3: Node cannot): a
// path and an abstract '@' name, unset NOTIFY_SOCKET, bad addresses, a socket that is gone; and the
// watchdog period systemd's variables ask for.
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Notifier, watchdogIntervalMs } from '../../src/daemon/notify';
import { binding } from '../../src/native';
import { NotifyReceiver, python3Missing, requireTools } from '../lib/daemon';

const missing = python3Missing();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cleave-notify-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const saved = process.env.NOTIFY_SOCKET;
t.afterEach(() => {
  if (saved === undefined) delete process.env.NOTIFY_SOCKET;
  else process.env.NOTIFY_SOCKET = saved;
});

t.test('no NOTIFY_SOCKET: a no-op that says so', async (t) => {
  delete process.env.NOTIFY_SOCKET;
  t.equal(binding.sdNotify('READY=1'), false);
});

t.test('python3 is there for the socket tests', { skip: requireTools ? false : missing ?? false }, async (t) => t.equal(missing, null, missing ?? ''));

for (const address of [() => path.join(tmp, 'notify.sock'), () => `@cleave-test-${process.pid}`]) {
  const name = address().startsWith('@') ? 'an abstract socket' : 'a socket file';
  t.test(`datagrams arrive on ${name}, one per call, in order`, { skip: missing ?? false }, async (t) => {
    const receiver = await NotifyReceiver.start(address());
    t.teardown(() => receiver.stop());
    process.env.NOTIFY_SOCKET = receiver.address;
    t.equal(binding.sdNotify('READY=1'), true);
    t.equal(binding.sdNotify('STATUS=serving ü'), true);
    t.equal(binding.sdNotify('RELOADING=1\nMONOTONIC_USEC=42'), true);
    await receiver.waitFor((m) => m.startsWith('RELOADING=1'));
    t.same(receiver.messages.map((m) => m.text), ['READY=1', 'STATUS=serving ü', 'RELOADING=1\nMONOTONIC_USEC=42']);
  });
}

t.test('bad addresses and a socket that is gone are errors with context', async (t) => {
  process.env.NOTIFY_SOCKET = 'relative/notify.sock';
  t.throws(() => binding.sdNotify('READY=1'), { code: 'BAD_ARGUMENT', message: /NOTIFY_SOCKET=relative\/notify\.sock: neither an absolute path nor an abstract '@' name/ });
  process.env.NOTIFY_SOCKET = `/${'x'.repeat(120)}`;
  t.throws(() => binding.sdNotify('READY=1'), { code: 'BAD_ARGUMENT', message: /longer than a unix socket address \(107 bytes\)/ });
  process.env.NOTIFY_SOCKET = path.join(tmp, 'nobody-listens.sock');
  t.throws(() => binding.sdNotify('READY=1'), { code: 'NOTIFY_FAILED', message: /sendto\(\) NOTIFY_SOCKET=.*nobody-listens\.sock: No such file or directory/ });
  t.throws(() => (binding.sdNotify as unknown as (x: number) => boolean)(1), { code: 'BAD_ARGUMENT', message: /state must be a string/ });
});

t.test('the Notifier reports a failed send and goes on', async (t) => {
  process.env.NOTIFY_SOCKET = path.join(tmp, 'nobody-listens.sock');
  const errors: Error[] = [];
  const notifier = new Notifier((err) => errors.push(err));
  notifier.ready();
  notifier.stopping();
  t.equal(errors.length, 2);
  t.match(errors[0], { code: 'NOTIFY_FAILED', message: /telling the service manager "READY=1": sd_notify: sendto\(\)/ });
});

t.test('the watchdog period: half of WATCHDOG_USEC, for this process only', async (t) => {
  t.equal(watchdogIntervalMs({}, 10), null);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, 10), 15_000);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '10' }, 10), 15_000);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '11' }, 10), null, 'meant for another process');
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'soon' }, 10), null);
  t.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 10), null);
});
