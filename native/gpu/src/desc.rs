//! Descriptor shapes that cross from TypeScript as JSON (WebGPU dictionary shapes, camelCase).
//!
//! The TypeScript bridge (`main/webgpu`) normalises WebGPU descriptors before sending them:
//! GPU objects become numeric handles (see [`crate::registry`]), sizes/origins become
//! `[x, y, z]` arrays and colours become `[r, g, b, a]` arrays. Defaults follow the WebGPU
//! spec (<https://www.w3.org/TR/webgpu/>) dictionary definitions; enum strings are the WebGPU
//! ones, parsed through wgpu-types' serde names where they match.

use serde::Deserialize;
use std::collections::HashMap;
use wgpu::{
    AddressMode, BlendFactor, BlendOperation, CompareFunction, FilterMode, FrontFace, IndexFormat,
    MipmapFilterMode, PrimitiveTopology, StencilOperation, StorageTextureAccess, TextureAspect,
    TextureDimension, TextureFormat, TextureViewDimension, VertexFormat, VertexStepMode,
};

fn one() -> u32 {
    1
}
fn all_bits() -> u32 {
    0xFFFF_FFFF
}
fn d2() -> TextureDimension {
    TextureDimension::D2
}
fn vd2() -> TextureViewDimension {
    TextureViewDimension::D2
}
fn lod_max() -> f32 {
    32.0
}
fn always() -> CompareFunction {
    CompareFunction::Always
}
fn keep() -> StencilOperation {
    StencilOperation::Keep
}
fn write_all() -> u32 {
    0xF
}
fn add() -> BlendOperation {
    BlendOperation::Add
}
fn one_f() -> BlendFactor {
    BlendFactor::One
}
fn zero_f() -> BlendFactor {
    BlendFactor::Zero
}
fn tri_list() -> PrimitiveTopology {
    PrimitiveTopology::TriangleList
}
fn ccw() -> FrontFace {
    FrontFace::Ccw
}
fn vertex_step() -> VertexStepMode {
    VertexStepMode::Vertex
}
fn clamp() -> AddressMode {
    AddressMode::ClampToEdge
}
fn nearest() -> FilterMode {
    FilterMode::Nearest
}
fn mip_nearest() -> MipmapFilterMode {
    MipmapFilterMode::Nearest
}
fn aspect_all() -> TextureAspect {
    TextureAspect::All
}
fn one_u16() -> u16 {
    1
}

/// GPUTextureDescriptor (WebGPU §6.1). `size` is `[width, height, depthOrArrayLayers]`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TextureDesc {
    pub label: Option<String>,
    pub size: [u32; 3],
    #[serde(default = "one")]
    pub mip_level_count: u32,
    #[serde(default = "one")]
    pub sample_count: u32,
    #[serde(default = "d2")]
    pub dimension: TextureDimension,
    pub format: TextureFormat,
    /// GPUTextureUsage bits (same bit values as `wgpu::TextureUsages`).
    pub usage: u32,
    #[serde(default)]
    pub view_formats: Vec<TextureFormat>,
}

/// GPUTextureViewDescriptor (WebGPU §6.2).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct ViewDesc {
    pub label: Option<String>,
    pub format: Option<TextureFormat>,
    pub dimension: Option<TextureViewDimension>,
    pub usage: Option<u32>,
    #[serde(default = "aspect_all")]
    pub aspect: TextureAspect,
    #[serde(default)]
    pub base_mip_level: u32,
    pub mip_level_count: Option<u32>,
    #[serde(default)]
    pub base_array_layer: u32,
    pub array_layer_count: Option<u32>,
}

/// GPUSamplerDescriptor (WebGPU §7.1).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct SamplerDesc {
    pub label: Option<String>,
    #[serde(default = "clamp")]
    pub address_mode_u: AddressMode,
    #[serde(default = "clamp")]
    pub address_mode_v: AddressMode,
    #[serde(default = "clamp")]
    pub address_mode_w: AddressMode,
    #[serde(default = "nearest")]
    pub mag_filter: FilterMode,
    #[serde(default = "nearest")]
    pub min_filter: FilterMode,
    #[serde(default = "mip_nearest")]
    pub mipmap_filter: MipmapFilterMode,
    #[serde(default)]
    pub lod_min_clamp: f32,
    #[serde(default = "lod_max")]
    pub lod_max_clamp: f32,
    pub compare: Option<CompareFunction>,
    #[serde(default = "one_u16")]
    pub max_anisotropy: u16,
}

/// GPUBufferBindingLayout.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BufferLayoutEntry {
    /// `uniform` | `storage` | `read-only-storage`.
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
    #[serde(default)]
    pub has_dynamic_offset: bool,
    #[serde(default)]
    pub min_binding_size: u64,
}

/// GPUSamplerBindingLayout.
#[derive(Deserialize, Debug)]
pub struct SamplerLayoutEntry {
    /// `filtering` | `non-filtering` | `comparison`.
    #[serde(rename = "type", default)]
    pub ty: Option<String>,
}

/// GPUTextureBindingLayout.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TextureLayoutEntry {
    /// `float` | `unfilterable-float` | `depth` | `sint` | `uint`.
    pub sample_type: Option<String>,
    #[serde(default = "vd2")]
    pub view_dimension: TextureViewDimension,
    #[serde(default)]
    pub multisampled: bool,
}

/// GPUStorageTextureBindingLayout.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct StorageTextureLayoutEntry {
    pub access: Option<StorageTextureAccess>,
    pub format: TextureFormat,
    #[serde(default = "vd2")]
    pub view_dimension: TextureViewDimension,
}

/// GPUBindGroupLayoutEntry.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BglEntry {
    pub binding: u32,
    pub visibility: u32,
    pub buffer: Option<BufferLayoutEntry>,
    pub sampler: Option<SamplerLayoutEntry>,
    pub texture: Option<TextureLayoutEntry>,
    pub storage_texture: Option<StorageTextureLayoutEntry>,
}

/// GPUBindGroupLayoutDescriptor (WebGPU §8.1).
#[derive(Deserialize, Debug)]
pub struct BglDesc {
    pub label: Option<String>,
    pub entries: Vec<BglEntry>,
}

/// One GPUBindingResource, normalised: exactly one of `buffer`, `sampler`, `view` is set.
#[derive(Deserialize, Debug)]
pub struct BgResource {
    pub buffer: Option<u32>,
    #[serde(default)]
    pub offset: u64,
    pub size: Option<u64>,
    pub sampler: Option<u32>,
    pub view: Option<u32>,
}

/// GPUBindGroupEntry.
#[derive(Deserialize, Debug)]
pub struct BgEntry {
    pub binding: u32,
    pub resource: BgResource,
}

/// GPUBindGroupDescriptor (WebGPU §8.2). `layout` is a handle.
#[derive(Deserialize, Debug)]
pub struct BgDesc {
    pub label: Option<String>,
    pub layout: u32,
    pub entries: Vec<BgEntry>,
}

/// GPUPipelineLayoutDescriptor (WebGPU §8.3); `null` entries are allowed.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PlDesc {
    pub label: Option<String>,
    pub bind_group_layouts: Vec<Option<u32>>,
}

/// GPUVertexAttribute.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct VertexAttr {
    pub format: VertexFormat,
    pub offset: u64,
    pub shader_location: u32,
}

/// GPUVertexBufferLayout.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct VertexBufferDesc {
    pub array_stride: u64,
    #[serde(default = "vertex_step")]
    pub step_mode: VertexStepMode,
    pub attributes: Vec<VertexAttr>,
}

/// GPUProgrammableStage fields shared by vertex/fragment/compute stages.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct StageDesc {
    pub module: u32,
    pub entry_point: Option<String>,
    #[serde(default)]
    pub constants: HashMap<String, f64>,
    #[serde(default)]
    pub buffers: Vec<Option<VertexBufferDesc>>,
    #[serde(default)]
    pub targets: Vec<Option<ColorTargetDesc>>,
}

/// GPUBlendComponent.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BlendComponentDesc {
    #[serde(default = "add")]
    pub operation: BlendOperation,
    #[serde(default = "one_f")]
    pub src_factor: BlendFactor,
    #[serde(default = "zero_f")]
    pub dst_factor: BlendFactor,
}

/// GPUBlendState.
#[derive(Deserialize, Debug)]
pub struct BlendDesc {
    pub color: BlendComponentDesc,
    pub alpha: BlendComponentDesc,
}

/// GPUColorTargetState.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ColorTargetDesc {
    pub format: TextureFormat,
    pub blend: Option<BlendDesc>,
    #[serde(default = "write_all")]
    pub write_mask: u32,
}

/// GPUPrimitiveState.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct PrimitiveDesc {
    #[serde(default = "tri_list")]
    pub topology: PrimitiveTopology,
    pub strip_index_format: Option<IndexFormat>,
    #[serde(default = "ccw")]
    pub front_face: FrontFace,
    /// `none` | `front` | `back`.
    pub cull_mode: Option<String>,
    #[serde(default)]
    pub unclipped_depth: bool,
}

impl Default for PrimitiveDesc {
    fn default() -> Self {
        Self {
            topology: tri_list(),
            strip_index_format: None,
            front_face: ccw(),
            cull_mode: None,
            unclipped_depth: false,
        }
    }
}

/// GPUStencilFaceState.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct StencilFaceDesc {
    #[serde(default = "always")]
    pub compare: CompareFunction,
    #[serde(default = "keep")]
    pub fail_op: StencilOperation,
    #[serde(default = "keep")]
    pub depth_fail_op: StencilOperation,
    #[serde(default = "keep")]
    pub pass_op: StencilOperation,
}

impl Default for StencilFaceDesc {
    fn default() -> Self {
        Self {
            compare: always(),
            fail_op: keep(),
            depth_fail_op: keep(),
            pass_op: keep(),
        }
    }
}

/// GPUDepthStencilState.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DepthStencilDesc {
    pub format: TextureFormat,
    #[serde(default)]
    pub depth_write_enabled: bool,
    #[serde(default = "always")]
    pub depth_compare: CompareFunction,
    #[serde(default)]
    pub stencil_front: StencilFaceDesc,
    #[serde(default)]
    pub stencil_back: StencilFaceDesc,
    #[serde(default = "all_bits")]
    pub stencil_read_mask: u32,
    #[serde(default = "all_bits")]
    pub stencil_write_mask: u32,
    #[serde(default)]
    pub depth_bias: i32,
    #[serde(default)]
    pub depth_bias_slope_scale: f32,
    #[serde(default)]
    pub depth_bias_clamp: f32,
}

/// GPUMultisampleState.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct MultisampleDesc {
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default = "all_bits")]
    pub mask: u32,
    #[serde(default)]
    pub alpha_to_coverage_enabled: bool,
}

impl Default for MultisampleDesc {
    fn default() -> Self {
        Self {
            count: 1,
            mask: all_bits(),
            alpha_to_coverage_enabled: false,
        }
    }
}

/// GPURenderPipelineDescriptor (WebGPU §10.3). `layout: null` means `'auto'`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RenderPipelineDesc {
    pub label: Option<String>,
    pub layout: Option<u32>,
    pub vertex: StageDesc,
    #[serde(default)]
    pub primitive: PrimitiveDesc,
    pub depth_stencil: Option<DepthStencilDesc>,
    #[serde(default)]
    pub multisample: MultisampleDesc,
    pub fragment: Option<StageDesc>,
}

/// GPUComputePipelineDescriptor (WebGPU §10.2). `layout: null` means `'auto'`.
#[derive(Deserialize, Debug)]
pub struct ComputePipelineDesc {
    pub label: Option<String>,
    pub layout: Option<u32>,
    pub compute: StageDesc,
}

/// GPURenderPassColorAttachment; `clearValue` is `[r, g, b, a]`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct ColorAttachmentDesc {
    pub view: u32,
    pub depth_slice: Option<u32>,
    pub resolve_target: Option<u32>,
    #[serde(default)]
    pub clear_value: [f64; 4],
    /// `load` | `clear`.
    pub load_op: String,
    /// `store` | `discard`.
    pub store_op: String,
}

/// GPURenderPassDepthStencilAttachment.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct DepthAttachmentDesc {
    pub view: u32,
    #[serde(default)]
    pub depth_clear_value: f32,
    pub depth_load_op: Option<String>,
    pub depth_store_op: Option<String>,
    #[serde(default)]
    pub depth_read_only: bool,
    #[serde(default)]
    pub stencil_clear_value: u32,
    pub stencil_load_op: Option<String>,
    pub stencil_store_op: Option<String>,
    #[serde(default)]
    pub stencil_read_only: bool,
}

/// GPURenderPassTimestampWrites / GPUComputePassTimestampWrites.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TimestampWritesDesc {
    pub query_set: u32,
    pub beginning_of_pass_write_index: Option<u32>,
    pub end_of_pass_write_index: Option<u32>,
}

/// GPURenderPassDescriptor (WebGPU §17.1).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RenderPassDesc {
    pub label: Option<String>,
    pub color_attachments: Vec<Option<ColorAttachmentDesc>>,
    pub depth_stencil_attachment: Option<DepthAttachmentDesc>,
    pub occlusion_query_set: Option<u32>,
    pub timestamp_writes: Option<TimestampWritesDesc>,
}

/// GPUComputePassDescriptor (WebGPU §16.1).
#[derive(Deserialize, Debug, Default)]
#[serde(rename_all = "camelCase")]
pub struct ComputePassDesc {
    pub label: Option<String>,
    pub timestamp_writes: Option<TimestampWritesDesc>,
}

/// GPURenderBundleEncoderDescriptor (WebGPU §18.1).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct RenderBundleDesc {
    pub label: Option<String>,
    pub color_formats: Vec<Option<TextureFormat>>,
    pub depth_stencil_format: Option<TextureFormat>,
    #[serde(default = "one")]
    pub sample_count: u32,
    #[serde(default)]
    pub depth_read_only: bool,
    #[serde(default)]
    pub stencil_read_only: bool,
}

/// GPUTexelCopyBufferInfo / GPUTexelCopyBufferLayout; `buffer` is a handle (absent for writeTexture).
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct BufferCopyDesc {
    #[serde(default)]
    pub buffer: u32,
    #[serde(default)]
    pub offset: u64,
    pub bytes_per_row: Option<u32>,
    pub rows_per_image: Option<u32>,
}

/// GPUTexelCopyTextureInfo; `origin` is `[x, y, z]`.
#[derive(Deserialize, Debug)]
#[serde(rename_all = "camelCase")]
pub struct TextureCopyDesc {
    pub texture: u32,
    #[serde(default)]
    pub mip_level: u32,
    #[serde(default)]
    pub origin: [u32; 3],
    #[serde(default = "aspect_all")]
    pub aspect: TextureAspect,
}

/// The argument of the copy commands and of `writeTexture`: `size` is `[w, h, depthOrLayers]`.
#[derive(Deserialize, Debug)]
pub struct CopyDesc {
    pub buffer: Option<BufferCopyDesc>,
    pub texture: Option<TextureCopyDesc>,
    pub texture2: Option<TextureCopyDesc>,
    pub size: [u32; 3],
}

/// Parses a JSON descriptor, turning serde errors into a JS `TypeError`-like napi error.
pub fn parse<'a, T: Deserialize<'a>>(what: &str, json: &'a str) -> napi::Result<T> {
    serde_json::from_str(json).map_err(|e| {
        napi::Error::new(
            napi::Status::InvalidArg,
            format!("invalid {what} descriptor: {e} ({json})"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webgpu_enum_strings_parse() {
        let f: TextureFormat = serde_json::from_str("\"depth24plus-stencil8\"").unwrap();
        assert_eq!(f, TextureFormat::Depth24PlusStencil8);
        let v: VertexFormat = serde_json::from_str("\"float32x3\"").unwrap();
        assert_eq!(v, VertexFormat::Float32x3);
        let c: CompareFunction = serde_json::from_str("\"less-equal\"").unwrap();
        assert_eq!(c, CompareFunction::LessEqual);
        let b: BlendFactor = serde_json::from_str("\"one-minus-src-alpha\"").unwrap();
        assert_eq!(b, BlendFactor::OneMinusSrcAlpha);
        let d: TextureViewDimension = serde_json::from_str("\"cube-array\"").unwrap();
        assert_eq!(d, TextureViewDimension::CubeArray);
        let s: StencilOperation = serde_json::from_str("\"increment-clamp\"").unwrap();
        assert_eq!(s, StencilOperation::IncrementClamp);
        let a: AddressMode = serde_json::from_str("\"mirror-repeat\"").unwrap();
        assert_eq!(a, AddressMode::MirrorRepeat);
        let acc: StorageTextureAccess = serde_json::from_str("\"write-only\"").unwrap();
        assert_eq!(acc, StorageTextureAccess::WriteOnly);
        let asp: TextureAspect = serde_json::from_str("\"depth-only\"").unwrap();
        assert_eq!(asp, TextureAspect::DepthOnly);
    }

    #[test]
    fn render_pipeline_defaults_follow_webgpu() {
        let d: RenderPipelineDesc = parse(
            "render pipeline",
            r#"{"layout":null,"vertex":{"module":1}}"#,
        )
        .unwrap();
        assert!(d.layout.is_none());
        assert_eq!(d.primitive.topology, PrimitiveTopology::TriangleList);
        assert_eq!(d.multisample.count, 1);
        assert_eq!(d.multisample.mask, 0xFFFF_FFFF);
        assert!(d.fragment.is_none());
    }

    #[test]
    fn bad_descriptor_is_an_error() {
        let r: napi::Result<TextureDesc> =
            parse("texture", r#"{"size":[1,1,1],"format":"nope","usage":1}"#);
        assert!(r.is_err());
    }
}
