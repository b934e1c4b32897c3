// The cluster's sample file server: serves the files of one directory (the
// Docker sample's image tar) over HTTP on a loopback address, standing in for
// the seed's http://example.com/pub/ that no machine here can reach.
// `coracle cluster up --docker` starts it as one of its helpers and `down`
// stops it (SIGTERM).
//
//   node sample-server.js --listen 127.0.0.1:18088 --dir DIR
//   GET /<file>    the file (regular files directly in DIR only)
//   GET /health    {"health":"true"}
//   GET /metrics   Prometheus text: files served, bytes, requests by status
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { jsonLogger, type Logger } from '../common/log.js';

export interface SampleServer {
  url: string;
  close(): Promise<void>;
}

/** Serves the regular files directly inside `dir` on `host:port`. */
export async function startSampleServer(dir: string, host: string, port: number, log: Logger): Promise<SampleServer> {
  const root = path.resolve(dir);
  const counts = { served: 0, bytes: 0, notFound: 0, badMethod: 0 };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      counts.badMethod++;
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('only GET and HEAD\n');
      return;
    }
    if (url.pathname === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"health":"true"}\n');
      return;
    }
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end([
        '# HELP coracle_sample_files_served_total Files served in full.',
        '# TYPE coracle_sample_files_served_total counter',
        `coracle_sample_files_served_total ${counts.served}`,
        '# HELP coracle_sample_bytes_served_total Bytes of files served.',
        '# TYPE coracle_sample_bytes_served_total counter',
        `coracle_sample_bytes_served_total ${counts.bytes}`,
        '# HELP coracle_sample_requests_rejected_total Requests answered 404 or 405.',
        '# TYPE coracle_sample_requests_rejected_total counter',
        `coracle_sample_requests_rejected_total{code="404"} ${counts.notFound}`,
        `coracle_sample_requests_rejected_total{code="405"} ${counts.badMethod}`,
        '',
      ].join('\n'));
      return;
    }
    const name = decodeURIComponent(url.pathname.slice(1));
    const file = path.join(root, name);
    let size = -1;
    if (name !== '' && !name.includes('/') && !name.startsWith('.')) {
      try {
        const st = fs.statSync(file);
        if (st.isFile()) size = st.size;
      } catch {
        // not there
      }
    }
    if (size < 0) {
      counts.notFound++;
      log.info('not found', { path: url.pathname, from: req.socket.remoteAddress });
      res.writeHead(404, { 'content-type': 'text/plain' }).end(`not found: ${url.pathname}\n`);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const to = req.socket.remoteAddress;
    const stream = fs.createReadStream(file);
    stream.on('error', () => res.destroy());
    // Counted as the last byte is handed over (before pipe writes it, so a
    // client that saw the whole file sees it counted): a client like curl
    // closes as soon as it has content-length bytes, before the response's
    // own 'finish' or the file's 'end'.
    let sent = 0;
    stream.on('data', (chunk: Buffer | string) => {
      sent += chunk.length;
      counts.bytes += chunk.length;
      if (sent === size) {
        counts.served++;
        log.info('served', { file: name, bytes: size, to });
      }
    });
    stream.pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as { port: number }).port;
  return {
    url: `http://${host}:${bound}`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

async function main(argv: string[]): Promise<number> {
  const log = jsonLogger({ base: { daemon: 'coracle-sample-server' } });
  const { values } = parseArgs({ args: argv, options: { listen: { type: 'string' }, dir: { type: 'string' } }, strict: true });
  const m = /^([\d.]+):(\d+)$/.exec(values.listen ?? '');
  if (!m || !values.dir) {
    process.stderr.write('usage: sample-server.js --listen ADDR:PORT --dir DIR\n');
    return 2;
  }
  let server: SampleServer;
  try {
    server = await startSampleServer(values.dir, m[1]!, Number(m[2]), log);
  } catch (e) {
    log.error('cannot listen', { listen: values.listen, error: (e as Error).message });
    return 1;
  }
  log.info('serving', { url: server.url, dir: path.resolve(values.dir) });
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await server.close();
  log.info('stopped');
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => process.exit(code), (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
}
