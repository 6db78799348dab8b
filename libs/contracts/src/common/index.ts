export * from './errors.js';
export * from './headers.js';
export * from './labels.js';
export * from './node-id.js';
export * from './step.js';
