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
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Size of the packet being assembled, once its header is known. */
  private need = 0;
  error: FrameError = FrameError.None;

  constructor(private maxPacketSize: number) {}

  /** Feeds bytes; calls `onFrame` for each complete packet. Stops at the first error. */
  push(chunk: Buffer, onFrame: (frame: Buffer) => boolean): void {
    if (this.error) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.need > this.buffered) return;
    while (this.buffered >= 2) {
      const head = this.chunks.length === 1 ? this.chunks[0] : this.flatten();
      let len = 0;
      let mul = 1;
      let i = 1;
      let complete = false;
      for (; i < 5 && i < head.length; i++) {
        const b = head[i];
        len += (b & 0x7f) * mul;
        mul *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) {
        if (i >= 5) this.error = FrameError.Malformed;
        return;
      }
      const total = i + 1 + len;
      if (total > this.maxPacketSize) {
        this.error = FrameError.TooLarge;
        return;
      }
      if (this.buffered < total) {
        this.need = total;
        return;
      }
      this.need = 0;
      const buf = this.chunks.length === 1 ? this.chunks[0] : this.flatten();
      const frame = buf.subarray(0, total);
      const rest = buf.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      if (!onFrame(frame)) return;
    }
  }

  private flatten(): Buffer {
    const all = Buffer.concat(this.chunks, this.buffered);
    this.chunks = [all];
    return all;
  }
}
