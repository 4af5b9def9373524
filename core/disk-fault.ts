// A data dir whose disk is full or whose fsync fails (docs/durability.md, "Disk faults"). While the
// store reports the fault, the node refuses new persistent work instead of acknowledging what it
// cannot keep: QoS 1/2 publishes (MQTT 5: PUBACK/PUBREC 0x97 for a full disk, 0x80 for an I/O
// error; 3.1.1 has no negative PUBACK, so the connection is closed [MQTT-3.3.5-2]) and CONNECTs that
// would create a persistent session (CONNACK 0x97/0x80; 3.1.1: return code 3, server unavailable).
// What is already stored stays; what a write that failed carried stays in memory and goes to disk
// with the next write that succeeds, its acknowledgements held until then.

import type { StorageFault } from './env.ts';
import { RC } from './reason-codes.ts';

/** The v5 reason code for work refused because of `fault`. */
export function faultCode(fault: StorageFault): number {
  return fault === 'full' ? RC.QuotaExceeded : RC.UnspecifiedError;
}

/** The drop reason counted for it (BrokerStats.dropped; `disk-full`, `disk-error`). */
export function faultReason(fault: StorageFault): string {
  return fault === 'full' ? 'disk-full' : 'disk-error';
}

/** How often a node retries a sync that failed (simulated disk; the runtime store retries itself). */
export const FAULT_RETRY_MS = 1000;
