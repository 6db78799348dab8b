import { Counter, Histogram } from 'prom-client';
import { Records } from '@vnf-lcm/contracts';

/** operations take seconds (a scale-in) to minutes (an upgrade of a large cluster) */
const OPERATION_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600];
/** a step is a request to the VIM or the VNFM, or a record write: milliseconds to tens of seconds */
const STEP_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const operations = new Counter({
  name: 'vnf_ao_operations_total',
  help: 'Operations that reached a final state (COMPLETED, FAILED, ROLLED_BACK) or FAILED_TEMP, by algorithm and state',
  labelNames: ['algorithm', 'state'] as const,
});

const operationSeconds = new Histogram({
  name: 'vnf_ao_operation_duration_seconds',
  help: 'From an operation start to the state it reached, by algorithm and state',
  labelNames: ['algorithm', 'state'] as const,
  buckets: OPERATION_BUCKETS,
});

const stepSeconds = new Histogram({
  name: 'vnf_ao_step_duration_seconds',
  help: "Each saga step this orchestrator ran, by algorithm and the diagram's label, until its answer was recorded",
  labelNames: ['algorithm', 'step'] as const,
  buckets: STEP_BUCKETS,
});

const ENDED: readonly Records.OpState[] = [...Records.FINAL_STATES, Records.OpState.failedTemp];

/** An operation changed state (OpEvents.state): counted when it ended or stopped. */
export function operationState(r: Records.OpRecord): void {
  if (!ENDED.includes(r.state)) return;
  const labels = { algorithm: r.algorithm, state: r.state };
  operations.inc(labels);
  const ms = Date.now() - Date.parse(r.startedAt);
  if (ms >= 0) operationSeconds.observe(labels, ms / 1000);
}

export function stepDone(algorithm: Records.Algorithm, label: string, ms: number): void {
  stepSeconds.observe({ algorithm, step: label }, ms / 1000);
}
