// `coracle bench`: a load generator for the etcd v2 keys API.
export * from './stats.js';
export * from './load.js';
export { Http1Conn, ResponseParser, type Response } from './http1.js';
