//! Zerocast's WebGPU addon: a flat, handle-based N-API surface over the `wgpu` crate.
//!
//! The WebGPU JavaScript semantics (GPU* classes, promises, defaults, error classes, events)
//! live in TypeScript (`main/webgpu`). This crate keeps the wgpu objects in a handle table
//! ([`registry`]) and exposes one function per WebGPU operation, taking handles, numbers and
//! JSON descriptors (shapes in [`desc`]). Render/compute passes and render bundles are recorded
//! on the JS side and replayed here in one call ([`passes`]).
//!
//! Blocking work (buffer mapping, `onSubmittedWorkDone`, async pipeline creation) runs in napi
//! `AsyncTask`s on the libuv thread pool, so the JS event loop never waits on the GPU.
//!
//! Threading: wgpu error scopes are thread-local; every call that records or creates runs on
//! the JS thread, so JS-side `pushErrorScope`/`popErrorScope` see the errors of those calls.

#![deny(clippy::all)]

pub mod desc;
#[cfg(target_os = "linux")]
pub mod export;
pub mod passes;
pub mod registry;

use desc::parse;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use registry::{reg, DeviceState, ErrorRecord, Obj, Registry};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, LazyLock, Mutex};

/// Message of the error thrown when no adapter is usable: says what to install.
pub const NO_ADAPTER_HELP: &str = "Zerocast found no usable GPU adapter (wgpu enumerated no Vulkan device). \
Install a Vulkan driver: on Debian/Ubuntu `apt-get install mesa-vulkan-drivers libvulkan1` gives Mesa's \
lavapipe (software Vulkan on the CPU); for a GPU install its vendor's Vulkan driver (NVIDIA: the \
proprietary driver with its Vulkan ICD; AMD/Intel: mesa-vulkan-drivers). Check that VK_DRIVER_FILES / \
VK_ICD_FILENAMES, if set, point at an existing ICD JSON file.";

fn err(msg: impl Into<String>) -> Error {
    Error::new(Status::GenericFailure, msg.into())
}

fn label(l: &Option<String>) -> Option<&str> {
    l.as_deref()
}

// ---------------------------------------------------------------------------------------------
// Instance and adapter
// ---------------------------------------------------------------------------------------------

/// Mesa's Vulkan WSI prints "error: XDG_RUNTIME_DIR is invalid or not set" on every instance
/// when headless; give it a private runtime dir (mode 0700) when the variable is unset.
#[cfg(target_os = "linux")]
fn quiet_headless_wsi() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    if std::env::var_os("XDG_RUNTIME_DIR").is_some() {
        return;
    }
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("zerocast-xdg-{uid}"));
    let _ = std::fs::create_dir(&dir);
    let ours = std::fs::metadata(&dir).is_ok_and(|m| m.is_dir() && m.uid() == uid);
    if ours && std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).is_ok() {
        // SAFETY-ish: called once, before wgpu spawns threads that read the environment.
        std::env::set_var("XDG_RUNTIME_DIR", &dir);
    }
}

static INSTANCE: LazyLock<wgpu::Instance> = LazyLock::new(|| {
    #[cfg(target_os = "linux")]
    quiet_headless_wsi();
    #[cfg(target_os = "macos")]
    let backends = wgpu::Backends::METAL;
    #[cfg(not(target_os = "macos"))]
    let backends = wgpu::Backends::VULKAN;
    let mut d = wgpu::InstanceDescriptor::new_without_display_handle();
    d.backends = backends;
    d.flags = wgpu::InstanceFlags::from_env_or_default();
    wgpu::Instance::new(d)
});

/// What `GPUAdapterInfo` (WebGPU §4.2.1) and Zerocast's logs report about an adapter.
#[napi(object)]
pub struct AdapterInfo {
    /// Device name as the driver reports it, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`.
    pub name: String,
    /// PCI vendor id.
    pub vendor: u32,
    /// PCI device id.
    pub device: u32,
    /// `discrete-gpu` | `integrated-gpu` | `virtual-gpu` | `cpu` | `other`.
    pub device_type: String,
    /// Driver name, e.g. `llvmpipe`.
    pub driver: String,
    /// Driver version string.
    pub driver_info: String,
    /// wgpu backend: `vulkan` | `metal` | ...
    pub backend: String,
    /// True for CPU (software) adapters such as lavapipe.
    pub is_software: bool,
}

fn device_type_str(t: wgpu::DeviceType) -> &'static str {
    match t {
        wgpu::DeviceType::DiscreteGpu => "discrete-gpu",
        wgpu::DeviceType::IntegratedGpu => "integrated-gpu",
        wgpu::DeviceType::VirtualGpu => "virtual-gpu",
        wgpu::DeviceType::Cpu => "cpu",
        wgpu::DeviceType::Other => "other",
    }
}

fn rank(t: wgpu::DeviceType, power: &str) -> u32 {
    match (t, power) {
        (wgpu::DeviceType::IntegratedGpu, "low-power") => 0,
        (wgpu::DeviceType::DiscreteGpu, "low-power") => 1,
        (wgpu::DeviceType::DiscreteGpu, _) => 0,
        (wgpu::DeviceType::IntegratedGpu, _) => 1,
        (wgpu::DeviceType::VirtualGpu, _) => 2,
        (wgpu::DeviceType::Other, _) => 3,
        (wgpu::DeviceType::Cpu, _) => 4,
    }
}

/// `navigator.gpu.requestAdapter()` (WebGPU §4.1; wgpu `Instance::enumerate_adapters`).
///
/// Picks a hardware adapter (discrete, then integrated; `powerPreference: 'low-power'` swaps
/// them) when there is one, else a CPU adapter (Mesa lavapipe). `force_fallback` asks for the
/// CPU adapter. Returns the adapter's handle.
///
/// Throws an Error naming what to install (see [`NO_ADAPTER_HELP`]) when there is none.
#[napi]
pub fn request_adapter(
    power_preference: Option<String>,
    force_fallback: Option<bool>,
) -> Result<u32> {
    let power = power_preference.unwrap_or_default();
    let adapters = pollster::block_on(INSTANCE.enumerate_adapters(wgpu::Backends::all()));
    let mut best: Option<(u32, wgpu::Adapter)> = None;
    for a in adapters {
        let t = a.get_info().device_type;
        let mut r = rank(t, &power);
        if force_fallback == Some(true) && t != wgpu::DeviceType::Cpu {
            r += 10;
        }
        if best.as_ref().is_none_or(|(br, _)| r < *br) {
            best = Some((r, a));
        }
    }
    match best {
        Some((_, a)) => Ok(reg().insert(Obj::Adapter(a))),
        None => Err(err(NO_ADAPTER_HELP)),
    }
}

/// `GPUAdapter.info` plus backend and software flag.
#[napi]
pub fn adapter_info(adapter: u32) -> Result<AdapterInfo> {
    let i = reg().adapter(adapter)?.get_info();
    Ok(AdapterInfo {
        name: i.name,
        vendor: i.vendor,
        device: i.device,
        device_type: device_type_str(i.device_type).into(),
        driver: i.driver,
        driver_info: i.driver_info,
        backend: i.backend.to_str().into(),
        is_software: i.device_type == wgpu::DeviceType::Cpu,
    })
}

fn feature_names(f: wgpu::Features) -> Vec<String> {
    (f & wgpu::Features::all_webgpu_mask())
        .iter()
        .filter_map(|x| x.as_str().map(String::from))
        .collect()
}

/// `GPUAdapter.features`: the WebGPU feature names (WebGPU §4.2; `wgpu::Features` names).
#[napi]
pub fn adapter_features(adapter: u32) -> Result<Vec<String>> {
    Ok(feature_names(reg().adapter(adapter)?.features()))
}

/// `GPUAdapter.limits` as JSON (WebGPU limit names, camelCase; wgpu `Limits` serde).
#[napi]
pub fn adapter_limits(adapter: u32) -> Result<String> {
    serde_json::to_string(&reg().adapter(adapter)?.limits()).map_err(|e| err(e.to_string()))
}

fn error_record(e: &wgpu::Error) -> ErrorRecord {
    match e {
        wgpu::Error::OutOfMemory { source } => ErrorRecord {
            kind: "out-of-memory",
            message: format!("out of memory: {source}"),
        },
        wgpu::Error::Validation { description, .. } => ErrorRecord {
            kind: "validation",
            message: description.clone(),
        },
        wgpu::Error::Internal { description, .. } => ErrorRecord {
            kind: "internal",
            message: description.clone(),
        },
    }
}

/// `GPUAdapter.requestDevice()` (WebGPU §4.2; wgpu `Adapter::request_device`).
///
/// `features`: WebGPU feature names. `limits_json`: `{limitName: value}` overriding WebGPU's
/// default limits. Rejects (throws) when a feature/limit is unsupported, as the spec's
/// TypeError/OperationError. Installs an uncaptured-error sink and a device-lost callback.
#[napi]
pub fn request_device(
    adapter: u32,
    features: Vec<String>,
    limits_json: Option<String>,
    label_: Option<String>,
    exportable: Option<bool>,
) -> Result<u32> {
    let a = reg().adapter(adapter)?.clone();
    let mut required = wgpu::Features::empty();
    for name in &features {
        let f = wgpu::Features::from_str(name)
            .map_err(|_| Error::new(Status::InvalidArg, format!("unknown feature '{name}'")))?;
        required |= f;
    }
    let missing = required - a.features();
    if !missing.is_empty() {
        return Err(Error::new(
            Status::InvalidArg,
            format!(
                "adapter does not support features {:?}",
                feature_names(missing)
            ),
        ));
    }
    let mut limits_v =
        serde_json::to_value(wgpu::Limits::default()).map_err(|e| err(e.to_string()))?;
    if let Some(j) = limits_json {
        let req: HashMap<String, serde_json::Value> =
            serde_json::from_str(&j).map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
        let obj = limits_v.as_object_mut().ok_or_else(|| err("limits"))?;
        for (k, v) in req {
            if v.is_null() {
                continue;
            }
            if !obj.contains_key(&k) {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("unknown limit '{k}'"),
                ));
            }
            obj.insert(k, v);
        }
    }
    let required_limits: wgpu::Limits = serde_json::from_value(limits_v)
        .map_err(|e| Error::new(Status::InvalidArg, e.to_string()))?;
    let desc = wgpu::DeviceDescriptor {
        label: label_.as_deref(),
        required_features: required,
        required_limits,
        ..Default::default()
    };
    let mut opened = None;
    #[cfg(target_os = "linux")]
    if exportable == Some(true) {
        opened = export::open_exportable_device(&a, &desc).map_err(err)?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = exportable;
    let (device, queue) = match opened {
        Some(pair) => pair,
        None => pollster::block_on(a.request_device(&desc)).map_err(|e| {
            Error::new(Status::GenericFailure, format!("requestDevice failed: {e}"))
        })?,
    };
    let uncaptured = Arc::new(Mutex::new(Vec::new()));
    let sink = uncaptured.clone();
    device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
        sink.lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(error_record(&e));
    }));
    let lost = Arc::new(Mutex::new(None));
    let lost_sink = lost.clone();
    device.set_device_lost_callback(move |reason, message| {
        let r = match reason {
            wgpu::DeviceLostReason::Destroyed => "destroyed",
            _ => "unknown",
        };
        *lost_sink.lock().unwrap_or_else(|p| p.into_inner()) = Some((r.to_string(), message));
    });
    let state = DeviceState::new(device, queue, uncaptured, lost);
    Ok(reg().insert(Obj::Device(Arc::new(state))))
}

/// `GPUDevice.features` (names) of a device.
#[napi]
pub fn device_features(device: u32) -> Result<Vec<String>> {
    Ok(feature_names(reg().device(device)?.device.features()))
}

/// `GPUDevice.limits` as JSON.
#[napi]
pub fn device_limits(device: u32) -> Result<String> {
    serde_json::to_string(&reg().device(device)?.device.limits()).map_err(|e| err(e.to_string()))
}

/// `GPUDevice.destroy()`.
#[napi]
pub fn device_destroy(device: u32) -> Result<()> {
    reg().device(device)?.device.destroy();
    Ok(())
}

/// Device-lost state: `null` while alive, else `[reason, message]` (seam for `device.lost`).
#[napi]
pub fn device_lost_info(device: u32) -> Result<Option<Vec<String>>> {
    let d = reg().device(device)?.clone();
    let l = d.lost.lock().unwrap_or_else(|p| p.into_inner()).clone();
    Ok(l.map(|(a, b)| vec![a, b]))
}

/// Non-standard (`GPUDevice.zerocastMemoryReport()`): what wgpu's GPU memory allocator holds for
/// `device` (`Device::generate_allocator_report`; Vulkan: gpu-allocator), as JSON:
/// `{ "available": bool, "allocatedBytes", "reservedBytes", "allocations", "blocks", "liveHandles" }`.
/// `allocatedBytes` is the sum of live sub-allocations (buffers, textures), `reservedBytes` the
/// device memory blocks behind them; `available` is false where the backend keeps no report.
/// `liveHandles` counts the addon's handles of every kind (all devices).
#[napi]
pub fn device_memory_report(device: u32) -> Result<String> {
    let d = reg().device(device)?.clone();
    let live = reg().map.len();
    let v = match d.device.generate_allocator_report() {
        Some(r) => serde_json::json!({
            "available": true,
            "allocatedBytes": r.total_allocated_bytes,
            "reservedBytes": r.total_reserved_bytes,
            "allocations": r.allocations.len(),
            "blocks": r.blocks.len(),
            "liveHandles": live,
        }),
        None => serde_json::json!({
            "available": false,
            "allocatedBytes": 0,
            "reservedBytes": 0,
            "allocations": 0,
            "blocks": 0,
            "liveHandles": live,
        }),
    };
    Ok(v.to_string())
}

/// Drops a handle (any kind). The wgpu object lives on while the GPU still uses it.
#[napi]
pub fn release(id: u32) {
    reg().map.remove(&id);
}

/// Number of live handles (for leak tests).
#[napi]
pub fn live_handles() -> u32 {
    reg().map.len() as u32
}

// ---------------------------------------------------------------------------------------------
// Errors (WebGPU §22)
// ---------------------------------------------------------------------------------------------

/// A GPUError as data: `kind` is `validation` | `out-of-memory` | `internal`.
#[napi(object)]
pub struct GpuErrorInfo {
    pub kind: String,
    pub message: String,
}

thread_local! {
    static SCOPES: RefCell<HashMap<u32, Vec<wgpu::ErrorScopeGuard>>> = RefCell::new(HashMap::new());
}

/// `GPUDevice.pushErrorScope(filter)`; filter is `validation` | `out-of-memory` | `internal`.
#[napi]
pub fn push_error_scope(device: u32, filter: String) -> Result<()> {
    let d = reg().device(device)?.clone();
    let f = match filter.as_str() {
        "validation" => wgpu::ErrorFilter::Validation,
        "out-of-memory" => wgpu::ErrorFilter::OutOfMemory,
        "internal" => wgpu::ErrorFilter::Internal,
        _ => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("bad error filter '{filter}'"),
            ))
        }
    };
    let g = d.device.push_error_scope(f);
    SCOPES.with(|s| s.borrow_mut().entry(device).or_default().push(g));
    Ok(())
}

/// `GPUDevice.popErrorScope()`: the first error the scope caught, or `null`.
/// Throws (OperationError in the spec) when the stack is empty.
#[napi]
pub fn pop_error_scope(device: u32) -> Result<Option<GpuErrorInfo>> {
    let g = SCOPES.with(|s| s.borrow_mut().get_mut(&device).and_then(|v| v.pop()));
    let g = g.ok_or_else(|| err("popErrorScope: the error scope stack is empty"))?;
    Ok(pollster::block_on(g.pop()).map(|e| {
        let r = error_record(&e);
        GpuErrorInfo {
            kind: r.kind.into(),
            message: r.message,
        }
    }))
}

/// Takes the errors no scope caught since the last call (for `uncapturederror` events).
#[napi]
pub fn take_uncaptured_errors(device: u32) -> Result<Vec<GpuErrorInfo>> {
    let d = reg().device(device)?.clone();
    let v: Vec<ErrorRecord> =
        std::mem::take(&mut *d.uncaptured.lock().unwrap_or_else(|p| p.into_inner()));
    Ok(v.into_iter()
        .map(|r| GpuErrorInfo {
            kind: r.kind.into(),
            message: r.message,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Buffers (WebGPU §5)
// ---------------------------------------------------------------------------------------------

/// `GPUDevice.createBuffer()`. `size` in bytes; `usage` GPUBufferUsage bits.
#[napi]
pub fn create_buffer(
    device: u32,
    size: f64,
    usage: u32,
    mapped_at_creation: bool,
    label_: Option<String>,
) -> Result<u32> {
    let mut r = reg();
    let d = r.device(device)?.clone();
    let b = d.device.create_buffer(&wgpu::BufferDescriptor {
        label: label_.as_deref(),
        size: size as u64,
        usage: wgpu::BufferUsages::from_bits_retain(usage),
        mapped_at_creation,
    });
    Ok(r.insert(Obj::Buffer(b)))
}

/// `GPUBuffer.destroy()`.
#[napi]
pub fn buffer_destroy(buffer: u32) -> Result<()> {
    reg().buffer(buffer)?.destroy();
    Ok(())
}

/// `GPUBuffer.unmap()`.
#[napi]
pub fn buffer_unmap(buffer: u32) -> Result<()> {
    reg().buffer(buffer)?.unmap();
    Ok(())
}

/// Copies `size` bytes at `offset` out of a mapped buffer (backs `getMappedRange` for reading).
#[napi]
pub fn buffer_read_mapped(buffer: u32, offset: f64, size: f64) -> Result<Buffer> {
    let b = reg().buffer(buffer)?.clone();
    let (o, s) = (offset as u64, size as u64);
    let view = b
        .get_mapped_range(o..o + s)
        .map_err(|e| err(format!("getMappedRange: {e}")))?;
    Ok(Buffer::from(view.to_vec()))
}

/// Copies `dest.length` mapped bytes at `offset` straight into `dest` (a JS-owned array, so the
/// result is detachable and never external memory; Electron-safe). Backs `getMappedRange` for
/// READ maps.
#[napi]
pub fn buffer_read_mapped_into(buffer: u32, offset: f64, mut dest: Uint8Array) -> Result<()> {
    let b = reg().buffer(buffer)?.clone();
    let o = offset as u64;
    let n = dest.len() as u64;
    if n == 0 {
        return Ok(());
    }
    let view = b
        .get_mapped_range(o..o + n)
        .map_err(|e| err(format!("getMappedRange: {e}")))?;
    // SAFETY: synchronous call on the JS thread; nothing else touches `dest` meanwhile.
    unsafe { dest.as_mut() }.copy_from_slice(&view);
    Ok(())
}

/// Writes bytes into a mapped buffer at `offset` (how `getMappedRange` writes land, at unmap).
#[napi]
pub fn buffer_write_mapped(buffer: u32, offset: f64, data: Uint8Array) -> Result<()> {
    let b = reg().buffer(buffer)?.clone();
    let o = offset as u64;
    let n = data.len() as u64;
    if n == 0 {
        return Ok(());
    }
    let mut view = b
        .get_mapped_range_mut(o..o + n)
        .map_err(|e| err(format!("getMappedRange: {e}")))?;
    view.copy_from_slice(&data);
    Ok(())
}

/// Used by tests: polls `device` until `rx` yields (blocking the calling thread).
#[cfg(test)]
fn wait_with_poll<T>(device: &wgpu::Device, rx: &std::sync::mpsc::Receiver<T>) -> Result<T> {
    use std::sync::mpsc;
    loop {
        match rx.try_recv() {
            Ok(v) => return Ok(v),
            Err(mpsc::TryRecvError::Disconnected) => {
                return Err(err("callback dropped (device lost?)"))
            }
            Err(mpsc::TryRecvError::Empty) => {}
        }
        let _ = device.poll(wgpu::PollType::wait_indefinitely());
        if let Ok(v) = rx.recv_timeout(std::time::Duration::from_millis(2)) {
            return Ok(v);
        }
    }
}

type Deferred = napi::JsDeferred<(), fn(Env) -> Result<()>>;

/// `GPUBuffer.mapAsync(mode, offset, size)` (mode: GPUMapMode bits, 1 = READ, 2 = WRITE).
///
/// The map is requested on the JS thread (so validation errors reach error scopes); the device's
/// poller thread ([`registry::Poller`]) waits for the GPU and settles the returned promise, so
/// neither the event loop nor a libuv worker blocks. Rejects (OperationError in the spec) with
/// wgpu's message when mapping fails.
#[napi(ts_return_type = "Promise<void>")]
pub fn buffer_map_async<'e>(
    env: &'e Env,
    device: u32,
    buffer: u32,
    mode: u32,
    offset: f64,
    size: f64,
) -> Result<Object<'e>> {
    let (d, b) = {
        let r = reg();
        (r.device(device)?.clone(), r.buffer(buffer)?.clone())
    };
    let m = if mode & 2 != 0 {
        wgpu::MapMode::Write
    } else {
        wgpu::MapMode::Read
    };
    let (deferred, promise): (Deferred, Object<'e>) = env.create_deferred()?;
    let (o, s) = (offset as u64, size as u64);
    let poller = d.poller();
    poller.add();
    let done = poller.clone();
    b.map_async(m, o..o + s, move |res| {
        match res {
            Ok(()) => deferred.resolve(|_| Ok(())),
            Err(e) => deferred.reject(err(format!("mapAsync failed: {e}"))),
        }
        done.done();
    });
    Ok(promise)
}

// ---------------------------------------------------------------------------------------------
// Textures, views, samplers (WebGPU §6, §7)
// ---------------------------------------------------------------------------------------------

/// `GPUDevice.createTexture(desc)`; `desc` is a [`desc::TextureDesc`] JSON.
#[napi]
pub fn create_texture(device: u32, desc_json: String) -> Result<u32> {
    let t: desc::TextureDesc = parse("texture", &desc_json)?;
    let mut r = reg();
    let d = r.device(device)?.clone();
    let tex = d.device.create_texture(&wgpu::TextureDescriptor {
        label: label(&t.label),
        size: wgpu::Extent3d {
            width: t.size[0],
            height: t.size[1],
            depth_or_array_layers: t.size[2],
        },
        mip_level_count: t.mip_level_count,
        sample_count: t.sample_count,
        dimension: t.dimension,
        format: t.format,
        usage: wgpu::TextureUsages::from_bits_retain(t.usage),
        view_formats: &t.view_formats,
    });
    Ok(r.insert(Obj::Texture(tex)))
}

/// `GPUTexture.destroy()`.
#[napi]
pub fn texture_destroy(texture: u32) -> Result<()> {
    reg().texture(texture)?.destroy();
    Ok(())
}

/// `GPUTexture.createView(desc)`; `desc` is a [`desc::ViewDesc`] JSON (or empty for defaults).
#[napi]
pub fn create_view(texture: u32, desc_json: Option<String>) -> Result<u32> {
    let v: desc::ViewDesc = match desc_json {
        Some(j) => parse("texture view", &j)?,
        None => desc::ViewDesc::default(),
    };
    let mut r = reg();
    let view = r
        .texture(texture)?
        .create_view(&wgpu::TextureViewDescriptor {
            label: label(&v.label),
            format: v.format,
            dimension: v.dimension,
            usage: v.usage.map(wgpu::TextureUsages::from_bits_retain),
            aspect: v.aspect,
            base_mip_level: v.base_mip_level,
            mip_level_count: v.mip_level_count,
            base_array_layer: v.base_array_layer,
            array_layer_count: v.array_layer_count,
        });
    Ok(r.insert(Obj::View(view)))
}

/// `GPUDevice.createSampler(desc)`; [`desc::SamplerDesc`] JSON.
#[napi]
pub fn create_sampler(device: u32, desc_json: String) -> Result<u32> {
    let s: desc::SamplerDesc = parse("sampler", &desc_json)?;
    let mut r = reg();
    let d = r.device(device)?.clone();
    let sampler = d.device.create_sampler(&wgpu::SamplerDescriptor {
        label: label(&s.label),
        address_mode_u: s.address_mode_u,
        address_mode_v: s.address_mode_v,
        address_mode_w: s.address_mode_w,
        mag_filter: s.mag_filter,
        min_filter: s.min_filter,
        mipmap_filter: s.mipmap_filter,
        lod_min_clamp: s.lod_min_clamp,
        lod_max_clamp: s.lod_max_clamp,
        compare: s.compare,
        anisotropy_clamp: s.max_anisotropy,
        border_color: None,
    });
    Ok(r.insert(Obj::Sampler(sampler)))
}

/// `GPUDevice.createQuerySet({type, count})`; type `occlusion` | `timestamp`.
#[napi]
pub fn create_query_set(
    device: u32,
    ty: String,
    count: u32,
    label_: Option<String>,
) -> Result<u32> {
    let mut r = reg();
    let d = r.device(device)?.clone();
    let t = match ty.as_str() {
        "occlusion" => wgpu::QueryType::Occlusion,
        "timestamp" => wgpu::QueryType::Timestamp,
        _ => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("bad query type '{ty}'"),
            ))
        }
    };
    let q = d.device.create_query_set(&wgpu::QuerySetDescriptor {
        label: label_.as_deref(),
        ty: t,
        count,
    });
    Ok(r.insert(Obj::QuerySet(q)))
}

/// Nanoseconds per timestamp tick of the device's queue (for timestamp queries).
#[napi]
pub fn timestamp_period(device: u32) -> Result<f64> {
    Ok(reg().device(device)?.queue.get_timestamp_period() as f64)
}

// ---------------------------------------------------------------------------------------------
// Shaders, layouts, bind groups, pipelines (WebGPU §8, §9, §10)
// ---------------------------------------------------------------------------------------------

/// `GPUDevice.createShaderModule({code})` (WGSL).
#[napi]
pub fn create_shader_module(device: u32, code: String, label_: Option<String>) -> Result<u32> {
    let mut r = reg();
    let d = r.device(device)?.clone();
    let m = d.device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: label_.as_deref(),
        source: wgpu::ShaderSource::Wgsl(Cow::Owned(code)),
    });
    Ok(r.insert(Obj::Shader(m)))
}

/// One GPUCompilationMessage (WebGPU §9.1.2).
#[napi(object)]
pub struct CompilationMessage {
    pub message: String,
    /// `error` | `warning` | `info`.
    pub kind: String,
    pub line_num: u32,
    pub line_pos: u32,
    pub offset: u32,
    pub length: u32,
}

/// `GPUShaderModule.getCompilationInfo()`.
#[napi]
pub fn shader_compilation_info(module: u32) -> Result<Vec<CompilationMessage>> {
    let m = reg().shader(module)?.clone();
    let info = pollster::block_on(m.get_compilation_info());
    Ok(info
        .messages
        .into_iter()
        .map(|msg| {
            let loc = msg.location;
            CompilationMessage {
                message: msg.message,
                kind: match msg.message_type {
                    wgpu::CompilationMessageType::Error => "error",
                    wgpu::CompilationMessageType::Warning => "warning",
                    wgpu::CompilationMessageType::Info => "info",
                }
                .into(),
                line_num: loc.map_or(0, |l| l.line_number),
                line_pos: loc.map_or(0, |l| l.line_position),
                offset: loc.map_or(0, |l| l.offset),
                length: loc.map_or(0, |l| l.length),
            }
        })
        .collect())
}

fn binding_type(e: &desc::BglEntry) -> Result<wgpu::BindingType> {
    if let Some(b) = &e.buffer {
        let ty = match b.ty.as_deref().unwrap_or("uniform") {
            "uniform" => wgpu::BufferBindingType::Uniform,
            "storage" => wgpu::BufferBindingType::Storage { read_only: false },
            "read-only-storage" => wgpu::BufferBindingType::Storage { read_only: true },
            o => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("bad buffer binding type '{o}'"),
                ))
            }
        };
        return Ok(wgpu::BindingType::Buffer {
            ty,
            has_dynamic_offset: b.has_dynamic_offset,
            min_binding_size: wgpu::BufferSize::new(b.min_binding_size),
        });
    }
    if let Some(s) = &e.sampler {
        return Ok(wgpu::BindingType::Sampler(
            match s.ty.as_deref().unwrap_or("filtering") {
                "filtering" => wgpu::SamplerBindingType::Filtering,
                "non-filtering" => wgpu::SamplerBindingType::NonFiltering,
                "comparison" => wgpu::SamplerBindingType::Comparison,
                o => {
                    return Err(Error::new(
                        Status::InvalidArg,
                        format!("bad sampler binding type '{o}'"),
                    ))
                }
            },
        ));
    }
    if let Some(t) = &e.texture {
        let sample_type = match t.sample_type.as_deref().unwrap_or("float") {
            "float" => wgpu::TextureSampleType::Float { filterable: true },
            "unfilterable-float" => wgpu::TextureSampleType::Float { filterable: false },
            "depth" => wgpu::TextureSampleType::Depth,
            "sint" => wgpu::TextureSampleType::Sint,
            "uint" => wgpu::TextureSampleType::Uint,
            o => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("bad texture sample type '{o}'"),
                ))
            }
        };
        return Ok(wgpu::BindingType::Texture {
            sample_type,
            view_dimension: t.view_dimension,
            multisampled: t.multisampled,
        });
    }
    if let Some(s) = &e.storage_texture {
        return Ok(wgpu::BindingType::StorageTexture {
            access: s.access.unwrap_or(wgpu::StorageTextureAccess::WriteOnly),
            format: s.format,
            view_dimension: s.view_dimension,
        });
    }
    Err(Error::new(
        Status::InvalidArg,
        format!("bind group layout entry {} has no binding type", e.binding),
    ))
}

/// `GPUDevice.createBindGroupLayout(desc)`; [`desc::BglDesc`] JSON.
#[napi]
pub fn create_bind_group_layout(device: u32, desc_json: String) -> Result<u32> {
    let b: desc::BglDesc = parse("bind group layout", &desc_json)?;
    let entries = b
        .entries
        .iter()
        .map(|e| {
            Ok(wgpu::BindGroupLayoutEntry {
                binding: e.binding,
                visibility: wgpu::ShaderStages::from_bits_retain(e.visibility),
                ty: binding_type(e)?,
                count: None,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let mut r = reg();
    let d = r.device(device)?.clone();
    let l = d
        .device
        .create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: label(&b.label),
            entries: &entries,
        });
    Ok(r.insert(Obj::Bgl(l)))
}

/// `GPUDevice.createBindGroup(desc)`; [`desc::BgDesc`] JSON.
#[napi]
pub fn create_bind_group(device: u32, desc_json: String) -> Result<u32> {
    let b: desc::BgDesc = parse("bind group", &desc_json)?;
    let mut r = reg();
    let bg = {
        let rr: &Registry = &r;
        let d = rr.device(device)?;
        let entries = b
            .entries
            .iter()
            .map(|e| {
                let res = &e.resource;
                let resource = if let Some(id) = res.buffer {
                    wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: rr.buffer(id)?,
                        offset: res.offset,
                        size: res.size.and_then(wgpu::BufferSize::new),
                    })
                } else if let Some(id) = res.sampler {
                    wgpu::BindingResource::Sampler(rr.sampler(id)?)
                } else if let Some(id) = res.view {
                    wgpu::BindingResource::TextureView(rr.view(id)?)
                } else {
                    return Err(Error::new(
                        Status::InvalidArg,
                        "bind group entry without resource",
                    ));
                };
                Ok(wgpu::BindGroupEntry {
                    binding: e.binding,
                    resource,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        d.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: label(&b.label),
            layout: rr.bgl(b.layout)?,
            entries: &entries,
        })
    };
    Ok(r.insert(Obj::Bg(bg)))
}

/// `GPUDevice.createPipelineLayout(desc)`; [`desc::PlDesc`] JSON.
#[napi]
pub fn create_pipeline_layout(device: u32, desc_json: String) -> Result<u32> {
    let p: desc::PlDesc = parse("pipeline layout", &desc_json)?;
    let mut r = reg();
    let pl = {
        let rr: &Registry = &r;
        let layouts = p
            .bind_group_layouts
            .iter()
            .map(|id| id.map(|id| rr.bgl(id)).transpose())
            .collect::<Result<Vec<_>>>()?;
        rr.device(device)?
            .device
            .create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: label(&p.label),
                bind_group_layouts: &layouts,
                immediate_size: 0,
            })
    };
    Ok(r.insert(Obj::Pl(pl)))
}

/// Owned references a pipeline descriptor needs, cloned out of the table so the pipeline
/// can be built on a worker thread.
struct PipelineRefs {
    device: Arc<DeviceState>,
    layout: Option<wgpu::PipelineLayout>,
    vertex: wgpu::ShaderModule,
    fragment: Option<wgpu::ShaderModule>,
}

fn constants(c: &HashMap<String, f64>) -> Vec<(&str, f64)> {
    c.iter().map(|(k, v)| (k.as_str(), *v)).collect()
}

fn blend_component(c: &desc::BlendComponentDesc) -> wgpu::BlendComponent {
    wgpu::BlendComponent {
        src_factor: c.src_factor,
        dst_factor: c.dst_factor,
        operation: c.operation,
    }
}

fn stencil_face(s: &desc::StencilFaceDesc) -> wgpu::StencilFaceState {
    wgpu::StencilFaceState {
        compare: s.compare,
        fail_op: s.fail_op,
        depth_fail_op: s.depth_fail_op,
        pass_op: s.pass_op,
    }
}

fn build_render_pipeline(
    p: &desc::RenderPipelineDesc,
    refs: &PipelineRefs,
) -> Result<wgpu::RenderPipeline> {
    let attrs: Vec<Option<Vec<wgpu::VertexAttribute>>> = p
        .vertex
        .buffers
        .iter()
        .map(|b| {
            b.as_ref().map(|b| {
                b.attributes
                    .iter()
                    .map(|a| wgpu::VertexAttribute {
                        format: a.format,
                        offset: a.offset,
                        shader_location: a.shader_location,
                    })
                    .collect()
            })
        })
        .collect();
    let buffers: Vec<Option<wgpu::VertexBufferLayout>> = p
        .vertex
        .buffers
        .iter()
        .zip(attrs.iter())
        .map(|(b, a)| match (b, a) {
            (Some(b), Some(a)) => Some(wgpu::VertexBufferLayout {
                array_stride: b.array_stride,
                step_mode: b.step_mode,
                attributes: a,
            }),
            _ => None,
        })
        .collect();
    let vconst = constants(&p.vertex.constants);
    let fconst = p
        .fragment
        .as_ref()
        .map(|f| constants(&f.constants))
        .unwrap_or_default();
    let targets: Vec<Option<wgpu::ColorTargetState>> = p
        .fragment
        .as_ref()
        .map(|f| {
            f.targets
                .iter()
                .map(|t| {
                    t.as_ref().map(|t| wgpu::ColorTargetState {
                        format: t.format,
                        blend: t.blend.as_ref().map(|b| wgpu::BlendState {
                            color: blend_component(&b.color),
                            alpha: blend_component(&b.alpha),
                        }),
                        write_mask: wgpu::ColorWrites::from_bits_retain(t.write_mask),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let cull_mode = match p.primitive.cull_mode.as_deref() {
        None | Some("none") => None,
        Some("front") => Some(wgpu::Face::Front),
        Some("back") => Some(wgpu::Face::Back),
        Some(o) => {
            return Err(Error::new(
                Status::InvalidArg,
                format!("bad cullMode '{o}'"),
            ))
        }
    };
    let fragment = match (&p.fragment, &refs.fragment) {
        (Some(f), Some(m)) => Some(wgpu::FragmentState {
            module: m,
            entry_point: f.entry_point.as_deref(),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &fconst,
                zero_initialize_workgroup_memory: true,
            },
            targets: &targets,
        }),
        _ => None,
    };
    let desc = wgpu::RenderPipelineDescriptor {
        label: label(&p.label),
        layout: refs.layout.as_ref(),
        vertex: wgpu::VertexState {
            module: &refs.vertex,
            entry_point: p.vertex.entry_point.as_deref(),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &vconst,
                zero_initialize_workgroup_memory: true,
            },
            buffers: &buffers,
        },
        primitive: wgpu::PrimitiveState {
            topology: p.primitive.topology,
            strip_index_format: p.primitive.strip_index_format,
            front_face: p.primitive.front_face,
            cull_mode,
            unclipped_depth: p.primitive.unclipped_depth,
            polygon_mode: wgpu::PolygonMode::Fill,
            conservative: false,
        },
        depth_stencil: p.depth_stencil.as_ref().map(|d| wgpu::DepthStencilState {
            format: d.format,
            depth_write_enabled: Some(d.depth_write_enabled),
            depth_compare: Some(d.depth_compare),
            stencil: wgpu::StencilState {
                front: stencil_face(&d.stencil_front),
                back: stencil_face(&d.stencil_back),
                read_mask: d.stencil_read_mask,
                write_mask: d.stencil_write_mask,
            },
            bias: wgpu::DepthBiasState {
                constant: d.depth_bias,
                slope_scale: d.depth_bias_slope_scale,
                clamp: d.depth_bias_clamp,
            },
        }),
        multisample: wgpu::MultisampleState {
            count: p.multisample.count,
            mask: p.multisample.mask as u64,
            alpha_to_coverage_enabled: p.multisample.alpha_to_coverage_enabled,
        },
        fragment,
        multiview_mask: None,
        cache: None,
    };
    Ok(refs.device.device.create_render_pipeline(&desc))
}

fn build_compute_pipeline(
    p: &desc::ComputePipelineDesc,
    refs: &PipelineRefs,
) -> wgpu::ComputePipeline {
    let c = constants(&p.compute.constants);
    refs.device
        .device
        .create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: label(&p.label),
            layout: refs.layout.as_ref(),
            module: &refs.vertex,
            entry_point: p.compute.entry_point.as_deref(),
            compilation_options: wgpu::PipelineCompilationOptions {
                constants: &c,
                zero_initialize_workgroup_memory: true,
            },
            cache: None,
        })
}

fn pipeline_refs(
    r: &Registry,
    device: u32,
    layout: Option<u32>,
    vertex: u32,
    fragment: Option<u32>,
) -> Result<PipelineRefs> {
    Ok(PipelineRefs {
        device: r.device(device)?.clone(),
        layout: layout.map(|l| r.pl(l).cloned()).transpose()?,
        vertex: r.shader(vertex)?.clone(),
        fragment: fragment.map(|f| r.shader(f).cloned()).transpose()?,
    })
}

/// The objects a render pipeline description names (device, layout, vertex and fragment modules).
fn render_pipeline_refs(device: u32, p: &desc::RenderPipelineDesc) -> Result<PipelineRefs> {
    pipeline_refs(
        &reg(),
        device,
        p.layout,
        p.vertex.module,
        p.fragment.as_ref().map(|f| f.module),
    )
}

/// The objects a compute pipeline description names (device, layout, compute module).
fn compute_pipeline_refs(device: u32, p: &desc::ComputePipelineDesc) -> Result<PipelineRefs> {
    pipeline_refs(&reg(), device, p.layout, p.compute.module, None)
}

/// `GPUDevice.createRenderPipeline(desc)`; [`desc::RenderPipelineDesc`] JSON.
#[napi]
pub fn create_render_pipeline(device: u32, desc_json: String) -> Result<u32> {
    let p: desc::RenderPipelineDesc = parse("render pipeline", &desc_json)?;
    let refs = render_pipeline_refs(device, &p)?;
    let rp = build_render_pipeline(&p, &refs)?;
    Ok(reg().insert(Obj::RenderPipeline(rp)))
}

/// `GPUDevice.createComputePipeline(desc)`; [`desc::ComputePipelineDesc`] JSON.
#[napi]
pub fn create_compute_pipeline(device: u32, desc_json: String) -> Result<u32> {
    let p: desc::ComputePipelineDesc = parse("compute pipeline", &desc_json)?;
    let refs = compute_pipeline_refs(device, &p)?;
    let cp = build_compute_pipeline(&p, &refs);
    Ok(reg().insert(Obj::ComputePipeline(cp)))
}

enum PipelineJob {
    Render(Box<desc::RenderPipelineDesc>),
    Compute(Box<desc::ComputePipelineDesc>),
}

/// Builds a pipeline on a libuv worker inside its own (thread-local) validation scope.
pub struct PipelineTask {
    job: Option<PipelineJob>,
    refs: PipelineRefs,
}

impl Task for PipelineTask {
    type Output = u32;
    type JsValue = u32;
    fn compute(&mut self) -> Result<u32> {
        let job = self.job.take().ok_or_else(|| err("pipeline task reused"))?;
        let scope_v = self
            .refs
            .device
            .device
            .push_error_scope(wgpu::ErrorFilter::Validation);
        let scope_i = self
            .refs
            .device
            .device
            .push_error_scope(wgpu::ErrorFilter::Internal);
        let obj = match job {
            PipelineJob::Render(p) => Obj::RenderPipeline(build_render_pipeline(&p, &self.refs)?),
            PipelineJob::Compute(p) => Obj::ComputePipeline(build_compute_pipeline(&p, &self.refs)),
        };
        let internal = pollster::block_on(scope_i.pop());
        let validation = pollster::block_on(scope_v.pop());
        if let Some(e) = validation.or(internal) {
            let rec = error_record(&e);
            return Err(err(format!("{}: {}", rec.kind, rec.message)));
        }
        Ok(reg().insert(obj))
    }
    fn resolve(&mut self, _env: Env, id: u32) -> Result<u32> {
        Ok(id)
    }
}

/// `GPUDevice.createRenderPipelineAsync(desc)`: resolves with the handle; rejects with
/// `validation: <message>` (GPUPipelineError in the spec) without blocking the event loop.
#[napi]
pub fn create_render_pipeline_async(
    device: u32,
    desc_json: String,
) -> Result<AsyncTask<PipelineTask>> {
    let p: desc::RenderPipelineDesc = parse("render pipeline", &desc_json)?;
    let refs = render_pipeline_refs(device, &p)?;
    Ok(AsyncTask::new(PipelineTask {
        job: Some(PipelineJob::Render(Box::new(p))),
        refs,
    }))
}

/// `GPUDevice.createComputePipelineAsync(desc)`, as [`create_render_pipeline_async`].
#[napi]
pub fn create_compute_pipeline_async(
    device: u32,
    desc_json: String,
) -> Result<AsyncTask<PipelineTask>> {
    let p: desc::ComputePipelineDesc = parse("compute pipeline", &desc_json)?;
    let refs = compute_pipeline_refs(device, &p)?;
    Ok(AsyncTask::new(PipelineTask {
        job: Some(PipelineJob::Compute(Box::new(p))),
        refs,
    }))
}

/// `GPURenderPipeline/GPUComputePipeline.getBindGroupLayout(index)`.
#[napi]
pub fn pipeline_bind_group_layout(pipeline: u32, index: u32) -> Result<u32> {
    let mut r = reg();
    let l = match r.map.get(&pipeline) {
        Some(Obj::RenderPipeline(p)) => p.get_bind_group_layout(index),
        Some(Obj::ComputePipeline(p)) => p.get_bind_group_layout(index),
        _ => return Err(registry::bad("pipeline", pipeline)),
    };
    Ok(r.insert(Obj::Bgl(l)))
}

// ---------------------------------------------------------------------------------------------
// Command encoding (WebGPU §13–§18)
// ---------------------------------------------------------------------------------------------

/// `GPUDevice.createCommandEncoder()`.
#[napi]
pub fn create_command_encoder(device: u32, label_: Option<String>) -> Result<u32> {
    let mut r = reg();
    let d = r.device(device)?.clone();
    let e = d
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: label_.as_deref(),
        });
    Ok(r.insert(Obj::Encoder(Some(e))))
}

fn take_encoder(r: &mut Registry, id: u32) -> Result<wgpu::CommandEncoder> {
    match r.map.get_mut(&id) {
        Some(Obj::Encoder(e)) => e
            .take()
            .ok_or_else(|| err("command encoder already finished")),
        _ => Err(registry::bad("command encoder", id)),
    }
}

fn put_encoder(r: &mut Registry, id: u32, e: wgpu::CommandEncoder) {
    r.map.insert(id, Obj::Encoder(Some(e)));
}

fn with_encoder<T>(
    id: u32,
    f: impl FnOnce(&Registry, &mut wgpu::CommandEncoder) -> Result<T>,
) -> Result<T> {
    let mut r = reg();
    let mut e = take_encoder(&mut r, id)?;
    let out = f(&r, &mut e);
    put_encoder(&mut r, id, e);
    out
}

/// `GPUCommandEncoder.copyBufferToBuffer(src, srcOffset, dst, dstOffset, size)`.
#[napi]
pub fn encoder_copy_buffer_to_buffer(
    encoder: u32,
    src: u32,
    src_offset: f64,
    dst: u32,
    dst_offset: f64,
    size: Option<f64>,
) -> Result<()> {
    with_encoder(encoder, |r, e| {
        e.copy_buffer_to_buffer(
            r.buffer(src)?,
            src_offset as u64,
            r.buffer(dst)?,
            dst_offset as u64,
            size.map(|s| s as u64),
        );
        Ok(())
    })
}

fn texel_buffer<'a>(
    r: &'a Registry,
    b: &desc::BufferCopyDesc,
) -> Result<wgpu::TexelCopyBufferInfo<'a>> {
    Ok(wgpu::TexelCopyBufferInfo {
        buffer: r.buffer(b.buffer)?,
        layout: wgpu::TexelCopyBufferLayout {
            offset: b.offset,
            bytes_per_row: b.bytes_per_row,
            rows_per_image: b.rows_per_image,
        },
    })
}

fn texel_texture<'a>(
    r: &'a Registry,
    t: &desc::TextureCopyDesc,
) -> Result<wgpu::TexelCopyTextureInfo<'a>> {
    Ok(wgpu::TexelCopyTextureInfo {
        texture: r.texture(t.texture)?,
        mip_level: t.mip_level,
        origin: wgpu::Origin3d {
            x: t.origin[0],
            y: t.origin[1],
            z: t.origin[2],
        },
        aspect: t.aspect,
    })
}

fn extent(s: [u32; 3]) -> wgpu::Extent3d {
    wgpu::Extent3d {
        width: s[0],
        height: s[1],
        depth_or_array_layers: s[2],
    }
}

fn missing(what: &str) -> Error {
    Error::new(Status::InvalidArg, format!("copy descriptor lacks {what}"))
}

/// `copyBufferToTexture` / `copyTextureToBuffer` / `copyTextureToTexture`.
/// `kind`: `b2t` | `t2b` | `t2t`; `desc_json`: [`desc::CopyDesc`] (`texture2` = t2t destination).
#[napi]
pub fn encoder_copy(encoder: u32, kind: String, desc_json: String) -> Result<()> {
    let c: desc::CopyDesc = parse("copy", &desc_json)?;
    with_encoder(encoder, |r, e| {
        let b = || c.buffer.as_ref().ok_or_else(|| missing("buffer"));
        let t = || c.texture.as_ref().ok_or_else(|| missing("texture"));
        match kind.as_str() {
            "b2t" => e.copy_buffer_to_texture(
                texel_buffer(r, b()?)?,
                texel_texture(r, t()?)?,
                extent(c.size),
            ),
            "t2b" => e.copy_texture_to_buffer(
                texel_texture(r, t()?)?,
                texel_buffer(r, b()?)?,
                extent(c.size),
            ),
            "t2t" => {
                let t2 = c.texture2.as_ref().ok_or_else(|| missing("texture2"))?;
                e.copy_texture_to_texture(
                    texel_texture(r, t()?)?,
                    texel_texture(r, t2)?,
                    extent(c.size),
                )
            }
            o => {
                return Err(Error::new(
                    Status::InvalidArg,
                    format!("bad copy kind '{o}'"),
                ))
            }
        }
        Ok(())
    })
}

/// `GPUCommandEncoder.clearBuffer(buffer, offset, size)`.
#[napi]
pub fn encoder_clear_buffer(
    encoder: u32,
    buffer: u32,
    offset: f64,
    size: Option<f64>,
) -> Result<()> {
    with_encoder(encoder, |r, e| {
        e.clear_buffer(r.buffer(buffer)?, offset as u64, size.map(|s| s as u64));
        Ok(())
    })
}

/// `GPUCommandEncoder.resolveQuerySet(querySet, first, count, destination, destinationOffset)`.
#[napi]
pub fn encoder_resolve_query_set(
    encoder: u32,
    query_set: u32,
    first: u32,
    count: u32,
    dst: u32,
    dst_offset: f64,
) -> Result<()> {
    with_encoder(encoder, |r, e| {
        e.resolve_query_set(
            r.query_set(query_set)?,
            first..first + count,
            r.buffer(dst)?,
            dst_offset as u64,
        );
        Ok(())
    })
}

/// `GPUCommandEncoder.writeTimestamp` is not in WebGPU; `pushDebugGroup`/`insertDebugMarker`
/// map onto wgpu's debug markers. `op`: `push` | `pop` | `insert`.
#[napi]
pub fn encoder_debug(encoder: u32, op: String, text: Option<String>) -> Result<()> {
    with_encoder(encoder, |_r, e| {
        match op.as_str() {
            "push" => e.push_debug_group(text.as_deref().unwrap_or("")),
            "pop" => e.pop_debug_group(),
            _ => e.insert_debug_marker(text.as_deref().unwrap_or("")),
        }
        Ok(())
    })
}

fn store_op(s: Option<&str>) -> wgpu::StoreOp {
    if s == Some("discard") {
        wgpu::StoreOp::Discard
    } else {
        wgpu::StoreOp::Store
    }
}

/// Runs one recorded render pass: `beginRenderPass(desc)` + commands + `end()`.
/// `desc_json`: [`desc::RenderPassDesc`]; `commands`: see [`passes`].
#[napi]
pub fn encoder_render_pass(encoder: u32, desc_json: String, commands: Uint32Array) -> Result<()> {
    let p: desc::RenderPassDesc = parse("render pass", &desc_json)?;
    with_encoder(encoder, |r, e| {
        let colors = p
            .color_attachments
            .iter()
            .map(|c| {
                c.as_ref()
                    .map(|c| {
                        let cv = c.clear_value;
                        Ok(wgpu::RenderPassColorAttachment {
                            view: r.view(c.view)?,
                            depth_slice: c.depth_slice,
                            resolve_target: c.resolve_target.map(|t| r.view(t)).transpose()?,
                            ops: wgpu::Operations {
                                load: if c.load_op == "clear" {
                                    wgpu::LoadOp::Clear(wgpu::Color {
                                        r: cv[0],
                                        g: cv[1],
                                        b: cv[2],
                                        a: cv[3],
                                    })
                                } else {
                                    wgpu::LoadOp::Load
                                },
                                store: store_op(Some(&c.store_op)),
                            },
                        })
                    })
                    .transpose()
            })
            .collect::<Result<Vec<_>>>()?;
        let depth = p
            .depth_stencil_attachment
            .as_ref()
            .map(|d| {
                let depth_ops = match (&d.depth_load_op, d.depth_read_only) {
                    (Some(l), false) => Some(wgpu::Operations {
                        load: if l == "clear" {
                            wgpu::LoadOp::Clear(d.depth_clear_value)
                        } else {
                            wgpu::LoadOp::Load
                        },
                        store: store_op(d.depth_store_op.as_deref()),
                    }),
                    _ => None,
                };
                let stencil_ops = match (&d.stencil_load_op, d.stencil_read_only) {
                    (Some(l), false) => Some(wgpu::Operations {
                        load: if l == "clear" {
                            wgpu::LoadOp::Clear(d.stencil_clear_value)
                        } else {
                            wgpu::LoadOp::Load
                        },
                        store: store_op(d.stencil_store_op.as_deref()),
                    }),
                    _ => None,
                };
                Ok::<_, Error>(wgpu::RenderPassDepthStencilAttachment {
                    view: r.view(d.view)?,
                    depth_ops,
                    stencil_ops,
                })
            })
            .transpose()?;
        let ts =
            timestamp_writes(r, p.timestamp_writes.as_ref())?.map(|(query_set, begin, end)| {
                wgpu::RenderPassTimestampWrites {
                    query_set,
                    beginning_of_pass_write_index: begin,
                    end_of_pass_write_index: end,
                }
            });
        let mut pass = e.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: label(&p.label),
            color_attachments: &colors,
            depth_stencil_attachment: depth,
            timestamp_writes: ts,
            occlusion_query_set: p.occlusion_query_set.map(|q| r.query_set(q)).transpose()?,
            multiview_mask: None,
        });
        passes::replay_render(r, &mut pass, &commands)
    })
}

/// A pass's resolved `timestampWrites`: query set, beginning index, end index.
type PassTimestamps<'a> = (&'a wgpu::QuerySet, Option<u32>, Option<u32>);

/// Resolves a pass's `timestampWrites`, for render and compute passes alike (wgpu has one struct
/// per pass kind).
fn timestamp_writes<'a>(
    r: &'a Registry,
    t: Option<&desc::TimestampWritesDesc>,
) -> Result<Option<PassTimestamps<'a>>> {
    t.map(|t| {
        Ok((
            r.query_set(t.query_set)?,
            t.beginning_of_pass_write_index,
            t.end_of_pass_write_index,
        ))
    })
    .transpose()
}

/// Runs one recorded compute pass: `beginComputePass(desc)` + commands + `end()`.
#[napi]
pub fn encoder_compute_pass(
    encoder: u32,
    desc_json: Option<String>,
    commands: Uint32Array,
) -> Result<()> {
    let p: desc::ComputePassDesc = match desc_json {
        Some(j) => parse("compute pass", &j)?,
        None => desc::ComputePassDesc::default(),
    };
    with_encoder(encoder, |r, e| {
        let ts =
            timestamp_writes(r, p.timestamp_writes.as_ref())?.map(|(query_set, begin, end)| {
                wgpu::ComputePassTimestampWrites {
                    query_set,
                    beginning_of_pass_write_index: begin,
                    end_of_pass_write_index: end,
                }
            });
        let mut pass = e.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: label(&p.label),
            timestamp_writes: ts,
        });
        passes::replay_compute(r, &mut pass, &commands)
    })
}

/// `GPUCommandEncoder.finish()`: returns a command buffer handle (the encoder handle is freed).
#[napi]
pub fn encoder_finish(encoder: u32, label_: Option<String>) -> Result<u32> {
    let mut r = reg();
    let e = take_encoder(&mut r, encoder)?;
    r.map.remove(&encoder);
    let _ = label_;
    let cb = e.finish();
    Ok(r.insert(Obj::CommandBuffer(Some(cb))))
}

/// `GPURenderBundleEncoder` + `finish()`: replays recorded commands into a render bundle.
/// `desc_json`: [`desc::RenderBundleDesc`].
#[napi]
pub fn create_render_bundle(
    device: u32,
    desc_json: String,
    commands: Uint32Array,
    label_: Option<String>,
) -> Result<u32> {
    let b: desc::RenderBundleDesc = parse("render bundle encoder", &desc_json)?;
    let mut r = reg();
    let bundle = {
        let rr: &Registry = &r;
        let d = rr.device(device)?;
        let mut enc = d
            .device
            .create_render_bundle_encoder(&wgpu::RenderBundleEncoderDescriptor {
                label: label(&b.label),
                color_formats: &b.color_formats,
                depth_stencil: b.depth_stencil_format.map(|format| {
                    wgpu::RenderBundleDepthStencil {
                        format,
                        depth_read_only: b.depth_read_only,
                        stencil_read_only: b.stencil_read_only,
                    }
                }),
                sample_count: b.sample_count,
                multiview: None,
            });
        passes::replay_bundle(rr, &mut enc, &commands)?;
        enc.finish(&wgpu::RenderBundleDescriptor {
            label: label_.as_deref(),
        })
    };
    Ok(r.insert(Obj::Bundle(bundle)))
}

// ---------------------------------------------------------------------------------------------
// Queue (WebGPU §19)
// ---------------------------------------------------------------------------------------------

/// `GPUQueue.submit(commandBuffers)`: consumes the command buffer handles.
#[napi]
pub fn queue_submit(device: u32, command_buffers: Vec<u32>) -> Result<()> {
    let mut r = reg();
    let d = r.device(device)?.clone();
    let mut cbs = Vec::with_capacity(command_buffers.len());
    for id in command_buffers {
        match r.map.remove(&id) {
            Some(Obj::CommandBuffer(Some(cb))) => cbs.push(cb),
            _ => {
                return Err(err(format!(
                    "submit: command buffer {id} is invalid or was already submitted"
                )))
            }
        }
    }
    drop(r);
    d.queue.submit(cbs);
    Ok(())
}

/// `GPUQueue.writeBuffer(buffer, offset, data)`; `data` is the bytes to write.
#[napi]
pub fn queue_write_buffer(device: u32, buffer: u32, offset: f64, data: Uint8Array) -> Result<()> {
    let r = reg();
    let d = r.device(device)?;
    d.queue
        .write_buffer(r.buffer(buffer)?, offset as u64, &data);
    Ok(())
}

/// `GPUQueue.writeTexture(destination, data, dataLayout, size)`; `desc_json` is a
/// [`desc::CopyDesc`] with `texture` (destination) and `buffer` (layout only).
#[napi]
pub fn queue_write_texture(device: u32, desc_json: String, data: Uint8Array) -> Result<()> {
    let c: desc::CopyDesc = parse("writeTexture", &desc_json)?;
    let r = reg();
    let d = r.device(device)?;
    let t = c.texture.as_ref().ok_or_else(|| missing("texture"))?;
    let l = c.buffer.as_ref().ok_or_else(|| missing("layout"))?;
    d.queue.write_texture(
        texel_texture(&r, t)?,
        &data,
        wgpu::TexelCopyBufferLayout {
            offset: l.offset,
            bytes_per_row: l.bytes_per_row,
            rows_per_image: l.rows_per_image,
        },
        extent(c.size),
    );
    Ok(())
}

/// `GPUQueue.onSubmittedWorkDone()`: resolves once all work submitted so far has finished
/// (settled by the device's poller thread; the event loop does not block).
#[napi(ts_return_type = "Promise<void>")]
pub fn queue_on_submitted_work_done<'e>(env: &'e Env, device: u32) -> Result<Object<'e>> {
    let d = reg().device(device)?.clone();
    let (deferred, promise): (Deferred, Object<'e>) = env.create_deferred()?;
    let poller = d.poller();
    poller.add();
    let done = poller.clone();
    d.queue.on_submitted_work_done(move || {
        deferred.resolve(|_| Ok(()));
        done.done();
    });
    Ok(promise)
}

/// Non-blocking `Device::poll` (fires ready callbacks); returns true when the queue is empty.
#[napi]
pub fn device_poll(device: u32) -> Result<bool> {
    let d = reg().device(device)?.clone();
    Ok(d.device
        .poll(wgpu::PollType::Poll)
        .map(|s| s.is_queue_empty())
        .unwrap_or(false))
}

// ---------------------------------------------------------------------------------------------
// Export extension (Zerocast; Vulkan only): exportable memory and timeline semaphores
// ---------------------------------------------------------------------------------------------

/// What a device can export, and its Vulkan deviceUUID (for CUDA to pick the same GPU).
#[napi(object)]
pub struct ExportCapabilities {
    /// Buffers on `OPAQUE_FD` memory (VK_KHR_external_memory_fd).
    pub memory_fd: bool,
    /// Timeline semaphores as `OPAQUE_FD` (VK_KHR_external_semaphore_fd; needs a device opened
    /// with `exportable`).
    pub semaphore_fd: bool,
    /// 32 hex digits, when known.
    pub device_uuid: Option<String>,
}

/// The export capabilities of `device` (all false off Vulkan).
#[napi]
pub fn export_capabilities(device: u32) -> Result<ExportCapabilities> {
    let d = reg().device(device)?.clone();
    #[cfg(target_os = "linux")]
    {
        let c = export::capabilities(&d.device);
        Ok(ExportCapabilities {
            memory_fd: c.memory_fd,
            semaphore_fd: c.semaphore_fd,
            device_uuid: export::device_uuid(&d.device),
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = d;
        Ok(ExportCapabilities {
            memory_fd: false,
            semaphore_fd: false,
            device_uuid: None,
        })
    }
}

/// An exported buffer: its handle (an ordinary GPUBuffer to wgpu) and the memory fd.
#[napi(object)]
pub struct ExportedBufferInfo {
    /// Buffer handle.
    pub buffer: u32,
    /// `OPAQUE_FD` of the buffer's dedicated memory, owned by the caller (-1 for imports).
    pub memory_fd: i32,
    /// Size of the allocation (VkMemoryRequirements::size), bytes.
    pub allocation_size: f64,
}

/// Creates a device-local buffer of `size` bytes and GPUBufferUsage `usage` (no MAP_*) on
/// dedicated memory exported as an `OPAQUE_FD` (VK_KHR_external_memory_fd). With `import_fd`,
/// imports that fd instead (the import owns it). Throws when the device cannot export.
#[napi]
pub fn create_exported_buffer(
    device: u32,
    size: f64,
    usage: u32,
    label_: Option<String>,
    import_fd: Option<i32>,
) -> Result<ExportedBufferInfo> {
    let d = reg().device(device)?.clone();
    #[cfg(target_os = "linux")]
    {
        let e = export::create_exported_buffer(
            &d.device,
            size as u64,
            wgpu::BufferUsages::from_bits_retain(usage),
            label_.as_deref(),
            import_fd,
        )
        .map_err(err)?;
        let id = reg().insert(Obj::Buffer(e.buffer));
        Ok(ExportedBufferInfo {
            buffer: id,
            memory_fd: e.memory_fd,
            allocation_size: e.allocation_size as f64,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (d, size, usage, label_, import_fd);
        Err(err("exported buffers need Vulkan (Linux)"))
    }
}

/// A timeline semaphore handle and, when exported, its `OPAQUE_FD` (owned by the caller).
#[napi(object)]
pub struct TimelineInfo {
    pub timeline: u32,
    pub fd: Option<i32>,
}

/// Creates a Vulkan timeline semaphore at value 0; `export` also returns its fd
/// (VK_KHR_external_semaphore_fd, device opened with `exportable`).
#[napi]
pub fn create_timeline(device: u32, export: bool) -> Result<TimelineInfo> {
    let d = reg().device(device)?.clone();
    #[cfg(target_os = "linux")]
    {
        let (t, fd) = export::Timeline::create(&d.device, export).map_err(err)?;
        Ok(TimelineInfo {
            timeline: reg().insert(Obj::Timeline(t)),
            fd,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (d, export);
        Err(err("timeline semaphores need Vulkan (Linux)"))
    }
}

/// Makes the device's next `queueSubmit` signal `timeline` to `value` (vulkan
/// `Queue::add_signal_semaphore`).
#[napi]
pub fn timeline_signal_on_next_submit(device: u32, timeline: u32, value: f64) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        let r = reg();
        let d = r.device(device)?;
        match r.map.get(&timeline) {
            Some(Obj::Timeline(t)) => t.signal_on_next_submit(&d.queue, value as u64).map_err(err),
            _ => Err(registry::bad("timeline", timeline)),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (device, timeline, value);
        Err(err("timeline semaphores need Vulkan (Linux)"))
    }
}

/// The timeline semaphore's current value.
#[napi]
pub fn timeline_value(timeline: u32) -> Result<f64> {
    #[cfg(target_os = "linux")]
    {
        match reg().map.get(&timeline) {
            Some(Obj::Timeline(t)) => t.value().map(|v| v as f64).map_err(err),
            _ => Err(registry::bad("timeline", timeline)),
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = timeline;
        Err(err("timeline semaphores need Vulkan (Linux)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn adapter_ranking_prefers_hardware() {
        assert!(rank(wgpu::DeviceType::DiscreteGpu, "") < rank(wgpu::DeviceType::Cpu, ""));
        assert!(rank(wgpu::DeviceType::IntegratedGpu, "") < rank(wgpu::DeviceType::Cpu, ""));
        assert!(
            rank(wgpu::DeviceType::IntegratedGpu, "low-power")
                < rank(wgpu::DeviceType::DiscreteGpu, "low-power")
        );
    }

    /// End to end through the flat API on the real adapter (lavapipe on CI): a compute pass
    /// recorded as a command stream doubles an array.
    #[test]
    fn compute_pass_replay_doubles_an_array() {
        let a = request_adapter(None, None).expect("an adapter (install mesa-vulkan-drivers)");
        assert!(!adapter_info(a).unwrap().name.is_empty());
        let d = request_device(a, vec![], None, None, None).unwrap();
        let n = 256usize;
        let input: Vec<f32> = (0..n).map(|i| i as f32 - 7.5).collect();
        let bytes: Vec<u8> = input.iter().flat_map(|f| f.to_le_bytes()).collect();
        let usage = (wgpu::BufferUsages::STORAGE
            | wgpu::BufferUsages::COPY_DST
            | wgpu::BufferUsages::COPY_SRC)
            .bits();
        let buf = create_buffer(d, (n * 4) as f64, usage, false, None).unwrap();
        queue_write_buffer(d, buf, 0.0, Uint8Array::new(bytes)).unwrap();
        let code = "@group(0) @binding(0) var<storage, read_write> v: array<f32>;\n\
            @compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) { v[id.x] = v[id.x] * 2.0; }";
        let m = create_shader_module(d, code.into(), None).unwrap();
        let p = create_compute_pipeline(
            d,
            format!(r#"{{"layout":null,"compute":{{"module":{m}}}}}"#),
        )
        .unwrap();
        let bgl = pipeline_bind_group_layout(p, 0).unwrap();
        let bg = create_bind_group(
            d,
            format!(
                r#"{{"layout":{bgl},"entries":[{{"binding":0,"resource":{{"buffer":{buf}}}}}]}}"#
            ),
        )
        .unwrap();
        let read_usage = (wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST).bits();
        let read = create_buffer(d, (n * 4) as f64, read_usage, false, None).unwrap();
        let e = create_command_encoder(d, None).unwrap();
        let cmds = vec![
            passes::SET_PIPELINE,
            p,
            passes::SET_BIND_GROUP,
            0,
            bg,
            0,
            passes::DISPATCH,
            (n / 64) as u32,
            1,
            1,
        ];
        encoder_compute_pass(e, None, Uint32Array::new(cmds)).unwrap();
        encoder_copy_buffer_to_buffer(e, buf, 0.0, read, 0.0, None).unwrap();
        let cb = encoder_finish(e, None).unwrap();
        queue_submit(d, vec![cb]).unwrap();
        let (dev, rb) = {
            let r = reg();
            (
                r.device(d).unwrap().clone(),
                r.buffer(read).unwrap().clone(),
            )
        };
        let (tx, rx) = mpsc::channel();
        rb.map_async(wgpu::MapMode::Read, .., move |res| tx.send(res).unwrap());
        wait_with_poll(&dev.device, &rx).unwrap().unwrap();
        let out: Vec<f32> = rb
            .get_mapped_range(..)
            .unwrap()
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        assert_eq!(out, input.iter().map(|x| x * 2.0).collect::<Vec<_>>());
        assert!(take_uncaptured_errors(d).unwrap().is_empty());
    }

    #[test]
    fn truncated_command_stream_is_an_error() {
        let a = request_adapter(None, None).unwrap();
        let d = request_device(a, vec![], None, None, None).unwrap();
        let e = create_command_encoder(d, None).unwrap();
        assert!(
            encoder_compute_pass(e, None, Uint32Array::new(vec![passes::DISPATCH, 1])).is_err()
        );
        assert!(encoder_compute_pass(e, None, Uint32Array::new(vec![999])).is_err());
    }

    #[test]
    fn help_names_the_debian_package() {
        assert!(NO_ADAPTER_HELP.contains("mesa-vulkan-drivers"));
    }

    #[test]
    fn feature_names_are_webgpu_names() {
        let names =
            feature_names(wgpu::Features::DEPTH32FLOAT_STENCIL8 | wgpu::Features::TIMESTAMP_QUERY);
        assert!(names.contains(&"depth32float-stencil8".to_string()));
        assert!(names.contains(&"timestamp-query".to_string()));
    }
}
