import { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { Events, Trace } from '@vnf-lcm/contracts';
import { jsReplicas, raiseReplicas } from './replicas.js';

const DAY_NS = 24 * 3600 * 1e9;

/**
 * The trace and event streams every service writes to. Any service may create them, so that
 * nothing depends on start order; adding an existing stream with the same config is a no-op.
 * Each is kept by `replicas` servers (VNF_JS_REPLICAS): an existing one with fewer is raised.
 */
export async function ensureStreams(nc: NatsConnection, replicas = jsReplicas()): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const want = [
    { name: Trace.STREAM, subjects: [`${Trace.SubjectPrefix}.>`], max_age: 7 * DAY_NS },
    { name: Events.STREAM, subjects: [Events.ALL], max_age: 7 * DAY_NS },
  ];
  for (const s of want) {
    try {
      await jsm.streams.info(s.name);
      await raiseReplicas(jsm, s.name, replicas);
    } catch {
      try {
        await jsm.streams.add({
          ...s,
          storage: StorageType.File,
          retention: RetentionPolicy.Limits,
          discard: DiscardPolicy.Old,
          max_msgs_per_subject: -1,
          num_replicas: replicas,
        });
      } catch (err) {
        // another service created it between our info and add
        if (!/already in use|exists/i.test((err as Error).message)) throw err;
      }
    }
  }
}
