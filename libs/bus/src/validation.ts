import type { ArgumentMetadata, PipeTransform, ValidationError } from '@nestjs/common';
import { BaseRpcContext } from '@nestjs/microservices';
import { validateSync, type ValidatorOptions } from 'class-validator';
import { rpcError } from './errors.js';

function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = `${prefix}/${e.property}`;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

const OPTIONS: ValidatorOptions = {
  whitelist: true,
  forbidNonWhitelisted: true,
  forbidUnknownValues: false,
  validationError: { target: false, value: false },
};
const NOT_MESSAGES: unknown[] = [String, Boolean, Number, Array, Object, Buffer, Date];
/** keys that would change what the message is an instance of, and so which rules apply */
const RESERVED = ['__proto__', 'constructor', 'prototype'];

function refuse(issues: { field: string; message: string }[]): never {
  throw rpcError('invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
}

/**
 * class-validator on every incoming message; unknown fields are refused, not silently dropped.
 *
 * Nest's ValidationPipe does the same with more machinery (async steps, and walks for values a
 * socket or an HTTP body may carry but a JSON payload cannot). A request arrives at a process that
 * was idle, where every instruction runs cold; this pipe runs the checks only, synchronously.
 */
export class MessageValidationPipe implements PipeTransform {
  transform(value: unknown, { metatype }: ArgumentMetadata): unknown {
    // the context (subject, headers) is not a message
    if (!metatype || NOT_MESSAGES.includes(metatype) || metatype.prototype instanceof BaseRpcContext) return value;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse([{ field: '/', message: 'payload must be a json object' }]);
    const reserved = Object.keys(value).filter((k) => RESERVED.includes(k));
    if (reserved.length > 0) refuse(reserved.map((k) => ({ field: `/${k}`, message: `property ${k} should not exist` })));
    const entity = Object.assign(Object.create(metatype.prototype), value) as object;
    const errors = validateSync(entity, OPTIONS);
    if (errors.length > 0) refuse(flatten(errors));
    return entity;
  }
}

export function validationPipe(): MessageValidationPipe {
  return new MessageValidationPipe();
}
