import type { JetStreamManager } from '@nats-io/jetstream';

/** Every stream and KV bucket is kept by this many servers; env VNF_JS_REPLICAS. */
export const REPLICAS_ENV = 'VNF_JS_REPLICAS' as const;
/** JetStream's own limit on a stream's replicas */
const MAX_REPLICAS = 5;

export class ReplicasError extends Error {
  override name = 'ReplicasError';
}

/**
 * How many servers keep each stream and bucket: 1 on one nats-server (the default), 3 on a
 * three-server cluster, so that a server lost takes no record with it (docs/cluster.md).
 */
export function jsReplicas(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[REPLICAS_ENV];
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_REPLICAS)
    throw new ReplicasError(`${REPLICAS_ENV} must be a whole number from 1 to ${MAX_REPLICAS}, not ${raw}`);
  return n;
}

/**
 * Raises the replicas of a stream made before (on one server, or before the setting changed):
 * a cluster grown from one server keeps its records on every server. Never lowers them: two
 * services with different settings would otherwise take turns changing the stream.
 */
export async function raiseReplicas(jsm: JetStreamManager, stream: string, replicas: number): Promise<void> {
  const info = await jsm.streams.info(stream);
  if ((info.config.num_replicas ?? 1) >= replicas) return;
  await jsm.streams.update(stream, { ...info.config, num_replicas: replicas });
}
