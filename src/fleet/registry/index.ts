// fleet's registry: layout, encodings and unit files (pure), and the etcd I/O.
export * from './unitfile.js';
export * from './schema.js';
export * from './job.js';
export * from './registry.js';
export * from './model.js';
