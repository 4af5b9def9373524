// Password file and ACL file for the runtime. Password lines are
//   user:scrypt$N$r$p$salt$hash        (salt and hash in base64)
// or, as mosquitto_passwd writes them (taken unchanged),
//   user:$7$iterations$salt$hash       PBKDF2-HMAC-SHA512 (Mosquitto >= 2.0)
//   user:$6$salt$hash                  SHA-512 of password + salt (Mosquitto <= 1.6)
// one per line, `#` comments. Verification runs node:crypto's scrypt/pbkdf2
// on the libuv pool, so the event loop keeps serving while a CONNECT waits.

import { readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import { createHash, pbkdf2, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Authenticator, Authorizer, AuthRequest, AuthResult, Identity } from '../core/auth.ts';
import { Acl, parseAcl } from '../core/acl.ts';
import { ConfigError } from '../core/config.ts';

export interface ScryptHash {
  kind?: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}
/** Mosquitto's `$7$` (PBKDF2-HMAC-SHA512) and `$6$` (one SHA-512 round) lines. */
export interface MosquittoHash {
  kind: 'pbkdf2-sha512' | 'sha512';
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}
export type PasswordHash = ScryptHash | MosquittoHash;

/** Cost used for new hashes: 2^15 × 8 × 1 (32 MiB, tens of ms). */
export const SCRYPT_DEFAULT = { N: 32768, r: 8, p: 1 };
const KEY_LEN = 32;
const USER = /^[^:\s]{1,65535}$/;

export function hashPassword(password: string, params = SCRYPT_DEFAULT): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, KEY_LEN, { ...params, maxmem: maxmem(params) });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** scrypt needs 128·N·r bytes; room on top for node's bookkeeping. */
const maxmem = (x: { N: number; r: number }) => 128 * x.N * x.r + 16 * 1024 * 1024;

function parseHash(s: string): PasswordHash | null {
  const mq =
    /^\$(7)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(s) ??
    /^\$(6)\$()([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(s);
  if (mq) {
    const iterations = mq[1] === '7' ? Number(mq[2]) : 1;
    const salt = Buffer.from(mq[3], 'base64');
    const hash = Buffer.from(mq[4], 'base64');
    // Bounds keep one check from eating the machine; mosquitto_passwd writes 101 iterations, 12-byte salts, 64-byte hashes.
    if (iterations < 1 || iterations > 10_000_000 || salt.length < 8 || hash.length !== 64) return null;
    return { kind: mq[1] === '7' ? 'pbkdf2-sha512' : 'sha512', iterations, salt, hash };
  }
  const m = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(s);
  if (!m) return null;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // N a power of two > 1; bounds keep one check from eating the machine.
  if (
    N < 2 ||
    N > 2 ** 20 ||
    (N & (N - 1)) !== 0 ||
    r < 1 ||
    r > 32 ||
    p < 1 ||
    p > 16 ||
    128 * N * r > 256 * 1024 * 1024
  )
    return null;
  const salt = Buffer.from(m[4], 'base64');
  const hash = Buffer.from(m[5], 'base64');
  if (salt.length < 8 || hash.length < 16) return null;
  return { N, r, p, salt, hash };
}

/** Parses password-file text: user → hash, and every bad line. */
export function parsePasswordFile(text: string): { users: Map<string, PasswordHash>; errors: string[] } {
  const users = new Map<string, PasswordHash>();
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const c = line.indexOf(':');
    const user = line.slice(0, c);
    const h = c > 0 ? parseHash(line.slice(c + 1)) : null;
    if (c <= 0 || !USER.test(user) || !h)
      errors.push(
        `line ${i + 1}: expected user:scrypt$N$r$p$salt$hash (runtime passwd) or user:$7$... / user:$6$... (mosquitto_passwd)`,
      );
    else if (users.has(user)) errors.push(`line ${i + 1}: user ${JSON.stringify(user)} listed twice`);
    else users.set(user, h);
  });
  return { users, errors };
}

export function loadPasswordFile(file: string): Map<string, PasswordHash> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`security.passwordFile: cannot read ${file}: ${(e as Error).message}`]);
  }
  const { users, errors } = parsePasswordFile(text);
  if (errors.length) throw new ConfigError(errors.map((e) => `security.passwordFile ${file}: ${e}`));
  return users;
}

export function loadAclFile(file: string, defaultAllow: boolean): Acl {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError([`security.aclFile: cannot read ${file}: ${(e as Error).message}`]);
  }
  const { rules, errors } = parseAcl(text);
  if (errors.length) throw new ConfigError(errors.map((e) => `security.aclFile ${file}: ${e}`));
  return new Acl(rules, defaultAllow);
}

/** Adds or replaces `user` in the password file (created if missing), keeping other lines. */
export function setPassword(file: string, user: string, password: string, params = SCRYPT_DEFAULT): void {
  if (!USER.test(user))
    throw new ConfigError([
      `user name must be non-empty, without ':' or whitespace (got ${JSON.stringify(user)})`,
    ]);
  const lines = existsSync(file) ? readFileSync(file, 'utf8').split(/\r?\n/) : [];
  const entry = `${user}:${hashPassword(password, params)}`;
  let found = false;
  const out = lines.map((l) => {
    if (l.trim().startsWith(`${user}:`)) {
      found = true;
      return entry;
    }
    return l;
  });
  while (out.length && out[out.length - 1] === '') out.pop();
  if (!found) out.push(entry);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, out.join('\n') + '\n', { mode: 0o600 });
  renameSync(tmp, file);
}

/** Users from a password file; anonymous clients per `allowAnonymous`. */
export class PasswordAuthenticator implements Authenticator {
  /** Checked for unknown users too, so timing does not tell which names exist. */
  private dummy: PasswordHash = { ...SCRYPT_DEFAULT, salt: randomBytes(16), hash: randomBytes(KEY_LEN) };

  constructor(
    private users: ReadonlyMap<string, PasswordHash>,
    private readonly allowAnonymous: boolean,
  ) {
    this.setUsers(users);
  }

  /** Replaces the users (reload): CONNECTs from now on are checked against these. */
  setUsers(users: ReadonlyMap<string, PasswordHash>): void {
    this.users = users;
    // The dummy costs what the file's hashes cost (a Mosquitto file: PBKDF2 of the same rounds).
    const first = users.values().next().value;
    if (first)
      this.dummy = { ...first, salt: randomBytes(first.salt.length), hash: randomBytes(first.hash.length) };
  }

  authenticate(req: AuthRequest, done: (r: AuthResult) => void): void {
    if (req.username === undefined) {
      // MQTT 3.1.1 forbids a password without a user name; v5 allows it, but we have no one to check it against.
      done(
        this.allowAnonymous && req.password === undefined
          ? { ok: true }
          : { ok: false, reason: 'not-authorized' },
      );
      return;
    }
    const known = this.users.get(req.username);
    const h = known ?? this.dummy;
    const pw = req.password ?? Buffer.alloc(0);
    derive(h, pw, (err, key) => {
      const ok =
        !err &&
        known !== undefined &&
        req.password !== undefined &&
        key.length === h.hash.length &&
        timingSafeEqual(key, h.hash);
      done(ok ? { ok: true } : { ok: false, reason: 'bad-credentials' });
    });
  }
}

/** The key a password gives under `h`'s scheme (asynchronous where it costs). */
function derive(h: PasswordHash, pw: Buffer, cb: (err: Error | null, key: Buffer) => void): void {
  if (!('N' in h)) {
    if (h.kind === 'pbkdf2-sha512') return pbkdf2(pw, h.salt, h.iterations, h.hash.length, 'sha512', cb);
    return cb(null, createHash('sha512').update(pw).update(h.salt).digest());
  }
  scrypt(pw, h.salt, h.hash.length, { N: h.N, r: h.r, p: h.p, maxmem: maxmem(h) }, cb);
}

/** The ACL in force, replaced on reload; the broker holds this one object. */
export class ReloadableAcl implements Authorizer {
  constructor(public acl: Acl) {}
  mayPublish(who: Identity, topic: string): boolean {
    return this.acl.mayPublish(who, topic);
  }
  maySubscribe(who: Identity, filter: string): boolean {
    return this.acl.maySubscribe(who, filter);
  }
}

const sameHash = (a: PasswordHash, b: PasswordHash) => a.salt.equals(b.salt) && a.hash.equals(b.hash);
const effectiveLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '' && !l.startsWith('#'));
const names = (xs: string[]) =>
  xs.length > 5 ? `${xs.slice(0, 5).join(', ')} and ${xs.length - 5} more` : xs.join(', ');

/**
 * The password and ACL files of a running node, re-read on SIGHUP. A file
 * that cannot be read or has a bad line keeps the one in force (all or
 * nothing). Connected clients stay: a new password or ACL applies to
 * CONNECTs, PUBLISHes and SUBSCRIBEs from then on.
 */
export class SecurityFiles {
  readonly authenticator?: PasswordAuthenticator;
  readonly authorizer?: ReloadableAcl;
  private users: ReadonlyMap<string, PasswordHash>;
  private aclLines: string[] = [];

  constructor(
    private readonly passwordFile: string,
    private readonly aclFile: string,
    private readonly aclDefaultAllow: boolean,
    allowAnonymous: boolean,
  ) {
    this.users = passwordFile ? loadPasswordFile(passwordFile) : new Map();
    if (passwordFile !== '' || !allowAnonymous)
      this.authenticator = new PasswordAuthenticator(this.users, allowAnonymous);
    if (aclFile !== '') {
      this.authorizer = new ReloadableAcl(loadAclFile(aclFile, aclDefaultAllow));
      this.aclLines = effectiveLines(aclFile);
    }
  }

  /** Re-reads both files: one line per file saying what changed, or why the old one stays. */
  reload(): string[] {
    const out: string[] = [];
    if (this.passwordFile && this.authenticator) {
      try {
        const next = loadPasswordFile(this.passwordFile);
        const added = [...next.keys()].filter((u) => !this.users.has(u));
        const removed = [...this.users.keys()].filter((u) => !next.has(u));
        const changed = [...next]
          .filter(([u, h]) => this.users.has(u) && !sameHash(h, this.users.get(u)!))
          .map(([u]) => u);
        this.users = next;
        this.authenticator.setUsers(next);
        const parts = [
          added.length && `added ${names(added)}`,
          removed.length && `removed ${names(removed)}`,
          changed.length && `new password for ${names(changed)}`,
        ].filter(Boolean);
        out.push(
          `reload: password file ${this.passwordFile}: ${next.size} users${parts.length ? `; ${parts.join('; ')}` : ', no change'}`,
        );
      } catch (e) {
        out.push(
          `reload: password file ${this.passwordFile} NOT reloaded, the previous one stays: ${oneLine(e)}`,
        );
      }
    }
    if (this.aclFile && this.authorizer) {
      try {
        const acl = loadAclFile(this.aclFile, this.aclDefaultAllow);
        const lines = effectiveLines(this.aclFile);
        const before = new Set(this.aclLines);
        const now = new Set(lines);
        const added = lines.filter((l) => !before.has(l));
        const removed = this.aclLines.filter((l) => !now.has(l));
        this.authorizer.acl = acl;
        this.aclLines = lines;
        const parts = [
          added.length && `added ${added.map((l) => JSON.stringify(l)).join(', ')}`,
          removed.length && `removed ${removed.map((l) => JSON.stringify(l)).join(', ')}`,
        ].filter(Boolean);
        out.push(
          `reload: acl file ${this.aclFile}: ${acl.rules.length} rules${parts.length ? `; ${parts.join('; ')}` : ', no change'}`,
        );
      } catch (e) {
        out.push(`reload: acl file ${this.aclFile} NOT reloaded, the previous one stays: ${oneLine(e)}`);
      }
    }
    if (out.length === 0)
      out.push('reload: no security.passwordFile or security.aclFile configured: nothing to reload');
    return out;
  }
}

function oneLine(e: unknown): string {
  return e instanceof ConfigError ? e.problems.join('; ') : (e as Error).message;
}
