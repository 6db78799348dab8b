import { main } from '@vnf-lcm/bus';
import { Participant } from '@vnf-lcm/contracts';
import { VnfmModule } from './vnfm.module.js';

await main({ name: 'vnfm', queue: 'vnfm', participant: Participant.vnfm, module: VnfmModule });
