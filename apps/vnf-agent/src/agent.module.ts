import { Module, type BeforeApplicationShutdown, type Type } from '@nestjs/common';
import { AgentController } from './agent.controller.js';
import { AppManager } from './app-manager.js';
import { AgentLifecycle } from './lifecycle.js';

/**
 * The manager is built before Nest starts, so that the state is recovered (and a running
 * application adopted) before the first request can arrive.
 */
export function agentModule(apps: AppManager, life: AgentLifecycle): Type<unknown> {
  @Module({
    controllers: [AgentController],
    providers: [
      { provide: AppManager, useValue: apps },
      { provide: AgentLifecycle, useValue: life },
    ],
  })
  class AgentModule implements BeforeApplicationShutdown {
    /** Nest awaits this on SIGTERM before it closes the connection and re-raises the signal. */
    beforeApplicationShutdown(): Promise<void> {
      return life.stopApp();
    }
  }
  return AgentModule;
}
