import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { rpcError } from './errors.js';

function flatten(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((e) => {
    const field = `${prefix}/${e.property}`;
    const own = Object.values(e.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flatten(e.children ?? [], field)];
  });
}

/** class-validator on every incoming message; unknown fields are refused, not silently dropped. */
export function validationPipe(): ValidationPipe {
  return new ValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    exceptionFactory: (errors) => {
      const issues = flatten(errors);
      return rpcError('invalid_request', issues.map((i) => `${i.field}: ${i.message}`).join('; '), { issues });
    },
  });
}
