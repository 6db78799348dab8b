import { IsOptional, Matches } from 'class-validator';

const TOKEN = /^[a-z][a-z0-9-]{0,62}$/;

/** AO->VIM requests. A virtual host is named by its node id. */
export const Subject = {
  hostActivate: 'vnf.vim.host-activate',
  hostRemove: 'vnf.vim.host-remove',
  hostList: 'vnf.vim.host-list',
} as const;

export class HostActivate {
  @Matches(TOKEN) vnf!: string;
  @Matches(TOKEN) cluster!: string;
  @Matches(TOKEN) node!: string;
  @IsOptional() @Matches(TOKEN) zone?: string;
}

export class HostRemove {
  @Matches(TOKEN) node!: string;
}

export class HostList {
  @IsOptional() @Matches(TOKEN) zone?: string;
  @IsOptional() @Matches(TOKEN) vnf?: string;
}

export interface HostInfo {
  node: string;
  vnf: string;
  cluster: string;
  zone: string;
  driver: string;
  /** the address applications on this host bind to */
  address: string;
  state: 'creating' | 'running' | 'stopped';
  /** driver-specific: the folder of a process host, the container id of a docker host */
  ref?: string;
  pid?: number;
  createdAt: string;
  /** host-list only: no VNF record owns this host; the VIM removes it once the grace period has passed */
  orphan?: boolean;
  /** host-list only: when the VIM first saw it as an orphan */
  orphanSince?: string;
}

export interface HostRemoveReply {
  node: string;
  /** false when there was no such host: removal is idempotent */
  removed: boolean;
}

export interface HostListReply {
  hosts: HostInfo[];
}
