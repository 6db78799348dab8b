import { Module } from '@nestjs/common';
import { AoController } from './api/ao.controller.js';
import { DeployService } from './api/deploy.service.js';
import { LifecycleService } from './api/lifecycle.service.js';
import { TraceService } from './api/trace.service.js';
import { RecordsStore } from './records/records.store.js';
import { VnfBook } from './records/vnf-book.js';
import { OperationsService } from './saga/operations.service.js';

@Module({
  controllers: [AoController],
  providers: [RecordsStore, VnfBook, OperationsService, DeployService, LifecycleService, TraceService],
})
export class AoModule {}
