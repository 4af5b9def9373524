// Cuts an MQTT byte stream into whole packets using the fixed header, so
// the size limit is enforced before a large packet is buffered, and the
// codec only ever sees one complete packet at a time.

export const enum FrameError {
  None = 0,
  /** Remaining Length used more than 4 bytes [MQTT-1.5.5]. */
  Malformed,
  /** Packet larger than the configured maximum. */
  TooLarge,
}

export class Framer {
  /** Bytes of an incomplete packet, in arrival order; null (the usual state between packets) holds nothing. */
  private chunks: Buffer[] | null = null;
  private buffered = 0;
  /** Size of the packet being assembled, once its header is known. */
  private need = 0;
  error: FrameError = FrameError.None;

  constructor(private maxPacketSize: number) {}

  /**
   * Feeds bytes; calls `onFrame` (with `self` as this: callers pass a method, not a closure per
   * connection) for each complete packet. Stops at the first error, or when `onFrame` returns false.
   */
  push<T>(chunk: Buffer, onFrame: (this: T, frame: Buffer) => boolean, self?: T): void {
    if (this.error) return;
    let buf = chunk;
    if (this.chunks !== null) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      if (this.need > this.buffered) return;
      buf = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      this.chunks = null;
    }
    const end = buf.length;
    let off = 0;
    while (end - off >= 2) {
      let len = 0;
      let mul = 1;
      let i = off + 1;
      let complete = false;
      for (; i < off + 5 && i < end; i++) {
        const b = buf[i];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i >= off + 5) {
          this.error = FrameError.Malformed;
          return;
        }
        break;
      }
      const total = i + 1 - off + len;
      if (total > this.maxPacketSize) {
        this.error = FrameError.TooLarge;
        return;
      }
      if (end - off < total) {
        this.need = total;
        break;
      }
      this.need = 0;
      const frame = buf.subarray(off, off + total);
      off += total;
      if (!onFrame.call(self as T, frame)) break;
    }
    if (off < end) {
      this.chunks = [buf.subarray(off)];
      this.buffered = end - off;
    }
  }
}
