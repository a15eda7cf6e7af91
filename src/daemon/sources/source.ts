// Where a head's inputs come from: a watched folder, a serial sensor line or an MQTT topic. A source
// hands inputs to the daemon one at a time through `take`, which resolves once the daemon can take
// the next (its in-flight limit has room); `stop` ends the taking, and resolves when no further
// `take` call will come.
export interface InputItem {
  /** Names the input in logs and results: the file name, `serial:/dev/ttyUSB0#12`, `mqtt:sensors/cam1#3`. */
  id: string;
  bytes: Uint8Array;
  /** Called once the input's result is written (or its error is): the source will not give it again. */
  settle(): Promise<void>;
  /** Called instead when the result could not be written: the source may give the input again later. */
  retry(): void;
}

export type Take = (item: InputItem) => Promise<void>;

export interface InputSource {
  /** "directory /srv/in", "serial /dev/ttyUSB0@115200", "mqtt mqtt://host:1883 sensors/cam1". */
  readonly description: string;
  start(take: Take): Promise<void>;
  stop(): Promise<void>;
}

export type Log = (line: string) => void;

/**
 * For sources that push (a serial line, a subscription): what arrives waits in a bounded queue and is
 * taken in order. A queue already full drops its oldest input (said in the log): a sensor's newest
 * reading matters more than one the daemon could not keep up with.
 */
export class InputQueue {
  private readonly items: InputItem[] = [];
  private pumping: Promise<void> | null = null;
  private take: Take | null = null;
  private stopped = false;

  constructor(private readonly what: string, private readonly log: Log, private readonly capacity = 64) {}

  start(take: Take): void {
    this.take = take;
    this.stopped = false;
    this.kick();
  }

  push(item: InputItem): void {
    if (this.stopped) return;
    if (this.items.length >= this.capacity) this.log(`${this.what}: ${this.capacity} inputs waiting, dropped the oldest (${this.items.shift()!.id})`);
    this.items.push(item);
    this.kick();
  }

  /** Stops taking; inputs still queued are dropped (said in the log). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.pumping;
    if (this.items.length > 0) this.log(`${this.what}: stopping, ${this.items.length} queued input(s) not taken`);
    this.items.length = 0;
  }

  private kick(): void {
    if (this.pumping || !this.take) return;
    this.pumping = (async () => {
      while (!this.stopped && this.items.length > 0) await this.take!(this.items.shift()!);
    })().finally(() => {
      this.pumping = null;
      if (!this.stopped && this.items.length > 0) this.kick();
    });
  }
}
