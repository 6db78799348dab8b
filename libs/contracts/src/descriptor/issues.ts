import type { ErrorObject } from 'ajv';

/** One problem with a descriptor or a message, named by its JSON path (e.g. `/clusters/1/dependsOn/0`). */
export interface DescriptorIssue {
  field: string;
  message: string;
}

/** An ajv error as an issue; free of ajv itself, for validators compiled ahead of time. */
export function fromAjv(e: ErrorObject): DescriptorIssue {
  const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
  return { field: e.instancePath || '/', message: `${e.message ?? 'invalid'}${extra}` };
}
