// What a link (out-link.ts, in-link.ts) needs of the node it runs on: core/link/links.ts implements it.

import type { Message } from '../message.ts';
import type { PeerDialHandler } from '../env.ts';
import type { LinkSettings } from './config.ts';

export interface LinkHost {
  readonly node: string;
  /** Changes at every start of this node: the other side keeps what it took per session. */
  readonly session: string;
  readonly settings: LinkSettings;
  now(): number;
  nonce(): string;
  hmac(key: string, data: string): string;
  dial(address: string, h: PeerDialHandler): void;
  log(m: string): void;
  /** The buffer of `link` was full: `msg` will not cross it. */
  dropped(link: string, msg: Message): void;
  /** Link `l` (its name and the peer node it reached) went up or down. */
  changed(l: { readonly name: string; readonly peer: string }, state: 'up' | 'down', why?: string): void;
}
