// Latency and energy telemetry: records, summaries, sinks (MQTT with a disk spool, serial, JSONL file).
export * from './record';
export { percentile, Sampler, SummaryWindow } from './summary';
export * from './topics';
export * from './target';
export { Spool, type FsyncPolicy, type SpoolEntry, type SpoolOptions, type SpoolPosition } from './spool';
export type { TelemetrySink } from './sinks/sink';
export { FileSink, SerialSink } from './sinks/line-sinks';
export { formatLine, parseLine, type SerialLine } from './sinks/line-format';
export { MqttSink, connectClient, type MqttConnectOptions, type MqttSinkOptions, type MqttTls } from './sinks/mqtt-sink';
export { DEFAULT_SAMPLE_RATE, defaultSpoolRoot, deviceName, openSinks, spoolDirFor, Telemetry, type SinkContext, type TelemetryOptions } from './telemetry';
export { startEmbeddedBroker, type EmbeddedBroker } from './broker';
