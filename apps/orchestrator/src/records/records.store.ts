import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { JsonKv, NATS } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';
import { OpStore } from './op-store.js';

/**
 * The AO's durable state: VNF instance records (`ao-vnfs`, by VNF name) and operation records
 * (`ao-ops`, by operation id, older steps in `ao-op-steps`), JetStream KV buckets on file storage.
 */
@Injectable()
export class RecordsStore implements OnModuleInit {
  vnfs!: JsonKv<Records.VnfRecord>;
  /** whole records in, whole records out; their steps paged apart when many (op-store.ts) */
  ops!: OpStore;
  /** operators' cancel requests, apart from the records so that they never race the saga's writes */
  cancels!: JsonKv<Records.CancelRequest>;

  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  async onModuleInit() {
    this.vnfs = await JsonKv.open<Records.VnfRecord>(this.nc, 'ao-vnfs');
    this.ops = await OpStore.open(this.nc);
    this.cancels = await JsonKv.open<Records.CancelRequest>(this.nc, 'ao-cancels');
  }
}
