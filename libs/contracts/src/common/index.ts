export * from './errors.js';
export * from './headers.js';
export * from './labels.js';
