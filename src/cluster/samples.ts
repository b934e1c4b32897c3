// The units `coracle cluster up` leaves for the user to try (pure): a plain
// process (works everywhere), and with Docker the seeds' own web server
// template, changed only where one host forces it.

/** The image name the seed's web server units load and run. */
export const WEBSERVER_IMAGE = 'osdn-test-webserver';
/** The seed's template unit name. */
export const WEBSERVER_TEMPLATE = 'osdn-test-webserver@.service';
/** The URL the seed downloads its image from (unreachable here; cluster up serves its own). */
export const SEED_IMAGE_URL = 'http://example.com/pub/osdn-test-webserver.tar';

/**
 * The seeds' `osdn-test-webserver@.service`, as the seed's author wrote it
 * (shared/fixtures/seeds): two instances, never on the same machine.
 */
export const SEED_WEBSERVER_TEMPLATE = `[Unit]
Description=OSDN Test Web Server
After=docker.service
Requires=docker.service

[Service]
ExecStartPre=-/usr/bin/docker kill osdn-test-webserver-%i
ExecStartPre=-/usr/bin/docker rm osdn-test-webserver-%i
ExecStartPre=/usr/bin/curl ${SEED_IMAGE_URL} -o /tmp/osdn-test-webserver.tar
ExecStartPre=/usr/bin/docker load -i /tmp/osdn-test-webserver.tar
ExecStart=/usr/bin/docker run --name osdn-test-webserver-%i -p 80:80 osdn-test-webserver
ExecStop=/usr/bin/docker stop osdn-test-webserver-%i

[Install]
WantedBy=multi-user.target

[X-Fleet]
X-Conflicts=osdn-test-webserver@*.service
`;

/**
 * A seed web server unit (`osdn-test-webserver.service` or the template) with
 * only what one host forces: the image URL to `tarUrl` (no registry or
 * example.com is reachable), and the publish `-p 80:80` to
 * `-p ${COREOS_PRIVATE_IPV4}:80:80` read from `EnvironmentFile=/etc/environment`
 * — the CoreOS idiom that gives each machine its own address, since every
 * machine here shares the host's port 80. Throws if the text no longer has
 * those lines.
 */
export function rewriteWebserverSeed(text: string, tarUrl: string): string {
  if (!text.includes(SEED_IMAGE_URL)) throw new Error(`the seed unit no longer downloads ${SEED_IMAGE_URL}`);
  if (!/ -p 80:80 /.test(text)) throw new Error('the seed unit no longer publishes -p 80:80');
  if (!/^\[Service\]$/m.test(text)) throw new Error('the seed unit has no [Service] section');
  return text
    .replace(SEED_IMAGE_URL, tarUrl)
    .replace(' -p 80:80 ', ' -p ${COREOS_PRIVATE_IPV4}:80:80 ')
    .replace(/^\[Service\]$/m, '[Service]\nEnvironmentFile=/etc/environment');
}

/** The Docker sample as cluster up writes it: the seed template, a header saying what changed. */
export function webserverSampleUnit(tarUrl: string): string {
  return [
    '# The seeds\' osdn-test-webserver@.service, written by `coracle cluster up --docker`.',
    `# Changed from the seed: the image comes from ${tarUrl} (served by cluster up),`,
    '# and port 80 is published on this machine\'s own address ($COREOS_PRIVATE_IPV4).',
    rewriteWebserverSeed(SEED_WEBSERVER_TEMPLATE, tarUrl),
  ].join('\n');
}

/** What the sample web server answers: fresh per cluster, so a stale container cannot pass for a new one. */
export function webserverPage(token: string): string {
  return `coracle cluster web server sample ${token}`;
}

/** The plain-process sample: works with no Docker at all. */
export function helloSampleUnit(): string {
  return [
    '[Unit]',
    'Description=Hello from %H',
    '',
    '[Service]',
    'ExecStart=/bin/sh -c "while true; do echo Hello from %H instance %i; sleep 5; done"',
    '',
    '[X-Fleet]',
    'Conflicts=hello@*.service',
    '',
  ].join('\n');
}

export interface DockerSampleNeeds {
  /** The static busybox the image is made of, or null when missing. */
  busybox: string | null;
  /** The docker client that was asked. */
  docker: string;
  /** The engine's version when one answers, else null. */
  engineVersion: string | null;
  /** What already listens where the image would be served, or null. */
  serverAddressBusy: string | null;
}

/** Why the Docker sample cannot be made here (cluster up then keeps the plain-process sample), or null. */
export function dockerSampleBlocker(n: DockerSampleNeeds): string | null {
  if (!n.busybox) return 'the sample image is built from the static busybox, and /bin/busybox is missing (apt-get install busybox-static)';
  if (!n.engineVersion) {
    return `no Docker engine answers \`${n.docker} info\` (install Docker and start its engine, e.g. systemctl start docker, then run cluster up --docker again)`;
  }
  if (n.serverAddressBusy) return `${n.serverAddressBusy}, where the sample image would be served, is in use (another cluster's sample server? coracle cluster down --dir … it first)`;
  return null;
}
