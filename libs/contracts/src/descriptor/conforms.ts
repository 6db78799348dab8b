import type { ValidateFunction } from 'ajv';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { appSchema, clusterSchema, endpointSchema, healthSchema, NAME_PATTERN } from './schema.js';
import { ajv, fromAjv } from './validate.js';

const endpoints = { type: 'array', items: endpointSchema, maxItems: 1000 } as const;

/** Parts of a descriptor (and the endpoints made from it) that internal messages carry. */
const PARTS = {
  cluster: ajv.compile(clusterSchema),
  app: ajv.compile(appSchema),
  health: ajv.compile(healthSchema),
  endpoints: ajv.compile(endpoints),
  endpointsByCluster: ajv.compile({ type: 'object', propertyNames: { pattern: NAME_PATTERN }, additionalProperties: endpoints, maxProperties: 64 }),
} satisfies Record<string, ValidateFunction>;
export type SchemaPart = keyof typeof PARTS;

/**
 * class-validator rule: the property fits that part of the descriptor's JSON schema, field by
 * field, so that what the AO checked in a descriptor is checked again wherever it travels.
 */
export function Conforms(part: SchemaPart, options?: ValidationOptions): PropertyDecorator {
  const check = PARTS[part];
  return ValidateBy(
    {
      name: 'conforms',
      constraints: [part],
      validator: {
        validate: (value: unknown) => check(value),
        // called right after a failed validate(): ajv keeps that call's errors
        defaultMessage: (args) => {
          const first = check.errors?.[0];
          if (!first) return `${args?.property} does not fit the ${part} schema`;
          const { field, message } = fromAjv(first);
          return `${args?.property}${field === '/' ? '' : field} ${message}`;
        },
      },
    },
    options,
  );
}
