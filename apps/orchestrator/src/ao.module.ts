import { Module } from '@nestjs/common';
import { AoController } from './api/ao.controller.js';
import { DeployService } from './api/deploy.service.js';
import { LifecycleService } from './api/lifecycle.service.js';
import { VimZones } from './api/vim-zones.js';
import { TraceService } from './api/trace.service.js';
import { RecordsStore } from './records/records.store.js';
import { VnfBook } from './records/vnf-book.js';
import { OpEvents } from './saga/events.js';
import { Leases } from './saga/leases.js';
import { OperatorActions } from './saga/operator-actions.js';
import { OperationRunner } from './saga/runner.js';
import { OperationStarter } from './saga/starter.js';
import { VnfLock } from './saga/vnf-lock.js';

@Module({
  controllers: [AoController],
  providers: [
    RecordsStore,
    VnfBook,
    OpEvents,
    VnfLock,
    OperationRunner,
    Leases,
    OperationStarter,
    OperatorActions,
    DeployService,
    LifecycleService,
    VimZones,
    TraceService,
  ],
})
export class AoModule {}
