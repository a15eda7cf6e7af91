// The shape of a board descriptor (boards/<id>.json). boards/schema.json is the authority; these
// types mirror it so code that reads a validated descriptor is checked by the compiler.

export type CpuArch = 'x86_64' | 'arm64' | 'armv7m' | 'armv7em' | 'armv8m' | 'armv6m';

export interface CpuDescriptor {
  arch: CpuArch;
  /** Core type, e.g. `cortex-a76`, `cortex-m4f`; free text for hosts. */
  core: string;
  /** Absent for generic hosts, where the count comes from /proc/stat at run time. */
  cores?: number;
  clockMHz?: number;
  /** Width of the vector registers the int8 kernels use (32 for a scalar core). */
  simdBits?: number;
  /** Instruction-set extensions the kernels may dispatch on: `neon`, `dotprod`, `avx2`, `dsp`, ... */
  simd: string[];
}

export interface MemoryDescriptor {
  /** Absent for generic hosts (see /proc/meminfo); required for firmware boards. */
  ramBytes?: number;
  flashBytes?: number;
  storage?: string;
}

/** Rails summed into a meter's total: named labels, or every rail the driver finds. */
export type TotalRails = string[] | 'all';

interface SourceCommon {
  /** Sampling period when energy is integrated from power readings. */
  sampleIntervalMs?: number;
  note?: string;
}

export interface Ina3221HwmonSource extends SourceCommon {
  driver: 'ina3221-hwmon';
  rails: string[];
  totalRails: TotalRails;
}

export interface Ina3221IioSource extends SourceCommon {
  driver: 'ina3221-iio';
  rails: string[];
  totalRails: TotalRails;
}

export interface TegrastatsSource extends SourceCommon {
  driver: 'tegrastats';
  rails: string[];
  totalRails: TotalRails;
}

export interface RpiPmicSource extends SourceCommon {
  driver: 'rpi-pmic';
  totalRails: TotalRails;
}

export interface Ina2xxHwmonSource extends SourceCommon {
  driver: 'ina2xx-hwmon';
  bus: number;
  /** 7-bit I2C address, e.g. `0x40`. */
  address: string;
  rail: string;
}

export type Ina2xxChip = 'ina219' | 'ina226';

export interface Ina2xxI2cSource extends SourceCommon {
  driver: 'ina2xx-i2c';
  chip: Ina2xxChip;
  bus: number;
  address: string;
  shuntOhms: number;
  maxCurrentAmps: number;
  rail: string;
}

export interface RaplSource extends SourceCommon {
  driver: 'rapl';
  /** Zone name prefixes summed into the total, e.g. `package` (not `psys`, which would count twice). */
  domains: string[];
  /** How often the counters are read during a long measurement so no wrap-around is missed. */
  pollSeconds?: number;
}

export interface ExternalMonitorSource extends SourceCommon {
  driver: 'external-monitor';
  /** Name of the GPIO pin (in `gpio`) the firmware pulses at inference start and end. */
  pin: string;
}

export type PowerSource =
  | Ina3221HwmonSource
  | Ina3221IioSource
  | TegrastatsSource
  | RpiPmicSource
  | Ina2xxHwmonSource
  | Ina2xxI2cSource
  | RaplSource
  | ExternalMonitorSource;

export type PowerDriverId = PowerSource['driver'];

export interface PowerModel {
  /** Whole-board power with every core idle. */
  idleWatts: number;
  /** Extra power per fully busy core. */
  activeWattsPerCore: number;
  /** Where the numbers come from. */
  basis: string;
}

export interface PowerDescriptor {
  /** Measured sources in order of preference; the first available one is used. */
  sources: PowerSource[];
  model?: PowerModel;
}

export type GpioRole = 'timestamp-out' | 'timestamp-in' | 'reset' | 'led';

export interface GpioPin {
  name: string;
  role: GpioRole;
  /** Where it is on the board: header pin and SoC line. */
  header: string;
  /** Linux sysfs GPIO number (`/sys/class/gpio/gpioN`), for pins cleave drives from Linux. */
  sysfs?: number;
  activeLow?: boolean;
}

export interface I2cBus {
  bus: number;
  header: string;
}

export interface SerialDescriptor {
  device: string;
  baudRate: number;
  dataBits: 7 | 8;
  parity: 'none' | 'even' | 'odd';
  stopBits: 1 | 2;
  /** What speaks on the line: `mlperf-tiny` (EEMBC runner dialect), `cleave-frames`, `console`. */
  protocol: string;
}

export interface FlashDescriptor {
  /** The flasher driver (src/mcu/flash.ts): which image file it takes and how to install it. */
  method: 'qemu-kernel' | 'st-flash' | 'openocd' | 'pyocd' | 'picotool';
  /** argv with `{firmware}` standing for the image path and `{port}` for `cleave flash --port`. */
  command: string[];
  /** UF2 family id (hex) of the chip, for methods that take UF2. */
  uf2FamilyId?: string;
  note?: string;
}

export interface EmulationDescriptor {
  /** `system` emulates the whole board; `user` runs Linux binaries for the board's CPU. */
  kind: 'system' | 'user';
  /** argv with `{firmware}`, `{qmp}` or `{program}` placeholders. */
  command: string[];
  /** Regular expression whose first group is the serial pty QEMU opened. */
  serialPtyPattern?: string;
  note?: string;
}

export type DetectSource = 'device-tree-model' | 'nv-tegra-release' | 'cpuinfo';

export interface DetectRule {
  source: DetectSource;
  /** For `cpuinfo`: the field name (`vendor_id`, `flags`, `Hardware`, `Model`); absent: the whole file. */
  field?: string;
  pattern: string;
}

export interface ThermalDescriptor {
  /** Zone types that matter for throttling, e.g. `cpu-thermal`. Absent: every zone. */
  zones?: string[];
  /** An extra throttling report beyond trip points. */
  throttleReport?: 'vcgencmd-get-throttled';
}

export interface BoardDescriptor {
  id: string;
  name: string;
  vendor: string;
  /** `linux`: runs cleave's Node runtime; `firmware`: runs cleave's microcontroller firmware. */
  runtime: 'linux' | 'firmware';
  cpu: CpuDescriptor;
  memory: MemoryDescriptor;
  power: PowerDescriptor;
  gpio: GpioPin[];
  i2c?: I2cBus[];
  serial?: SerialDescriptor;
  thermal?: ThermalDescriptor;
  flash?: FlashDescriptor;
  emulation?: EmulationDescriptor;
  /** All rules must match for the board to be detected; boards without rules are never detected. */
  detect?: { all: DetectRule[] };
}
