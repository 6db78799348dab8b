import { EXCEPTION_FILTERS_METADATA, GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import type { NatsContext } from '@nestjs/microservices';
import { PATTERN_HANDLER_METADATA, PATTERN_METADATA } from '@nestjs/microservices/constants.js';
import { PatternHandler } from '@nestjs/microservices/enums/pattern-handler.enum.js';
import { RpcParamtype } from '@nestjs/microservices/enums/rpc-paramtype.enum.js';
import type { MessageValidationPipe } from './validation.js';

/** what would put more than validation between a message and its handler */
const ENHANCERS = [GUARDS_METADATA, INTERCEPTORS_METADATA, PIPES_METADATA, EXCEPTION_FILTERS_METADATA];

export type Route = (data: unknown, ctx: NatsContext) => unknown;

/**
 * The request handlers of a controller, called directly: the payload validated, then the method
 * with `@Payload()` and `@Ctx()` in place (ADR 0012). Nest's own per-call pipeline (guards,
 * interceptors, pipes, filters, as promises and observables) does nothing here that this does not,
 * but a request to an idle process pays for every instruction of it. A method decorated with
 * anything more (its own pipes, guards, a payload property) is left to Nest.
 */
export function routesOf(instance: object, validation: MessageValidationPipe): Map<string, Route> {
  const routes = new Map<string, Route>();
  const type = instance.constructor;
  if (ENHANCERS.some((k) => Reflect.getMetadata(k, type))) return routes;
  for (const name of methodNames(type.prototype)) {
    const method = (type.prototype as Record<string, unknown>)[name] as (...a: unknown[]) => unknown;
    const patterns = Reflect.getMetadata(PATTERN_METADATA, method) as unknown[] | undefined;
    if (!patterns || Reflect.getMetadata(PATTERN_HANDLER_METADATA, method) !== PatternHandler.MESSAGE) continue;
    if (ENHANCERS.some((k) => Reflect.getMetadata(k, method))) continue;
    const args = compileArgs(type, name, validation);
    if (!args) continue;
    const route: Route = (data, ctx) => method.apply(instance, args(data, ctx));
    for (const p of patterns) if (typeof p === 'string') routes.set(p, route);
  }
  return routes;
}

function methodNames(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((n) => n !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, n)?.value === 'function');
}

type Args = (data: unknown, ctx: NatsContext) => unknown[];

/** The argument list a method's parameter decorators ask for, or undefined if they ask more. */
function compileArgs(type: Function, name: string, validation: MessageValidationPipe): Args | undefined {
  const meta = (Reflect.getMetadata(ROUTE_ARGS_METADATA, type, name) ?? {}) as Record<string, { index: number; data?: unknown; pipes?: unknown[] }>;
  const types = (Reflect.getMetadata('design:paramtypes', type.prototype, name) ?? []) as Function[];
  const fill: ((args: unknown[], data: unknown, ctx: NatsContext) => void)[] = [];
  let length = 0;
  for (const [key, { index, data, pipes }] of Object.entries(meta)) {
    if (data !== undefined || (pipes && pipes.length > 0)) return undefined;
    const kind = Number(key.split(':')[0]);
    length = Math.max(length, index + 1);
    if (kind === RpcParamtype.PAYLOAD) {
      const metatype = types[index];
      fill.push((a, d) => (a[index] = validation.transform(d, { type: 'body', metatype: metatype as never })));
    } else if (kind === RpcParamtype.CONTEXT) fill.push((a, _d, c) => (a[index] = c));
    else return undefined;
  }
  return (data, ctx) => {
    const a = new Array<unknown>(length);
    for (const f of fill) f(a, data, ctx);
    return a;
  };
}
