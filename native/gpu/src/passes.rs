//! Replay of recorded pass commands.
//!
//! To keep N-API crossings off the hot path, the TypeScript `GPURenderPassEncoder`,
//! `GPUComputePassEncoder` and `GPURenderBundleEncoder` record their commands into a `Uint32Array`
//! and cross once, at `end()` / `finish()`. Each command is an opcode followed by its operands
//! (all `u32`; floats are stored as their IEEE-754 bit patterns, handles as ids, `0` = null,
//! `0xFFFF_FFFF` = "undefined size"). The opcodes are mirrored in `main/webgpu/commands.ts`.

use crate::registry::Registry;
use napi::{Error, Result, Status};
use wgpu::util::RenderEncoder;

/// `setPipeline(pipeline)` — render or compute, by pass kind.
pub const SET_PIPELINE: u32 = 1;
/// `setBindGroup(index, group|0, n, offsets[n])`.
pub const SET_BIND_GROUP: u32 = 2;
/// `setVertexBuffer(slot, buffer|0, offset, size|~0)`.
pub const SET_VERTEX_BUFFER: u32 = 3;
/// `setIndexBuffer(buffer, format (0 = uint16, 1 = uint32), offset, size|~0)`.
pub const SET_INDEX_BUFFER: u32 = 4;
/// `draw(vertexCount, instanceCount, firstVertex, firstInstance)`.
pub const DRAW: u32 = 5;
/// `drawIndexed(indexCount, instanceCount, firstIndex, baseVertex (i32 bits), firstInstance)`.
pub const DRAW_INDEXED: u32 = 6;
/// `drawIndirect(buffer, offset)`.
pub const DRAW_INDIRECT: u32 = 7;
/// `drawIndexedIndirect(buffer, offset)`.
pub const DRAW_INDEXED_INDIRECT: u32 = 8;
/// `setViewport(x, y, w, h, minDepth, maxDepth)` as f32 bits.
pub const SET_VIEWPORT: u32 = 9;
/// `setScissorRect(x, y, w, h)`.
pub const SET_SCISSOR: u32 = 10;
/// `setBlendConstant(r, g, b, a)` as f32 bits.
pub const SET_BLEND_CONSTANT: u32 = 11;
/// `setStencilReference(ref)`.
pub const SET_STENCIL_REF: u32 = 12;
/// `executeBundles(n, bundles[n])`.
pub const EXECUTE_BUNDLES: u32 = 13;
/// `beginOcclusionQuery(index)`.
pub const BEGIN_OCCLUSION: u32 = 14;
/// `endOcclusionQuery()`.
pub const END_OCCLUSION: u32 = 15;
/// `dispatchWorkgroups(x, y, z)`.
pub const DISPATCH: u32 = 21;
/// `dispatchWorkgroupsIndirect(buffer, offset)`.
pub const DISPATCH_INDIRECT: u32 = 22;

const WHOLE: u32 = 0xFFFF_FFFF;

fn truncated() -> Error {
    Error::new(Status::InvalidArg, "truncated pass command stream")
}

struct Reader<'a> {
    words: &'a [u32],
    pos: usize,
}

impl Reader<'_> {
    fn next(&mut self) -> Result<u32> {
        let w = *self.words.get(self.pos).ok_or_else(truncated)?;
        self.pos += 1;
        Ok(w)
    }
    fn f32(&mut self) -> Result<f32> {
        Ok(f32::from_bits(self.next()?))
    }
    fn slice(&mut self, n: usize) -> Result<&[u32]> {
        let s = self
            .words
            .get(self.pos..self.pos + n)
            .ok_or_else(truncated)?;
        self.pos += n;
        Ok(s)
    }
    fn done(&self) -> bool {
        self.pos >= self.words.len()
    }
}

fn buffer_slice(buf: &wgpu::Buffer, offset: u32, size: u32) -> wgpu::BufferSlice<'_> {
    if size == WHOLE {
        buf.slice(offset as u64..)
    } else {
        buf.slice(offset as u64..offset as u64 + size as u64)
    }
}

fn unknown(op: u32) -> Error {
    Error::new(Status::InvalidArg, format!("unknown pass opcode {op}"))
}

/// Reads the operands of `SET_BIND_GROUP` (render and compute alike): the group index, the bind
/// group (handle 0 unsets it) and the dynamic offsets.
fn read_bind_group<'g, 'r>(
    reg: &'g Registry,
    r: &'r mut Reader,
) -> Result<(u32, Option<&'g wgpu::BindGroup>, &'r [u32])> {
    let index = r.next()?;
    let id = r.next()?;
    let n = r.next()? as usize;
    let offsets = r.slice(n)?;
    let bg = if id == 0 { None } else { Some(reg.bg(id)?) };
    Ok((index, bg, offsets))
}

/// Replays the commands shared by render passes and render bundles; returns `Ok(false)` for an
/// opcode it does not handle (the caller handles pass-only ones).
fn replay_common<'a, E: RenderEncoder<'a>>(
    reg: &'a Registry,
    enc: &mut E,
    op: u32,
    r: &mut Reader,
) -> Result<bool> {
    match op {
        SET_PIPELINE => enc.set_pipeline(reg.render_pipeline(r.next()?)?),
        SET_BIND_GROUP => {
            let (index, bg, offsets) = read_bind_group(reg, r)?;
            enc.set_bind_group(index, bg, offsets);
        }
        SET_VERTEX_BUFFER => {
            let slot = r.next()?;
            let id = r.next()?;
            let (offset, size) = (r.next()?, r.next()?);
            if id == 0 {
                enc.set_vertex_buffer(slot, None);
            } else {
                enc.set_vertex_buffer(slot, Some(buffer_slice(reg.buffer(id)?, offset, size)));
            }
        }
        SET_INDEX_BUFFER => {
            let buf = reg.buffer(r.next()?)?;
            let format = if r.next()? == 0 {
                wgpu::IndexFormat::Uint16
            } else {
                wgpu::IndexFormat::Uint32
            };
            let (offset, size) = (r.next()?, r.next()?);
            enc.set_index_buffer(buffer_slice(buf, offset, size), format);
        }
        DRAW => {
            let (vc, ic, fv, fi) = (r.next()?, r.next()?, r.next()?, r.next()?);
            enc.draw(fv..fv.wrapping_add(vc), fi..fi.wrapping_add(ic));
        }
        DRAW_INDEXED => {
            let (xc, ic, fx, bv, fi) =
                (r.next()?, r.next()?, r.next()?, r.next()? as i32, r.next()?);
            enc.draw_indexed(fx..fx.wrapping_add(xc), bv, fi..fi.wrapping_add(ic));
        }
        DRAW_INDIRECT => {
            let buf = reg.buffer(r.next()?)?;
            enc.draw_indirect(buf, r.next()? as u64);
        }
        DRAW_INDEXED_INDIRECT => {
            let buf = reg.buffer(r.next()?)?;
            enc.draw_indexed_indirect(buf, r.next()? as u64);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

/// Replays a recorded render pass (see the module docs for the encoding).
pub fn replay_render<'a>(
    reg: &'a Registry,
    pass: &mut wgpu::RenderPass<'a>,
    words: &[u32],
) -> Result<()> {
    let mut r = Reader { words, pos: 0 };
    while !r.done() {
        let op = r.next()?;
        // `RenderEncoder` is implemented for `RenderPass<'a>`; reborrow through a scope.
        if replay_common(reg, pass, op, &mut r)? {
            continue;
        }
        match op {
            SET_VIEWPORT => {
                let v = [r.f32()?, r.f32()?, r.f32()?, r.f32()?, r.f32()?, r.f32()?];
                pass.set_viewport(v[0], v[1], v[2], v[3], v[4], v[5]);
            }
            SET_SCISSOR => {
                let (x, y, w, h) = (r.next()?, r.next()?, r.next()?, r.next()?);
                pass.set_scissor_rect(x, y, w, h);
            }
            SET_BLEND_CONSTANT => {
                let c = [r.f32()?, r.f32()?, r.f32()?, r.f32()?];
                pass.set_blend_constant(wgpu::Color {
                    r: c[0] as f64,
                    g: c[1] as f64,
                    b: c[2] as f64,
                    a: c[3] as f64,
                });
            }
            SET_STENCIL_REF => pass.set_stencil_reference(r.next()?),
            EXECUTE_BUNDLES => {
                let n = r.next()? as usize;
                let ids = r.slice(n)?;
                let bundles = ids
                    .iter()
                    .map(|&id| reg.bundle(id))
                    .collect::<Result<Vec<_>>>()?;
                pass.execute_bundles(bundles);
            }
            BEGIN_OCCLUSION => pass.begin_occlusion_query(r.next()?),
            END_OCCLUSION => pass.end_occlusion_query(),
            _ => return Err(unknown(op)),
        }
    }
    Ok(())
}

/// Replays a recorded render bundle.
pub fn replay_bundle<'a>(
    reg: &'a Registry,
    enc: &mut wgpu::RenderBundleEncoder<'a>,
    words: &[u32],
) -> Result<()> {
    let mut r = Reader { words, pos: 0 };
    while !r.done() {
        let op = r.next()?;
        if !replay_common(reg, enc, op, &mut r)? {
            return Err(unknown(op));
        }
    }
    Ok(())
}

/// Replays a recorded compute pass.
pub fn replay_compute(
    reg: &Registry,
    pass: &mut wgpu::ComputePass<'_>,
    words: &[u32],
) -> Result<()> {
    let mut r = Reader { words, pos: 0 };
    while !r.done() {
        let op = r.next()?;
        match op {
            SET_PIPELINE => pass.set_pipeline(reg.compute_pipeline(r.next()?)?),
            SET_BIND_GROUP => {
                let (index, bg, offsets) = read_bind_group(reg, &mut r)?;
                pass.set_bind_group(index, bg, offsets);
            }
            DISPATCH => {
                let (x, y, z) = (r.next()?, r.next()?, r.next()?);
                pass.dispatch_workgroups(x, y, z);
            }
            DISPATCH_INDIRECT => {
                let buf = reg.buffer(r.next()?)?;
                pass.dispatch_workgroups_indirect(buf, r.next()? as u64);
            }
            _ => return Err(unknown(op)),
        }
    }
    Ok(())
}
