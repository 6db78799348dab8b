export * from './client.js';
export * from './agents.js';
export * from './identity.js';
export * from './keeper.js';
export * from './permissions.js';
export * from './server-config.js';
export * from './tls.js';
export * from './installation.js';
