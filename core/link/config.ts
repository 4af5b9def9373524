// Cluster linking's settings (docs/cluster-linking.md): this cluster's name and the clusters it links to.

/** One link to another cluster: `cluster.links: [{ name, address, secret }]`, or `--link NAME@HOST:PORT`. */
export interface LinkConfig {
  /** The other cluster's name (its `cluster.name`): a link is accepted only from a cluster named here. */
  name: string;
  /** Where its nodes accept links: "host:port", several comma-separated (tried in turn). */
  address: string;
  /** Shared by the two clusters of this link: each proves it knows it with an HMAC over a fresh nonce. */
  secret: string;
}

export interface LinkSettings {
  /** This cluster's name, as the linked clusters know it. */
  name: string;
  links: LinkConfig[];
  /** Messages kept per link while it is down or unacknowledged; newer ones beyond are dropped and counted. */
  buffer: number;
  pingIntervalMs: number;
  /** No frame for this long: the link is down (and redialed). */
  timeoutMs: number;
  reconnectMs: number;
}

export const DEFAULT_LINK_BUFFER = 10_000;

/** `NAME@HOST:PORT[,HOST:PORT...]` as `--link` gives it; the secret comes from the config or the environment. */
export function parseLinkFlag(s: string, secret: string): LinkConfig | string {
  const at = s.indexOf('@');
  const name = at > 0 ? s.slice(0, at) : '';
  const address = s.slice(at + 1);
  if (!validClusterName(name) || !validAddress(address))
    return `--link ${s}: expected NAME@HOST:PORT (NAME: letters, digits, - and _)`;
  if (!secret)
    return `--link ${name}: no secret (set MQTTLAB_LINK_SECRET, or list the link with its secret in cluster.links)`;
  return { name, address, secret };
}

function validAddress(a: unknown): boolean {
  return typeof a === 'string' && /^[^:\s,]+:\d{1,5}(,[^:\s,]+:\d{1,5})*$/.test(a);
}

export function validClusterName(n: unknown): n is string {
  return typeof n === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(n);
}

/** Why a links configuration cannot work, or null. */
export function linkConfigProblem(name: string | undefined, links: LinkConfig[]): string | null {
  if (links.length === 0) return null;
  if (!validClusterName(name)) return 'cluster.links needs cluster.name (letters, digits, - and _)';
  const seen = new Set<string>();
  for (const l of links) {
    if (!validClusterName(l.name)) return `cluster.links: bad name ${JSON.stringify(l.name)}`;
    if (l.name === name) return `cluster.links: ${l.name} is this cluster's own name`;
    if (seen.has(l.name)) return `cluster.links: ${l.name} twice`;
    if (!validAddress(l.address))
      return `cluster.links: ${l.name}: address must be "host:port[,host:port...]"`;
    if (typeof l.secret !== 'string' || !l.secret) return `cluster.links: ${l.name} has no secret`;
    seen.add(l.name);
  }
  return null;
}
