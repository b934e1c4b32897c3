// The fleet v1 HTTP API: server, entities, validation, paging.
export { createFleetApiHandler, createFleetApiServer, goJson, type FleetApiOptions } from './server.js';
export * from './schema.js';
export { validateName, validateOptions, isGlobalUnit, toApiOptions, toUnitOptions } from './validate.js';
export { listUnits, getUnit, machineToApi, stateToApi } from './entities.js';
export { ListingCache, pageOf, pageTokenOf, PageTokenError } from './paging.js';
export { discoveryDocument } from './discovery.js';
