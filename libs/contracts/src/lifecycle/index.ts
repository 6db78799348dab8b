import { IsBoolean, IsIn, IsInt, IsObject, IsOptional, Matches, Max, Min } from 'class-validator';
import type { AppSpec } from '../descriptor/types.js';
import type { OpState } from '../records/index.js';
import { TOKEN_RE } from '../common/headers.js';
import { NAME_PATTERN } from '../descriptor/schema.js';

const NAME = new RegExp(NAME_PATTERN);
const TOKEN = TOKEN_RE;

/**
 * Lifecycle requests after deployment: `DevOps->AO` or `VNFM->AO`, plain JSON. The VNFM says
 * so with `requestedBy: "VNFM"`, and then gets the closing `AO->VNFM: notify` too.
 */
export const Subject = {
  scaleOut: 'vnf.ao.scale-out',
  scaleIn: 'vnf.ao.scale-in',
  heal: 'vnf.ao.heal',
  upgrade: 'vnf.ao.upgrade',
  migrate: 'vnf.ao.migrate',
  terminate: 'vnf.ao.terminate',
} as const;

export const Requester = { devops: 'DevOps', vnfm: 'VNFM' } as const;
export type Requester = (typeof Requester)[keyof typeof Requester];

abstract class Requested {
  @IsOptional() @IsIn(['DevOps', 'VNFM']) requestedBy?: Requester;
  /** why the VNFM asked (a metric over its threshold, a node that stopped beating) */
  @IsOptional() @Matches(/^.{0,200}$/) reason?: string;
}

/** Give either the count to reach (`nodes`) or how many to add/remove (`by`); default: by 1. */
export class Scale extends Requested {
  @Matches(NAME) vnf!: string;
  @Matches(NAME) cluster!: string;
  @IsOptional() @IsInt() @Min(0) @Max(1000) nodes?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) by?: number;
}

export class Heal extends Requested {
  @Matches(NAME) vnf!: string;
  @Matches(TOKEN) node!: string;
}

/** Only DevOps asks for these: upgrade.wsd and migrate.wsd have no `VNFM->AO: request`. */
abstract class Rolling {
  @Matches(NAME) vnf!: string;
  @Matches(NAME) cluster!: string;
  /** undo the nodes added when a new node fails (default true); false leaves them for an operator */
  @IsOptional() @IsBoolean() rollback?: boolean;
}

/** Name a version from the cluster's `versions`, or carry the new version's `app` spec. */
export class Upgrade extends Rolling {
  @IsOptional() @Matches(/^[^\s]{1,64}$/) version?: string;
  @IsOptional() @IsObject() app?: AppSpec;
}

export class Migrate extends Rolling {
  @Matches(TOKEN) zone!: string;
}

/**
 * Every node of every cluster removed, clients before their providers; the VNF's record stays,
 * NOT_INSTANTIATED, and its operations and events stay as history (docs/adr/0020-terminate.md).
 * Only DevOps asks: the VNFM never ends a VNF.
 */
export class Terminate {
  @Matches(NAME) vnf!: string;
}

export interface Reply {
  op: string;
  vnf: string;
  state: OpState;
  message: string;
}
