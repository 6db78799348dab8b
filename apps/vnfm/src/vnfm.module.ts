import { Module } from '@nestjs/common';
import { ClusterController } from './cluster.controller.js';
import { ClusterService } from './cluster.service.js';
import { ClusterStore } from './cluster.store.js';
import { Heartbeats } from './heartbeats.js';
import { Watcher } from './watcher.js';

@Module({ controllers: [ClusterController], providers: [ClusterStore, ClusterService, Heartbeats, Watcher] })
export class VnfmModule {}
