// cleave's one error model. Every failure cleave reports is a CleaveError whose `code` is one of
// the codes listed here, each with a class that says whose move it is:
//   usage        the call or command line is wrong (a flag value, an option, an API misuse)
//   input        a model, Program, plan, board descriptor, data or file given to cleave is bad
//   unavailable  something cleave needs is missing here: a tool, a device, a meter, a dependency
//   internal     a broken invariant: a bug in cleave
// The CLI exits with the class's status (EXIT_STATUS) and docs/errors.md lists every code with what
// to do about it. Native codes are the StatusCodeName() names of native/common/status.h: the glue
// sets them as the JS error's `code` and fromNative() turns such an error into a CleaveError;
// nothing classifies an error by its message.

export type ErrorClass = 'usage' | 'input' | 'unavailable' | 'internal';

/**
 * Process exit status per class. 2 is the conventional status of a command-line usage error (as
 * commander, getopt tools and shells use it); 1 the general failure, for bad input; 69 and 70 are
 * sysexits.h's EX_UNAVAILABLE and EX_SOFTWARE, so scripts and service managers can tell "fix your
 * input" from "install or attach something" from "report a bug".
 */
export const EXIT_STATUS: Readonly<Record<ErrorClass, number>> = { usage: 2, input: 1, unavailable: 69, internal: 70 };

export interface ErrorCodeInfo {
  readonly class: ErrorClass;
  /** One line: what the code means and, where it helps, what to do. */
  readonly meaning: string;
}

/**
 * The codes of native/common/status.h (StatusCodeName, without "OK"), in enum order. A test
 * (test/native/status-codes.test.ts) parses the header and checks this list is exactly its list.
 */
export const NATIVE_ERROR_CODES = {
  PROGRAM_INVALID: { class: 'input', meaning: 'a field, offset, table or op parameter of a Program is malformed: recompile it from the model' },
  PROGRAM_CHECKSUM: { class: 'input', meaning: 'a Program CRC does not match: the file was damaged in storage or transfer; copy or recompile it' },
  PROGRAM_VERSION: { class: 'input', meaning: 'a Program format version this build does not read: recompile it with this cleave' },
  PROGRAM_TOO_LARGE: { class: 'input', meaning: 'a Program has more tensors, ops or arena than the runtime can hold' },
  UNSUPPORTED_OP: { class: 'input', meaning: 'an op cleave does not support, or that this build does not link' },
  KERNEL_FAILED: { class: 'input', meaning: "a kernel refused its parameters while running: the Program's op parameters are inconsistent" },
  BAD_INPUT: { class: 'input', meaning: 'wrong number, type or size of input tensors (or of imported state)' },
  BAD_ARGUMENT: { class: 'usage', meaning: 'an option or flag value is invalid (kernel set, thread count, a number out of range)' },
  OUT_OF_MEMORY: { class: 'unavailable', meaning: 'an allocation failed: not enough memory here for this model' },
  BUSY: { class: 'usage', meaning: 'the object is in use and the call cannot wait: wait for the running call first' },
  DISPOSED: { class: 'usage', meaning: 'the session (or other object) was disposed before this call' },
  INTERNAL: { class: 'internal', meaning: 'a broken invariant: a bug in cleave; please report it with CLEAVE_DEBUG=1 output' },
  NOTIFY_FAILED: { class: 'unavailable', meaning: 'a notification to the service manager ($NOTIFY_SOCKET) could not be sent: is systemd (or the socket) still there?' },
  CODEC_INVALID_ARGUMENT: { class: 'input', meaning: 'encode: the tensor description or codec options do not fit the codec' },
  CODEC_BUFFER_TOO_SMALL: { class: 'internal', meaning: 'a codec output or workspace is smaller than the codec needs: the glue sizes them, so a bug' },
  CODEC_BAD_MAGIC: { class: 'input', meaning: 'the bytes are not a cleave wire tensor (magic "CLVW")' },
  CODEC_UNSUPPORTED_VERSION: { class: 'input', meaning: 'a wire tensor written by a codec version this build does not read' },
  CODEC_UNKNOWN_CODEC: { class: 'input', meaning: 'a wire tensor names a codec id this build does not know' },
  CODEC_BAD_HEADER: { class: 'input', meaning: 'wire tensor header fields out of range (dtype, rank, dims, scale, zero point)' },
  CODEC_TRUNCATED: { class: 'input', meaning: 'a wire tensor has fewer bytes than its header or payload structure says' },
  CODEC_TRAILING_BYTES: { class: 'input', meaning: 'a wire tensor has more bytes than its header says, or unused bytes in its payload' },
  CODEC_HEADER_CHECKSUM: { class: 'input', meaning: 'the CRC-32 of a wire tensor header does not match: damaged in transfer' },
  CODEC_PAYLOAD_CHECKSUM: { class: 'input', meaning: 'the CRC-32 of a wire tensor payload does not match: damaged in transfer' },
  CODEC_SHAPE_MISMATCH: { class: 'input', meaning: "a wire tensor payload's sizes do not match its shape" },
  CODEC_CORRUPT_PAYLOAD: { class: 'input', meaning: 'a wire tensor payload structure is invalid (code table, code out of range, padding)' },
  CODEC_INDEX_OUT_OF_RANGE: { class: 'input', meaning: 'a sparse index in a wire tensor lies outside the tensor or does not increase' },
  CODEC_TOO_LARGE: { class: 'input', meaning: "a wire tensor header claims more bytes than the receiver's maxBytes allows" },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Codes raised by the TypeScript layers (src/, hal/), alphabetical. */
const TS_ERROR_CODES = {
  BAD_DEVICE: { class: 'usage', meaning: 'a --device is not NAME=BOARD[:mem=SIZE], names an unknown board, or repeats a name' },
  BAD_LINK: { class: 'usage', meaning: 'a --link is not A-B=tcp:RATE:DELAY or serial:BAUD, or joins devices that are not neighbours in the chain' },
  BAD_PROFILE: { class: 'input', meaning: 'a profile file is not JSON or lacks the board, ops or figures the planner needs' },
  CODEC_UNEXPECTED_TENSOR: { class: 'input', meaning: "a wire tensor's dtype or shape is not what the receiver expects" },
  BAD_BUFFER_SIZE: { class: 'input', meaning: 'model: a buffer is smaller than the tensor it holds' },
  BAD_CODEC_OPTION: { class: 'usage', meaning: 'a codec option is unknown or out of range (threshold, errorBudget, bits, maxBytes)' },
  BAD_CUT: { class: 'usage', meaning: 'a cut position is not between two ops of the model (see `cleave cuts`)' },
  BAD_INDEX: { class: 'input', meaning: 'model: a tensor, buffer or operator index points outside its table' },
  BAD_MODEL: { class: 'input', meaning: 'a model is malformed, or has a tensor type a command cannot handle' },
  BAD_PLAN: { class: 'input', meaning: 'a split plan is not valid JSON, names a file outside its directory, or disagrees with its Programs' },
  BAD_SHAPE: { class: 'input', meaning: 'model: a tensor shape is negative, too large or inconsistent with its op' },
  BAD_TENSOR: { class: 'input', meaning: "a tensor given to a codec does not match its description (dtype, shape, bytes, scale, zero point)" },
  BOARD_AMBIGUOUS: { class: 'input', meaning: "two board descriptors match this machine equally: make one's detect rules more specific" },
  BOARD_INVALID: { class: 'input', meaning: 'a board descriptor (boards/*.json) is not JSON or breaks the schema' },
  BOARD_MISSING: { class: 'input', meaning: 'a board descriptor file or folder cannot be read, or holds no descriptors' },
  BOARD_UNKNOWN: { class: 'input', meaning: 'no board descriptor has that id, or none matches this machine: add one under boards/' },
  BROKER_AUTH: { class: 'input', meaning: 'the MQTT broker refused the username, password or client certificate: check the credentials it was given' },
  BROKER_UNREACHABLE: { class: 'unavailable', meaning: 'the MQTT broker cannot be reached (refused, timed out, TLS handshake failed): check the URL and that it runs' },
  COMMAND_FAILED: { class: 'unavailable', meaning: 'an external command cleave runs failed or did not answer in time' },
  COMMAND_MISSING: { class: 'unavailable', meaning: 'an external command cleave needs is not on PATH' },
  COMPILE_ERROR: { class: 'input', meaning: 'a model op cannot be compiled into a Program (its parameters are outside what Programs support)' },
  CONFIG_INVALID: { class: 'input', meaning: 'a daemon config file is not JSON or YAML, or breaks the schema: the message names the field and what was expected' },
  CPUFREQ_DENIED: { class: 'unavailable', meaning: 'the CPU frequency governor cannot be written: it needs root' },
  CPUFREQ_GOVERNOR: { class: 'usage', meaning: 'the requested CPU frequency governor is not offered by this machine' },
  CPUFREQ_UNAVAILABLE: { class: 'unavailable', meaning: 'no cpufreq driver here (e.g. a virtual machine)' },
  DEPLOY_FAILED: { class: 'unavailable', meaning: 'a step of cleave deploy failed on the board (wrong CPU, no Node 20, a command failed): the board was rolled back; the message names the step' },
  DEPLOY_UNREACHABLE: { class: 'unavailable', meaning: 'cleave deploy cannot reach the board over SSH (address, port, key, host key): check `ssh USER@ADDR` works without a prompt' },
  DEPENDENCY_MISSING: { class: 'unavailable', meaning: 'an optional npm package (or its native addon) that this feature needs is missing or broken' },
  FILE_NOT_FOUND: { class: 'input', meaning: 'a file given to cleave cannot be read (missing, a directory, no permission)' },
  GOLDEN_MISMATCH: { class: 'input', meaning: 'outputs differ from the golden files: a damaged golden file, or a cleave bug to report' },
  GPIO_FAILED: { class: 'unavailable', meaning: 'watching a GPIO pin failed while measuring' },
  GPIO_TIMEOUT: { class: 'unavailable', meaning: 'the expected GPIO timestamp pulses did not arrive in time: check the wiring' },
  GPIO_UNAVAILABLE: { class: 'unavailable', meaning: 'a GPIO pin cannot be opened through sysfs (not exported, no permission)' },
  GPIO_UNKNOWN: { class: 'input', meaning: "the board descriptor has no such GPIO pin, or no sysfs number for it" },
  HIL_DEPLOY_FAILED: { class: 'unavailable', meaning: 'cleave hil could not deploy a segment to a board (a server that did not start, a flash that failed)' },
  HIL_SPEC_INVALID: { class: 'input', meaning: 'a HIL spec is not JSON/YAML, breaks the schema (the message names the field) or disagrees with its plan' },
  LAB_CONFIG_INVALID: { class: 'input', meaning: 'a lab config (`cleave lab up --config`) is not JSON/YAML or breaks the schema: the message names the field' },
  MCU_BAD_REQUEST: { class: 'internal', meaning: 'cleave firmware refused a request as malformed (a host/firmware mismatch: a bug in cleave)' },
  MCU_DOES_NOT_FIT: { class: 'input', meaning: "a Program's bytes or arena exceed the board's RAM or the firmware's buffers: the message names the numbers; split the model (`cleave split`) or pick a larger board" },
  MCU_FIRMWARE_VERSION: { class: 'input', meaning: 'the board runs a cleave firmware of another version or protocol: rebuild and flash it (`npm run build:firmware`, `cleave flash`)' },
  MCU_FRAME_DROPPED: { class: 'unavailable', meaning: 'the firmware dropped a damaged frame (bad CRC, not COBS, too long): the host sends it again' },
  MCU_NO_ANSWER: { class: 'unavailable', meaning: 'the board did not answer on its serial line in time, through every retry: is the firmware running, the port and baud rate right?' },
  MCU_NO_PROGRAM: { class: 'input', meaning: 'the firmware has no Program loaded (it was reset): load one first' },
  MCU_NOT_LOADING: { class: 'unavailable', meaning: 'the firmware has no Program load in progress (it was reset in the middle of one): the host starts the load again' },
  METER_BUSY: { class: 'usage', meaning: 'an energy meter was started while a measurement is running' },
  METER_CONFIG: { class: 'input', meaning: 'a power meter configuration (shunt, full scale) cannot be programmed' },
  METER_FAILED: { class: 'unavailable', meaning: 'an energy meter reading failed during a measurement, so its energy is unknown' },
  METER_GARBLED: { class: 'unavailable', meaning: 'a power meter tool printed output cleave cannot parse' },
  METER_IDLE: { class: 'usage', meaning: 'an energy meter was stopped without being started' },
  METER_UNAVAILABLE: { class: 'unavailable', meaning: 'no usable energy or power meter here (no driver, no permission, no counter change)' },
  METER_UNKNOWN: { class: 'input', meaning: 'a board descriptor names a power driver cleave does not have' },
  METER_UNSUPPORTED: { class: 'unavailable', meaning: 'this board has no such power meter (e.g. a PMIC ADC on a Raspberry Pi before the 5)' },
  MULTIPLE_SUBGRAPHS: { class: 'input', meaning: 'model: more than one subgraph, which cleave does not support' },
  NO_ADDON: { class: 'unavailable', meaning: 'the native addon cannot be loaded: run `npm run build`' },
  NO_CODECS: { class: 'unavailable', meaning: 'the native addon was built without the wire codecs: rebuild it' },
  NOT_A_MODEL: { class: 'input', meaning: 'the bytes are neither a cleave Program nor a TFLite model' },
  NOT_TFLITE: { class: 'input', meaning: 'the file is not a TFLite flatbuffer (identifier "TFL3")' },
  NO_FEASIBLE_PLAN: { class: 'usage', meaning: 'no placement satisfies the constraints (memory of each device, --max-latency): relax them or add a device' },
  OUT_OF_RANGE: { class: 'input', meaning: 'model: an offset or length points outside the file' },
  SERIAL_OPEN: { class: 'unavailable', meaning: 'a serial port cannot be opened (not plugged in, busy, no permission)' },
  SERIAL_TIMEOUT: { class: 'unavailable', meaning: 'a board did not answer on its serial port in time' },
  SERIAL_UNKNOWN: { class: 'input', meaning: 'the board descriptor has no serial settings' },
  SERIAL_WRITE: { class: 'unavailable', meaning: 'writing to a serial port failed' },
  SYSFS_DENIED: { class: 'unavailable', meaning: 'a sysfs/procfs file is readable by root only here' },
  SYSFS_GARBLED: { class: 'unavailable', meaning: 'a sysfs/procfs file holds something other than what its driver documents' },
  SYSFS_MISSING: { class: 'unavailable', meaning: 'a sysfs/procfs file is missing: the driver is not loaded or the device is absent' },
  SYSFS_UNREADABLE: { class: 'unavailable', meaning: 'a sysfs/procfs file cannot be read' },
  TELEMETRY_INVALID: { class: 'input', meaning: 'a telemetry message (MQTT payload, serial line, JSONL line) breaks the schema version this cleave reads' },
  TELEMETRY_TOPIC: { class: 'usage', meaning: "an MQTT topic, fleet or device name breaks the topic rules (at most 7 levels and 256 bytes, no leading '/', no wildcards)" },
  THERMAL_GARBLED: { class: 'unavailable', meaning: 'a thermal tool printed output cleave cannot parse' },
  THERMAL_UNAVAILABLE: { class: 'unavailable', meaning: 'no thermal zones here' },
  TRUNCATED: { class: 'input', meaning: 'model: the file ends before a structure it declares' },
  UNKNOWN_CODEC: { class: 'usage', meaning: 'no wire codec has that name (see `cleave codecs`)' },
  UNKNOWN_OP: { class: 'input', meaning: 'model: an operator code that is not a TFLite builtin' },
  UNSUPPORTED_DTYPE: { class: 'input', meaning: 'a tensor type cleave does not support (models and Programs are int8)' },
  WIRE_AUTH: { class: 'input', meaning: 'a `cleave serve` peer refused the token: pass the token it was started with (--token, --token-file)' },
  WIRE_BAD_FRAME: { class: 'input', meaning: 'a wire frame from a peer has an unknown type or a payload whose lengths do not add up' },
  WIRE_BAD_MAGIC: { class: 'input', meaning: 'bytes from a peer are not cleave wire frames (magic "CLVW"): is it a `cleave serve` port?' },
  WIRE_BAD_REPLY: { class: 'input', meaning: 'a peer replied with other tensors than the segment has outputs' },
  WIRE_CHECKSUM: { class: 'input', meaning: 'a wire frame fails its CRC-32: damaged on the way (the link reconnects and retries)' },
  WIRE_CLOSED: { class: 'unavailable', meaning: 'the connection or pipeline link was closed before the request was answered' },
  WIRE_CONNECT: { class: 'unavailable', meaning: 'a peer cannot be connected to (refused, unreachable, no answer in time)' },
  WIRE_EXPECTED_HELLO: { class: 'input', meaning: 'a peer sent frames before its hello (or the server restarted and no longer knows the client)' },
  WIRE_FRAME_TOO_LARGE: { class: 'input', meaning: "a wire frame announces a payload above the receiver's limit: refused before anything is allocated" },
  WIRE_HELLO_TIMEOUT: { class: 'unavailable', meaning: 'a peer connected but said no hello in time' },
  WIRE_LINK: { class: 'unavailable', meaning: 'a connection failed while in use (reset, broken pipe, port error)' },
  WIRE_LISTEN: { class: 'unavailable', meaning: '`cleave serve` cannot listen on the address (in use, no permission, not an address of this machine)' },
  WIRE_PROGRAM_MISMATCH: { class: 'input', meaning: 'the peer serves another Program (or segment) than the plan has: the message names both SHA-256 hashes' },
  WIRE_REMOTE_ERROR: { class: 'input', meaning: 'a peer reported an error whose code this cleave does not know (a newer peer)' },
  WIRE_RETRIES_EXHAUSTED: { class: 'unavailable', meaning: 'a request was sent as many times as allowed without an answer: the message names the peer and the last fault' },
  WIRE_TIMEOUT: { class: 'unavailable', meaning: 'a peer did not answer the hello in time' },
  WIRE_TLS: { class: 'input', meaning: 'a TLS handshake was refused: a certificate not signed by the trusted CA, a name mismatch, or no client certificate' },
  WIRE_TRUNCATED: { class: 'input', meaning: 'a wire frame is shorter than its header says' },
  WIRE_UNEXPECTED_FRAME: { class: 'input', meaning: 'a peer sent a frame type that has no meaning in that direction' },
  WIRE_UNREACHABLE: { class: 'unavailable', meaning: 'a peer stayed unreachable through every reconnection attempt: its requests fail (or run here with --fallback local)' },
  WIRE_VERSION: { class: 'input', meaning: 'the peer speaks another wire protocol version: update one side' },
  WRITE_FAILED: { class: 'input', meaning: 'an output file cannot be written: check the path, its permissions and free space' },
} as const satisfies Record<string, ErrorCodeInfo>;

/** Every code a CleaveError can carry, with its class and meaning: the one list the CLI and docs read. */
export const ERROR_CODES = { ...NATIVE_ERROR_CODES, ...TS_ERROR_CODES } as const satisfies Record<string, ErrorCodeInfo>;
// A code in both tables would be overridden silently by the spread: refuse it at compile time.
const noCodeInBothTables: [keyof typeof NATIVE_ERROR_CODES & keyof typeof TS_ERROR_CODES] extends [never] ? true : never = true;
void noCodeInBothTables;

/** A code of native/common/status.h, as the glue sets it on a JS error. */
export type NativeErrorCode = keyof typeof NATIVE_ERROR_CODES;
/** Every CleaveError code (the keys of ERROR_CODES); a code not listed there does not compile. */
export type CleaveErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(code: unknown): code is CleaveErrorCode {
  return typeof code === 'string' && Object.hasOwn(ERROR_CODES, code);
}

export function isNativeErrorCode(code: unknown): code is NativeErrorCode {
  return typeof code === 'string' && Object.hasOwn(NATIVE_ERROR_CODES, code);
}

/** The error type of every failure cleave reports: says what went wrong and where (file, op, tensor, offset, board, port). */
export class CleaveError extends Error {
  constructor(
    readonly code: CleaveErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CleaveError';
  }

  /** Whose move it is: usage, input, unavailable or internal. */
  get errorClass(): ErrorClass {
    return ERROR_CODES[this.code].class;
  }
}

/**
 * The CleaveError for an error thrown by the native addon, taken from its `code` (a native status
 * code name), never from its text; `context` says what cleave was doing ("model.tflite", "cannot
 * decode ..."). A native error without a known code is a glue bug: INTERNAL, with the original as
 * `cause`.
 */
export function fromNative(err: unknown, context: string): CleaveError {
  if (err instanceof CleaveError) return err;
  const error = err instanceof Error ? err : new Error(String(err));
  const code = (error as { code?: unknown }).code;
  if (isNativeErrorCode(code)) return new CleaveError(code, `${context}: ${error.message}`, { cause: error });
  return new CleaveError('INTERNAL', `${context}: native error without a status code: ${error.message}`, { cause: error });
}
