export * from './common.js';
export * from './names.js';
export * from './auth.js';
export * from './users.js';
export * from './hosts.js';
export * from './audit.js';
export * from './tasks.js';
export * from './realtime.js';
