import { main } from '@vnf-lcm/bus';
import { Participant } from '@vnf-lcm/contracts';
import { AoModule } from './ao.module.js';

await main({ name: 'orchestrator', queue: 'orchestrator', participant: Participant.ao, module: AoModule });
