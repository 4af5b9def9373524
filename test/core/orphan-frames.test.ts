import { describe, it, expect } from 'vitest';
import { unconfirmedOrphans } from '../../core/cluster/orphan-frames.ts';
import { F, encodeJson, encodeSeq, type WireMessage } from '../../core/cluster/peer-protocol.ts';

const w = { topic: 't/p0', mid: 'n3:7', qos: 1, known: 4 } as unknown as WireMessage;

describe('unconfirmedOrphans: the messages of F.Orphan frames a lost peer never confirmed', () => {
  it('takes the messages of an F.Orphan frame, without the first owner subscription epoch', () => {
    const frame = encodeSeq(12, encodeJson(F.Orphan, { owner: 'n1', msgs: [w] }));
    const [got, ...rest] = unconfirmedOrphans([{ frame }]);
    expect(rest).toEqual([]);
    expect(got).toEqual({ topic: 't/p0', mid: 'n3:7', qos: 1 });
  });
  it('skips forwards (their `msg` is failed over as it is) and other frames', () => {
    const orphan = encodeSeq(1, encodeJson(F.Orphan, { owner: 'n1', msgs: [w] }));
    const given = encodeSeq(2, encodeJson(F.OrphanGiven, { owner: 'n1', given: [] }));
    expect(
      unconfirmedOrphans([{ frame: orphan, msg: {} }, { frame: given }, { frame: Buffer.alloc(3) }]),
    ).toEqual([]);
  });
});
