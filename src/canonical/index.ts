export * from './request.js';
export * from './response.js';
export * from './stream.js';
export * from './usage.js';
export * from './errors.js';
