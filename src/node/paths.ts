// How a machine's units run coracle: the Node binary running now and the
// package's own files, written into the units at boot as absolute paths, so
// a unit finds the same coracle whatever PATH says.
import { fileURLToPath } from 'node:url';

/** [node, <package>/bin/coracle.js]. */
export function coracleArgv(): string[] {
  return [process.execPath, fileURLToPath(new URL('../../../bin/coracle.js', import.meta.url))];
}

/** [node, <package>/dist/src/node/unit-helpers.js]: the small programs shipped units run. */
export function helpersArgv(): string[] {
  return [process.execPath, fileURLToPath(new URL('./unit-helpers.js', import.meta.url))];
}

/** The package version (package.json), for etc/os-release. */
export const PACKAGE_JSON = fileURLToPath(new URL('../../../package.json', import.meta.url));
