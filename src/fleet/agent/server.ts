// The agent's status/journal endpoint: what `fleetctl status` / `journal`
// read from the machine that runs a unit, instead of SSH. Read-only, and only
// for units fleet loaded on this machine.
//
//   GET /fleet-agent/v1/units/<name>                 → the init's UnitDetail JSON
//   GET /fleet-agent/v1/journal?unit=<name>&lines=N[&since=USEC][&follow=1] → NDJSON journal entries (the init's query)

import http from 'node:http';
import type { InitDriver } from './init-driver.js';

export interface AgentEndpointOptions {
  init: InitDriver;
  isLoaded: (name: string) => boolean;
  machineID: string;
}

function sendJSON(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) });
  res.end(data);
}

function fail(res: http.ServerResponse, status: number, message: string): void {
  sendJSON(res, status, { error: { code: status, message } });
}

/** Handles /fleet-agent/v1/* requests; returns false for other paths (so fleetd can serve /health, /metrics). */
export function agentRoutes(opts: AgentEndpointOptions): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://agent');
    if (!url.pathname.startsWith('/fleet-agent/v1/')) return false;
    if (req.method !== 'GET') {
      fail(res, 405, 'only GET supported against this resource');
      return true;
    }
    const rest = url.pathname.slice('/fleet-agent/v1/'.length);
    void (async () => {
      try {
        if (rest.startsWith('units/')) {
          const name = decodeURIComponent(rest.slice('units/'.length));
          if (!opts.isLoaded(name)) return fail(res, 404, `Unit ${name} not loaded on this machine`);
          if (!opts.init.detail) return fail(res, 501, 'the init gives no unit detail');
          const r = await opts.init.detail(name);
          return sendJSON(res, r.status, r.body);
        }
        if (rest === 'journal') {
          // the init's own query (unit, lines, since, follow) passes through, limited to units fleet runs here
          const units = url.searchParams.getAll('unit');
          if (units.length === 0) return fail(res, 400, 'journal needs ?unit=NAME');
          const missing = units.find((u) => !opts.isLoaded(u));
          if (missing !== undefined) return fail(res, 404, `Unit ${missing} not loaded on this machine`);
          if (!opts.init.journal) return fail(res, 501, 'the init gives no journal');
          const query = new URLSearchParams();
          for (const key of ['unit', 'lines', 'since', 'follow']) for (const v of url.searchParams.getAll(key)) query.append(key, v);
          const ac = new AbortController();
          res.on('close', () => ac.abort());
          res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
          await opts.init.journal(query, (e) => res.write(JSON.stringify(e) + '\n'), ac.signal);
          res.end();
          return;
        }
        fail(res, 404, `no route ${url.pathname}`);
      } catch (e) {
        if (!res.headersSent) fail(res, 502, `init unavailable on machine ${opts.machineID}: ${(e as Error).message}`);
        else res.end();
      }
    })();
    return true;
  };
}
