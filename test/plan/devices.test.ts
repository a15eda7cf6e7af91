// Device and link specs from the command line: sizes, rates, delays and energies in their units, and
// every malformed spec refused with the flag, the spec and what was expected.
import t from 'tap';
import { loadBoardCatalog } from '../../hal';
import { parseDevices, parseLinks, parseLinkSpec, parseSize } from '../../src/plan/devices';

const catalog = loadBoardCatalog();

t.test('devices take the board\'s memory unless mem= overrides it; firmware boards keep weights in flash', async (t) => {
  const [mcu, pi, host] = parseDevices(['mcu=nucleo-l4r5zi', 'pi=rpi4:mem=512k', 'host=host-x86_64'], catalog);
  t.equal(mcu!.ramBytes, mcu!.board.memory.ramBytes);
  t.equal(mcu!.flashBytes, mcu!.board.memory.flashBytes);
  t.equal(pi!.ramBytes, 512 * 1024);
  t.equal(pi!.flashBytes, Infinity, 'a Linux board holds weights in RAM');
  t.equal(host!.ramBytes, Infinity, 'no RAM figure: unlimited');
  t.equal(parseSize('4M', 'x'), 4 * 1024 * 1024);
  t.equal(parseSize('1000', 'x'), 1000);
});

t.test('links: tcp rate and delay, serial baud with 8N1 framing, energy per byte', async (t) => {
  const tcp = parseLinkSpec('tcp:20mbit:5ms', 'x');
  t.equal(tcp.bytesPerSecond, 2.5e6);
  t.equal(tcp.latencySeconds, 0.005);
  const serial = parseLinkSpec('serial:115200:2uJ/B', 'x');
  t.equal(serial.bytesPerSecond, 11520);
  t.equal(serial.joulesPerByte, 2e-6);
  const devices = parseDevices(['a=rpi4', 'b=rpi5', 'c=host-x86_64'], catalog);
  const links = parseLinks(['c-b=tcp:1gbit:100us', 'a-b=serial:9600'], devices);
  t.same(links.map((l) => [l.a, l.b]), [[0, 1], [1, 2]], 'sorted along the chain, either end first');
});

t.test('malformed specs are refused with the flag and the reason', async (t) => {
  const devices = parseDevices(['a=rpi4', 'b=rpi5', 'c=rpi5'], catalog);
  const refused: [() => unknown, string, RegExp][] = [
    [() => parseDevices([], catalog), 'BAD_DEVICE', /at least one --device/],
    [() => parseDevices(['a=nosuch'], catalog), 'BAD_DEVICE', /--device "a=nosuch": no board "nosuch"/],
    [() => parseDevices(['a=rpi4', 'a=rpi5'], catalog), 'BAD_DEVICE', /device a is given twice/],
    [() => parseDevices(['a=rpi4:mem=lots'], catalog), 'BAD_DEVICE', /"lots" is not a size/],
    [() => parseDevices(['a=rpi4:ram=1M'], catalog), 'BAD_DEVICE', /unknown option "ram"/],
    [() => parseLinks(['a-b=tcp:fast:1ms', 'b-c=serial:9600'], devices), 'BAD_LINK', /"fast" is not a rate/],
    [() => parseLinks(['a-b=tcp:1mbit:soon', 'b-c=serial:9600'], devices), 'BAD_LINK', /"soon" is not a delay/],
    [() => parseLinks(['a-c=serial:9600'], devices), 'BAD_LINK', /a and c are not neighbours/],
    [() => parseLinks(['a-b=serial:9600'], devices), 'BAD_LINK', /no --link between b and c/],
    [() => parseLinks(['a-x=serial:9600'], devices), 'BAD_LINK', /no device named "x"/],
    [() => parseLinks(['a-b=udp:1', 'b-c=serial:9600'], devices), 'BAD_LINK', /expected tcp:RATE:DELAY/],
    [() => parseLinks(['a-b=serial:9600:5W', 'b-c=serial:9600'], devices), 'BAD_LINK', /"5W" is not an energy per byte/],
  ];
  for (const [fn, code, message] of refused) t.throws(fn, { code, message });
});
