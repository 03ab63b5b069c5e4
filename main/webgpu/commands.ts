/**
 * Recording of pass commands into a `Uint32Array` that crosses to native once per pass.
 * The opcodes and operand layouts mirror native/gpu/src/passes.rs.
 */

/** Pass opcodes (native/gpu/src/passes.rs). */
export const Op = {
  SetPipeline: 1,
  SetBindGroup: 2,
  SetVertexBuffer: 3,
  SetIndexBuffer: 4,
  Draw: 5,
  DrawIndexed: 6,
  DrawIndirect: 7,
  DrawIndexedIndirect: 8,
  SetViewport: 9,
  SetScissor: 10,
  SetBlendConstant: 11,
  SetStencilRef: 12,
  ExecuteBundles: 13,
  BeginOcclusion: 14,
  EndOcclusion: 15,
  Dispatch: 21,
  DispatchIndirect: 22,
} as const;

/** "Size not given" sentinel for buffer ranges. */
export const WHOLE = 0xffffffff;

const pool: CommandRecorder[] = [];

/** A growable u32 command stream; floats are stored as their bit patterns. */
export class CommandRecorder {
  private words = new Uint32Array(256);
  private floats = new Float32Array(this.words.buffer);
  /** Number of words written. */
  length = 0;
  /** JS references to objects named in the stream, kept alive until replay. */
  refs: object[] = [];

  /** Takes a recorder from the pool (or a new one). */
  static take(): CommandRecorder {
    return pool.pop() ?? new CommandRecorder();
  }

  /** Returns this recorder to the pool, emptied. */
  recycle(): void {
    this.length = 0;
    this.refs.length = 0;
    if (pool.length < 16) pool.push(this);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.words.length) return;
    let cap = this.words.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint32Array(cap);
    next.set(this.words.subarray(0, this.length));
    this.words = next;
    this.floats = new Float32Array(next.buffer);
  }

  /** Appends up to 6 integer words. */
  u(a: number, b?: number, c?: number, d?: number, e?: number, f?: number): void {
    this.reserve(6);
    const w = this.words;
    let i = this.length;
    w[i++] = a;
    if (b !== undefined) w[i++] = b;
    if (c !== undefined) w[i++] = c;
    if (d !== undefined) w[i++] = d;
    if (e !== undefined) w[i++] = e;
    if (f !== undefined) w[i++] = f;
    this.length = i;
  }

  /** Appends one float word. */
  f(x: number): void {
    this.reserve(1);
    this.floats[this.length++] = x;
  }

  /** Appends many integer words. */
  many(src: ArrayLike<number>, start = 0, count = src.length - start): void {
    this.reserve(count);
    for (let k = 0; k < count; k++) this.words[this.length++] = src[start + k] ?? 0;
  }

  /**
   * Records `setPipeline` (render or compute): keeps `pipeline` alive until replay and writes
   * its handle.
   */
  setPipeline(pipeline: { readonly _id: number }): void {
    this.refs.push(pipeline);
    this.u(Op.SetPipeline, pipeline._id);
  }

  /**
   * Records `setBindGroup` (render passes, bundles and compute passes alike): the group index,
   * the group's handle (0 for `null`) and the dynamic offsets, given either as an iterable or as
   * `length` words of a `Uint32Array` from `start`.
   */
  setBindGroup(
    index: number,
    group: { readonly _id: number } | null,
    offsets?: Iterable<number> | Uint32Array,
    start?: number,
    length?: number,
  ): void {
    if (group) this.refs.push(group);
    const id = group ? group._id : 0;
    if (offsets === undefined) {
      this.u(Op.SetBindGroup, index, id, 0);
    } else if (offsets instanceof Uint32Array && start !== undefined) {
      this.u(Op.SetBindGroup, index, id, length ?? 0);
      this.many(offsets, start, length ?? 0);
    } else {
      const arr = Array.from(offsets as Iterable<number>);
      this.u(Op.SetBindGroup, index, id, arr.length);
      this.many(arr);
    }
  }

  /** The recorded words (a view, valid until the next write). */
  view(): Uint32Array {
    return this.words.subarray(0, this.length);
  }
}
