import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { JsonKv, NATS } from '@vnf-lcm/bus';
import { Records } from '@vnf-lcm/contracts';

/**
 * The AO's durable state: VNF instance records (`ao-vnfs`, by VNF name) and operation records
 * (`ao-ops`, by operation id), both JetStream KV buckets on file storage.
 */
@Injectable()
export class RecordsStore implements OnModuleInit {
  vnfs!: JsonKv<Records.VnfRecord>;
  ops!: JsonKv<Records.OpRecord>;
  /** operators' cancel requests, apart from the records so that they never race the saga's writes */
  cancels!: JsonKv<Records.CancelRequest>;

  constructor(@Inject(NATS) private readonly nc: NatsConnection) {}

  async onModuleInit() {
    this.vnfs = await JsonKv.open<Records.VnfRecord>(this.nc, 'ao-vnfs');
    this.ops = await JsonKv.open<Records.OpRecord>(this.nc, 'ao-ops');
    this.cancels = await JsonKv.open<Records.CancelRequest>(this.nc, 'ao-cancels');
  }
}
