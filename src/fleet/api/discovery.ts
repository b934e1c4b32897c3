// The API's discovery document (GET /fleet/v1/discovery): a Google API
// discovery description of the v1 resources, which API client generators
// (fleet's own schema package was generated this way) read. `$ENDPOINT` is
// left for the client to substitute, as in fleet's.

const str = { type: 'string' };
const ref = (name: string): { $ref: string } => ({ $ref: name });
const page = (itemsKey: string, item: string): object => ({
  id: `${item}Page`,
  type: 'object',
  properties: { [itemsKey]: { type: 'array', items: ref(item) }, nextPageToken: str },
});
const pageToken = { nextPageToken: { type: 'string', location: 'query' } };
const unitName = { unitName: { type: 'string', location: 'path', required: true } };

export const discoveryDocument = {
  kind: 'discovery#restDescription',
  discoveryVersion: 'v1',
  id: 'fleet:v1',
  name: 'schema',
  version: 'v1',
  title: 'fleet API',
  description: '',
  documentationLink: 'http://github.com/coreos/fleet',
  protocol: 'rest',
  icons: { x16: '', x32: '' },
  labels: [],
  baseUrl: '$ENDPOINT/fleet/v1/',
  basePath: '/fleet/v1/',
  rootUrl: '$ENDPOINT/',
  servicePath: 'fleet/v1/',
  batchPath: 'batch',
  parameters: {},
  auth: {},
  schemas: {
    Machine: {
      id: 'Machine',
      type: 'object',
      properties: { id: str, primaryIP: str, metadata: { type: 'object', properties: {}, additionalProperties: str } },
    },
    MachinePage: page('machines', 'Machine'),
    UnitOption: { id: 'UnitOption', type: 'object', properties: { section: str, name: str, value: str } },
    Unit: {
      id: 'Unit',
      type: 'object',
      properties: {
        name: str,
        options: { type: 'array', items: ref('UnitOption') },
        desiredState: { type: 'string', enum: ['inactive', 'loaded', 'launched'] },
        currentState: { type: 'string', enum: ['inactive', 'loaded', 'launched'] },
        machineID: { ...str, required: true },
      },
    },
    UnitPage: page('units', 'Unit'),
    UnitState: {
      id: 'UnitState',
      type: 'object',
      properties: { name: str, hash: str, machineID: str, systemdLoadState: str, systemdActiveState: str, systemdSubState: str },
    },
    UnitStatePage: page('states', 'UnitState'),
  },
  resources: {
    Machines: {
      methods: {
        List: { id: 'fleet.Machine.List', description: 'Retrieve a page of Machine objects.', httpMethod: 'GET', path: 'machines', parameters: pageToken, response: ref('MachinePage') },
      },
    },
    Units: {
      methods: {
        List: { id: 'fleet.Unit.List', description: 'Retrieve a page of Unit objects.', httpMethod: 'GET', path: 'units', parameters: pageToken, response: ref('UnitPage') },
        Get: { id: 'fleet.Unit.Get', description: 'Retrieve a single Unit object.', httpMethod: 'GET', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'], response: ref('Unit') },
        Delete: { id: 'fleet.Unit.Delete', description: 'Delete the referenced Unit object.', httpMethod: 'DELETE', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'] },
        Set: { id: 'fleet.Unit.Set', description: 'Create or update a Unit.', httpMethod: 'PUT', path: 'units/{unitName}', parameters: unitName, parameterOrder: ['unitName'], request: ref('Unit') },
      },
    },
    UnitState: {
      methods: {
        List: {
          id: 'fleet.UnitState.List',
          description: 'Retrieve a page of UnitState objects.',
          httpMethod: 'GET',
          path: 'state',
          parameters: { ...pageToken, unitName: { type: 'string', location: 'query' }, machineID: { type: 'string', location: 'query' } },
          response: ref('UnitStatePage'),
        },
      },
    },
  },
};

export const discoveryJSON = JSON.stringify(discoveryDocument, null, 2) + '\n';
