// Client authentication and authorization as interfaces: the runtime checks
// passwords (scrypt, off the event loop), the simulator answers on virtual
// time; the core only asks and waits for the answer before its CONNACK.

/** Who a connection is, once authenticated: what the ACL matches on. */
export interface Identity {
  /** The authenticated user name (or the TLS client certificate's CN); undefined = anonymous. */
  username: string | undefined;
  clientId: string;
}

export interface AuthRequest {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  /** Transport address, for logs. */
  remote: string;
}

/** 'bad-credentials' → v5 0x86 / 3.1.1 4; 'not-authorized' → v5 0x87 / 3.1.1 5. */
export type AuthResult = { ok: true } | { ok: false; reason: 'bad-credentials' | 'not-authorized' };

export interface Authenticator {
  /**
   * Decides one CONNECT. May answer at once or later (the core defers the
   * CONNACK until `done` is called; a call after the connection closed is ignored).
   */
  authenticate(req: AuthRequest, done: (r: AuthResult) => void): void;
}

/**
 * MQTT 5 enhanced authentication (AUTH packets, §4.12). Only the shape:
 * no method is implemented, so a CONNECT naming one is refused with 0x8C.
 */
export interface EnhancedAuthenticator {
  readonly method: string;
  /** First step, from CONNECT's Authentication Data; `challenge` answers with an AUTH 0x18 carrying data. */
  start(req: AuthRequest, data: Buffer | undefined, reply: EnhancedAuthReply): void;
  /** Each later AUTH packet of the exchange. */
  continue(data: Buffer | undefined, reply: EnhancedAuthReply): void;
}

export interface EnhancedAuthReply {
  challenge(data: Buffer): void;
  success(data?: Buffer): void;
  failure(reason: 'bad-credentials' | 'not-authorized'): void;
}

export interface Authorizer {
  /** May `who` publish to this topic name? */
  mayPublish(who: Identity, topic: string): boolean;
  /** May `who` subscribe to this filter (without any $share/$queue prefix)? Only if every topic it could match is allowed. */
  maySubscribe(who: Identity, filter: string): boolean;
}
