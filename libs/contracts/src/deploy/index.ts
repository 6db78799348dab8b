import { IsDefined } from 'class-validator';
import type { OpState } from '../records/index.js';

/** DevOps->AO: request\nupdate. Public, plain JSON. */
export const Subject = 'vnf.ao.deploy';

export class Request {
  /** the VNF descriptor, as an object or as YAML text */
  @IsDefined()
  descriptor!: unknown;
}

export interface Reply {
  op: string;
  vnf: string;
  state: OpState;
  /** false when the VNF already runs this descriptor and nothing was done */
  created: boolean;
  message: string;
}
