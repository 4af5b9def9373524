// Acknowledgements of a client's QoS 1/2 publishes, kept in the order the PUBLISH packets arrived
// [MQTT-4.6.0-2]: one may wait (cluster ack mode 'replicated', a disk sync) and holds back those
// behind it.

/** 'close': the connection closes there (a refused 3.1.1 publish, after the acknowledgements before it). */
export type PubAckCmd = 'puback' | 'pubrec' | 'pubcomp' | 'close';

export interface PubAck {
  cmd: PubAckCmd;
  pid: number;
  rc: number;
  /** Set when what it waited for is done. */
  ready: boolean;
}

export class PubAcks {
  private q: PubAck[] = [];

  push(cmd: PubAckCmd, pid: number, rc: number): PubAck {
    const a = { cmd, pid, rc, ready: false };
    this.q.push(a);
    return a;
  }

  /** Sends the ready acknowledgements at the head, in order; true when none is left. */
  flush(send: (cmd: PubAckCmd, pid: number, rc: number) => void): boolean {
    const q = this.q;
    let i = 0;
    while (i < q.length && q[i].ready) {
      send(q[i].cmd, q[i].pid, q[i].rc);
      i++;
    }
    if (i === q.length) return true;
    if (i > 0) this.q = q.slice(i);
    return false;
  }
}
