import { rpcError } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import type { VnfBook } from '../records/vnf-book.js';
import { deployment, type DeploymentParams } from './deployment.saga.js';
import { healing, type HealParams } from './healing.saga.js';
import { migrate, type MigrateParams } from './migrate.saga.js';
import type { Saga } from './saga.js';
import { scaleIn } from './scale-in.saga.js';
import { scaleOut, type ScaleParams } from './scale-out.saga.js';
import { terminate, type TerminateParams } from './terminate.saga.js';
import { upgrade, type UpgradeParams } from './upgrade.saga.js';

const A = Records.Algorithm;

/** What any operation's parameters may carry besides its algorithm's own. */
type Common = {
  /** a failed step undoes what was done instead of waiting in FAILED_TEMP (upgrade, migrate) */
  rollback?: boolean;
  /** why the VNFM asked for it (scale, heal) */
  reason?: string;
};

interface ParamsByAlgorithm {
  [A.deployment]: DeploymentParams;
  [A.scaleOut]: ScaleParams;
  [A.scaleIn]: ScaleParams;
  [A.healing]: HealParams;
  [A.upgrade]: UpgradeParams;
  [A.migrate]: MigrateParams;
  [A.terminate]: TerminateParams;
}

/** The parameters an operation of algorithm `A` is recorded with. */
export type Params<K extends Records.Algorithm> = ParamsByAlgorithm[K] & Common;

/** An algorithm with its parameters: one shape per algorithm, told apart by `algorithm`. */
export type Operation = { [K in Records.Algorithm]: { algorithm: K; params: Params<K> } }[Records.Algorithm];

type SagaOf<K extends Records.Algorithm> = (s: Saga, book: VnfBook, p: Params<K>) => Promise<void>;

/** The saga of each algorithm: the type has every algorithm say what parameters it takes. */
const SAGAS: { [K in Records.Algorithm]: SagaOf<K> } = {
  [A.deployment]: deployment,
  [A.scaleOut]: scaleOut,
  [A.scaleIn]: scaleIn,
  [A.healing]: healing,
  [A.upgrade]: upgrade,
  [A.migrate]: migrate,
  [A.terminate]: terminate,
};

export type SagaBody = (s: Saga) => Promise<void>;

/** The saga an operation record asks for, built again from the record when the operation resumes. */
export function sagaFor(op: Records.OpRecord, book: VnfBook): SagaBody {
  if (!Object.hasOwn(SAGAS, op.algorithm)) throw rpcError('internal', `no saga for ${op.algorithm}`);
  // the record keeps the parameters as plain JSON; start() wrote them typed by their algorithm
  return bind({ algorithm: op.algorithm, params: op.params } as Operation, book);
}

function bind<K extends Records.Algorithm>(op: { algorithm: K; params: Params<K> }, book: VnfBook): SagaBody {
  const saga: SagaOf<K> = SAGAS[op.algorithm];
  return (s) => saga(s, book, op.params);
}
