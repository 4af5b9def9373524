// Deterministic client security for the simulator: passwords from a table
// (answered after a fixed virtual delay, like the runtime's scrypt check
// answering later) and the core's ACL.

import type { Authenticator, AuthRequest, AuthResult } from '../core/auth.ts';
import type { Clock } from '../core/env.ts';
import { Acl, parseAcl } from '../core/acl.ts';

export interface SimSecurity {
  /** user name → password; absent = no authentication. */
  users?: Record<string, string>;
  /** Default: true without `users`, false with. */
  allowAnonymous?: boolean;
  /** Virtual milliseconds the password check takes (default 5). */
  authDelayMs?: number;
  /** ACL text (core/acl.ts format); absent = everything allowed. */
  acl?: string;
  aclDefault?: 'allow' | 'deny';
}

export class TableAuthenticator implements Authenticator {
  constructor(
    private readonly users: ReadonlyMap<string, string>,
    private readonly allowAnonymous: boolean,
    private readonly delayMs: number,
    private readonly clock: Clock,
  ) {}

  authenticate(req: AuthRequest, done: (r: AuthResult) => void): void {
    const r = this.decide(req);
    if (this.delayMs === 0) done(r);
    else this.clock.setTimer(this.delayMs, () => done(r));
  }

  private decide(req: AuthRequest): AuthResult {
    if (req.username === undefined)
      return this.allowAnonymous ? { ok: true } : { ok: false, reason: 'not-authorized' };
    const want = this.users.get(req.username);
    if (want === undefined || req.password === undefined || !req.password.equals(Buffer.from(want)))
      return { ok: false, reason: 'bad-credentials' };
    return { ok: true };
  }
}

/** Builds the Env parts for `s` on `clock`; throws on a bad ACL. */
export function simSecurity(
  s: SimSecurity,
  clock: Clock,
): { authenticator?: Authenticator; authorizer?: Acl } {
  const out: { authenticator?: Authenticator; authorizer?: Acl } = {};
  if (s.users || s.allowAnonymous === false) {
    out.authenticator = new TableAuthenticator(
      new Map(Object.entries(s.users ?? {})),
      s.allowAnonymous ?? !s.users,
      s.authDelayMs ?? 5,
      clock,
    );
  }
  if (s.acl !== undefined) {
    const { rules, errors } = parseAcl(s.acl);
    if (errors.length) throw new Error(`ACL: ${errors.join('; ')}`);
    out.authorizer = new Acl(rules, (s.aclDefault ?? 'deny') === 'allow');
  }
  return out;
}
