/**
 * GPU stage times from WebGPU timestamp queries (feature `timestamp-query`), for the frame-timing
 * records (`FrameTiming.gpuStages`).
 *
 * A frame's stages are bracketed by markers: each marker is an empty compute pass whose
 * `timestampWrites.beginningOfPassWriteIndex` records the GPU clock when the queue reaches it, in
 * its own submit between the stage submits (three.js's render, the NV12 pass). Stage `i` lasts
 * from marker `i` to marker `i + 1` on the GPU's timeline — queue time including any gap between
 * submits, not a sum of shader time. The last marker's submit also resolves the queries and copies
 * them to a mappable buffer; {@link FrameMarks.read} maps it without blocking the event loop.
 */

import { loadNative } from './native.ts';

/** Markers of one frame. */
export interface FrameMarks {
  /** Writes marker `index` (0 .. markers-1) on the GPU timeline (one tiny submit). */
  mark(index: number): void;
  /**
   * Resolves to the durations in ms between successive markers (`markers - 1` values), or null when
   * the device went away. Call after the last mark.
   */
  read(): Promise<number[] | null>;
}

/** resolveQuerySet's destinationOffset must be a multiple of 256 (WebGPU §20.2). */
const RESOLVE_STRIDE = 256;

/** A ring of timestamp query slots, one per frame in flight. */
export class GpuStageTimer {
  private readonly querySet: GPUQuerySet;
  private readonly resolveBuffer: GPUBuffer;
  private readonly slots: { read: GPUBuffer; busy: boolean }[] = [];
  private next = 0;
  /**
   * Nanoseconds per tick. wgpu resolves raw GPU ticks (WebGPU resolves nanoseconds; Chromium
   * converts in a shader), so the period (`Queue::get_timestamp_period`) is applied here.
   */
  private readonly period: number;

  private constructor(
    private readonly device: GPUDevice,
    private readonly markers: number,
    slotCount: number,
  ) {
    this.querySet = device.createQuerySet({
      label: 'zerocast-stage-timestamps',
      type: 'timestamp',
      count: markers * slotCount,
    });
    this.resolveBuffer = device.createBuffer({
      label: 'zerocast-stage-timestamps-resolve',
      size: RESOLVE_STRIDE * slotCount,
      usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
    });
    const id = (device as unknown as { _id?: number })._id;
    this.period = id === undefined ? 1 : loadNative().timestampPeriod(id) || 1;
    for (let i = 0; i < slotCount; i++) {
      this.slots.push({
        read: device.createBuffer({
          label: `zerocast-stage-timestamps-read-${i}`,
          size: markers * 8,
          usage: GPUBufferUsage.COPY_DST | GPUBufferUsage.MAP_READ,
        }),
        busy: false,
      });
    }
  }

  /**
   * A timer for `markers` markers per frame and `slots` frames in flight, or null when the device
   * lacks `timestamp-query` (then stage times are CPU times only).
   */
  static create(device: GPUDevice, markers: number, slots: number): GpuStageTimer | null {
    if (!device.features.has('timestamp-query')) return null;
    if (markers * 8 > RESOLVE_STRIDE) throw new RangeError('at most 32 markers per frame');
    return new GpuStageTimer(device, markers, slots);
  }

  /** Markers for one frame, or null when every slot is still being read (the frame goes untimed). */
  begin(): FrameMarks | null {
    const index = this.slots.findIndex(
      (_, k) => !this.slots[(this.next + k) % this.slots.length]!.busy,
    );
    if (index < 0) return null;
    const slotIndex = (this.next + index) % this.slots.length;
    this.next = (slotIndex + 1) % this.slots.length;
    const slot = this.slots[slotIndex]!;
    slot.busy = true;
    const base = slotIndex * this.markers;
    const { device, querySet, markers } = this;
    let marked = 0;
    return {
      mark: (i: number) => {
        const enc = device.createCommandEncoder({ label: 'zerocast-stage-mark' });
        enc
          .beginComputePass({ timestampWrites: { querySet, beginningOfPassWriteIndex: base + i } })
          .end();
        marked++;
        if (i === markers - 1) {
          const offset = slotIndex * RESOLVE_STRIDE;
          enc.resolveQuerySet(querySet, base, markers, this.resolveBuffer, offset);
          enc.copyBufferToBuffer(this.resolveBuffer, offset, slot.read, 0, markers * 8);
        }
        device.queue.submit([enc.finish()]);
      },
      read: async () => {
        try {
          if (marked < markers) return null;
          await slot.read.mapAsync(GPUMapMode.READ);
          const t = new BigUint64Array(slot.read.getMappedRange().slice(0));
          slot.read.unmap();
          const out: number[] = [];
          for (let i = 1; i < markers; i++) {
            const d = (Number(t[i]! - t[i - 1]!) * this.period) / 1e6;
            out.push(d >= 0 && Number.isFinite(d) ? d : 0);
          }
          return out;
        } catch {
          return null;
        } finally {
          slot.busy = false;
        }
      },
    };
  }

  /** Frees the query set and buffers. */
  destroy(): void {
    this.querySet.destroy();
    this.resolveBuffer.destroy();
    for (const s of this.slots) s.read.destroy();
  }
}
