import 'reflect-metadata';
import { Controller, UseGuards, UsePipes } from '@nestjs/common';
import { Ctx, EventPattern, MessagePattern, NatsContext, Payload } from '@nestjs/microservices';
import { Vim } from '@vnf-lcm/contracts';
import { routesOf } from './dispatch.js';
import { toErrorBody } from './errors.js';
import { MessageValidationPipe } from './validation.js';

@Controller()
class Hosts {
  readonly seen: unknown[] = [];

  @MessagePattern('t.activate')
  activate(@Payload() p: Vim.HostActivate, @Ctx() ctx: NatsContext) {
    this.seen.push(p);
    return { node: p.node, subject: ctx.getSubject(), self: this instanceof Hosts };
  }

  @MessagePattern('t.context-first')
  contextFirst(@Ctx() ctx: NatsContext, @Payload() p: Vim.HostActivate) {
    return { subject: ctx.getSubject(), node: p.node };
  }

  @MessagePattern('t.piped')
  @UsePipes({ transform: (v: unknown) => v })
  piped(@Payload() p: Vim.HostActivate) {
    return p;
  }

  @MessagePattern('t.property')
  property(@Payload('node') node: string) {
    return { node };
  }

  @EventPattern('t.event')
  event(@Payload() p: Vim.HostActivate) {
    return p;
  }
}

@Controller()
@UseGuards({ canActivate: () => false })
class Guarded {
  @MessagePattern('t.guarded')
  guarded(@Payload() p: Vim.HostActivate) {
    return p;
  }
}

const ctx = new NatsContext(['t.activate', undefined as never]);
const valid = { vnf: 'web', cluster: 'backend', node: 'web-backend-1' };

describe('requests go straight to their handler, after validation', () => {
  const hosts = new Hosts();
  const routes = routesOf(hosts, new MessageValidationPipe());

  test('a valid message reaches the method on its instance, as an instance of its class, with its context', async () => {
    expect(await routes.get('t.activate')!(valid, ctx)).toEqual({ node: 'web-backend-1', subject: 't.activate', self: true });
    expect(hosts.seen[0]).toBeInstanceOf(Vim.HostActivate);
    expect(await routes.get('t.context-first')!(valid, ctx)).toEqual({ subject: 't.activate', node: 'web-backend-1' });
  });

  test('an invalid message is refused naming the field, and the method is not called', () => {
    const before = hosts.seen.length;
    let err: unknown;
    try {
      routes.get('t.activate')!({ ...valid, node: 'Bad Node' }, ctx);
    } catch (e) {
      err = e;
    }
    expect(toErrorBody(err)).toMatchObject({ err_code: 'invalid_request', details: { issues: [expect.objectContaining({ field: '/node' })] } });
    expect(hosts.seen.length).toBe(before);
  });

  test('what asks for more than validation (own pipes, a payload property, guards) and events are left to Nest', () => {
    expect([...routes.keys()].sort()).toEqual(['t.activate', 't.context-first']);
    expect(routesOf(new Guarded(), new MessageValidationPipe()).size).toBe(0);
  });
});
