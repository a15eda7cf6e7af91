// MQTT topics of a device: cleave/v1/<fleet>/<device>/{telemetry,summary,status,cmd}. Checked against
// the limits common cloud brokers impose (AWS IoT: at most 7 levels and 256 bytes; none allows a
// leading '/'), so a fleet that works on a local Mosquitto also works there.
import { CleaveError } from '../errors';

export const TOPIC_KINDS = ['telemetry', 'summary', 'status', 'cmd'] as const;
export type TopicKind = (typeof TOPIC_KINDS)[number];

export const MAX_TOPIC_LEVELS = 7;
export const MAX_TOPIC_BYTES = 256;

/** Throws TELEMETRY_TOPIC naming what is wrong with `topic` (a publish topic: no wildcards). */
export function checkTopic(topic: string): string {
  const bad = (why: string) => new CleaveError('TELEMETRY_TOPIC', `MQTT topic "${topic}": ${why}`);
  if (topic === '') throw bad('empty');
  if (topic.startsWith('/')) throw bad("starts with '/'");
  const bytes = Buffer.byteLength(topic, 'utf8');
  if (bytes > MAX_TOPIC_BYTES) throw bad(`${bytes} bytes, at most ${MAX_TOPIC_BYTES}`);
  const levels = topic.split('/');
  if (levels.length > MAX_TOPIC_LEVELS) throw bad(`${levels.length} levels, at most ${MAX_TOPIC_LEVELS}`);
  if (levels.some((l) => l === '')) throw bad('has an empty level');
  if (/[#+\u0000]/.test(topic)) throw bad("has a wildcard ('#', '+') or NUL");
  return topic;
}

/** A fleet, device or share-group name: one topic level, so no '/', wildcard or NUL. */
export function checkLevel(name: string, what: string): void {
  if (name === '' || /[/#+\u0000]/.test(name)) throw new CleaveError('TELEMETRY_TOPIC', `${what} "${name}" must be one non-empty MQTT topic level (no '/', '#', '+')`);
}

export function deviceTopic(fleet: string, device: string, kind: TopicKind): string {
  checkLevel(fleet, 'fleet');
  checkLevel(device, 'device');
  return checkTopic(`cleave/v1/${fleet}/${device}/${kind}`);
}


// A pool of `cleave serve --mqtt` workers (docs/telemetry.md, "Tail worker pools"): heads publish a
// segment's requests to one topic, which the workers share ($share/<group>/...); each head gets its
// replies on a topic of its own, named by its MQTT client id.

export function poolRequestTopic(fleet: string, segment: number): string {
  checkLevel(fleet, 'fleet');
  return checkTopic(`cleave/v1/${fleet}/pool/seg${segment}/req`);
}

export function poolReplyTopic(fleet: string, clientId: string): string {
  checkLevel(fleet, 'fleet');
  checkLevel(clientId, 'MQTT client id');
  return checkTopic(`cleave/v1/${fleet}/pool/reply/${clientId}`);
}

/** The MQTT v5 shared subscription of `group` to `topic`: each message goes to one subscriber of the group. */
export function sharedSubscription(group: string, topic: string): string {
  checkLevel(group, 'share group');
  return `$share/${group}/${topic}`;
}
