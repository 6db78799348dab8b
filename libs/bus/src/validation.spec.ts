import 'reflect-metadata';
import { NatsContext } from '@nestjs/microservices';
import { Vim } from '@vnf-lcm/contracts';
import { toErrorBody } from './errors.js';
import { MessageValidationPipe } from './validation.js';

const pipe = new MessageValidationPipe();
const asPayload = { type: 'custom' as const, metatype: Vim.HostActivate };
const check = (body: unknown) => {
  try {
    return pipe.transform(body, asPayload);
  } catch (err) {
    return toErrorBody(err);
  }
};

describe('every message is checked against its class', () => {
  test('a valid message becomes an instance of its class, as it came', () => {
    const m = check({ vnf: 'web', cluster: 'backend', node: 'web-backend-1' });
    expect(m).toBeInstanceOf(Vim.HostActivate);
    expect(m).toEqual({ vnf: 'web', cluster: 'backend', node: 'web-backend-1' });
    // host-activate carries the image of the application the node will run
    expect(check({ vnf: 'web', cluster: 'backend', node: 'web-backend-1', image: 'vnf-lcm/examples:latest' })).toBeInstanceOf(Vim.HostActivate);
  });

  test.each([
    [{ vnf: 'web', cluster: 'backend' }, '/node'],
    [{ vnf: 'Web', cluster: 'backend', node: 'web-backend-1' }, '/vnf'],
    [{ vnf: 'web', cluster: 'backend', node: 'web-backend-1', extra: 1 }, '/extra'],
    [{ vnf: 'web', cluster: 'backend', node: 'web-backend-1', image: 'Not An Image' }, '/image'],
  ])('%j is refused, naming %s', (body, field) => {
    expect(check(body)).toMatchObject({ err_code: 'invalid_request', details: { issues: [expect.objectContaining({ field })] } });
  });

  // a key that changed the prototype or the constructor would have the rules of another class
  // (or none) applied: it is refused before anything else
  test.each(['__proto__', 'constructor', 'prototype'])('a message with a "%s" key is refused', (key) => {
    const body = JSON.parse(`{"vnf":"web","cluster":"backend","node":"web-backend-1","${key}":{"x":1}}`);
    expect(check(body)).toMatchObject({ err_code: 'invalid_request', details: { issues: [{ field: `/${key}` }] } });
  });

  test('what is not a json object is refused', () => {
    expect(check([1])).toMatchObject({ err_code: 'invalid_request' });
  });

  test('the context (subject, headers) is passed through, not checked', () => {
    const ctx = new NatsContext(['s', undefined]);
    expect(pipe.transform(ctx, { type: 'custom', metatype: NatsContext })).toBe(ctx);
  });
});
