import { rpcError } from '@vnf-lcm/bus';
import type { HostInfo, HostSpec } from './driver.js';

/** An IPv4 range in CIDR notation, as integers. */
export interface Cidr {
  text: string;
  first: number;
  last: number;
}

const toInt = (ip: string): number | undefined => {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
};

export const toIp = (n: number): string => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const base = toInt(m[1]);
  const bits = Number(m[2]);
  if (base === undefined || bits > 32) return undefined;
  const size = 2 ** (32 - bits);
  const first = base - (base % size);
  return { text, first, last: first + size - 1 };
}

/**
 * The lowest address of the range that no host holds. Addresses whose last octet is 0 or 255
 * are skipped: tools read them as network or broadcast addresses even inside a larger range.
 */
export function lowestFree(range: Cidr, used: Iterable<string>): string | undefined {
  const taken = new Set(used);
  for (let n = range.first; n <= range.last; n++) {
    const octet = n % 256;
    if (octet === 0 || octet === 255) continue;
    const ip = toIp(n);
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}

/** The address a new host of `zone` gets: the lowest free one, or `unavailable` when none is left. */
export function allocate(range: Cidr, used: Iterable<string>, zone: string): string {
  const address = lowestFree(range, used);
  if (!address) throw rpcError('unavailable', `zone ${zone} has no free address`, { range: range.text });
  return address;
}

/** The record of a host just created: every driver's the same but for what its `ref` names. */
export function newHost(spec: HostSpec, zone: string, driver: string, address: string, ref: string, createdAt = new Date().toISOString()): HostInfo {
  return { node: spec.node, vnf: spec.vnf, cluster: spec.cluster, zone, driver, address, state: 'creating', ref, createdAt };
}
