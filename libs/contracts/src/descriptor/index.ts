export * from './types.js';
export * from './schema.js';
export * from './validate.js';
export * from './conforms.js';
export * from './confinement.js';
