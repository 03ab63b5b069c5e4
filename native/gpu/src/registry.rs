//! The handle table: every wgpu object the JS side holds is a `u32` handle into one global map.
//!
//! Handles are never reused (a monotonically increasing counter), `0` means "none". Dropping a
//! handle ([`crate::release`]) drops our reference to the wgpu object; wgpu keeps it alive while
//! the GPU still uses it. This keeps GC finalisation (FinalizationRegistry on the JS side) a
//! one-call seam.

use std::collections::HashMap;
use std::sync::{Arc, Condvar, LazyLock, Mutex, MutexGuard, OnceLock};

/// One captured device error (GPUError subclass name and wgpu's message).
#[derive(Clone, Debug)]
pub struct ErrorRecord {
    /// `validation` | `out-of-memory` | `internal`.
    pub kind: &'static str,
    pub message: String,
}

/// A device with its queue and the sinks its asynchronous callbacks write to.
pub struct DeviceState {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    /// Errors that reached wgpu's uncaptured-error handler, not yet taken by JS.
    pub uncaptured: Arc<Mutex<Vec<ErrorRecord>>>,
    /// Set once by wgpu's device-lost callback: (reason, message).
    pub lost: Arc<Mutex<Option<(String, String)>>>,
    poller: OnceLock<Arc<Poller>>,
}

impl DeviceState {
    pub fn new(
        device: wgpu::Device,
        queue: wgpu::Queue,
        uncaptured: Arc<Mutex<Vec<ErrorRecord>>>,
        lost: Arc<Mutex<Option<(String, String)>>>,
    ) -> Self {
        Self {
            device,
            queue,
            uncaptured,
            lost,
            poller: OnceLock::new(),
        }
    }

    /// The device's poller (its thread starts on first use).
    pub fn poller(&self) -> Arc<Poller> {
        self.poller
            .get_or_init(|| Poller::start(self.device.clone()))
            .clone()
    }
}

impl Drop for DeviceState {
    fn drop(&mut self) {
        if let Some(p) = self.poller.get() {
            p.stop();
        }
    }
}

#[derive(Default)]
struct PollerCounts {
    pending: usize,
    stop: bool,
}

/// One thread per device that waits on the GPU (`Device::poll(Wait)`) while callbacks
/// (buffer maps, `onSubmittedWorkDone`) are pending, so wgpu fires them without anyone on the
/// JS thread or the libuv pool blocking. Idle (parked on a condvar) when nothing is pending.
pub struct Poller {
    counts: Mutex<PollerCounts>,
    cv: Condvar,
}

impl Poller {
    fn start(device: wgpu::Device) -> Arc<Self> {
        let p = Arc::new(Poller {
            counts: Mutex::new(PollerCounts::default()),
            cv: Condvar::new(),
        });
        let me = p.clone();
        std::thread::Builder::new()
            .name("zerocast-gpu-poll".into())
            .spawn(move || me.run(device))
            .expect("spawn the GPU poller thread");
        p
    }

    fn lock(&self) -> MutexGuard<'_, PollerCounts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self, device: wgpu::Device) {
        loop {
            {
                let mut c = self.lock();
                while c.pending == 0 && !c.stop {
                    c = self.cv.wait(c).unwrap_or_else(|e| e.into_inner());
                }
                if c.stop {
                    return;
                }
            }
            let _ = device.poll(wgpu::PollType::wait_indefinitely());
            if self.lock().pending > 0 {
                // A callback still waits (e.g. on work submitted after this poll began).
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
    }

    /// Registers one pending callback (call before requesting it).
    pub fn add(&self) {
        self.lock().pending += 1;
        self.cv.notify_one();
    }

    /// Marks one pending callback as fired.
    pub fn done(&self) {
        let mut c = self.lock();
        c.pending = c.pending.saturating_sub(1);
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.cv.notify_one();
    }
}

/// Everything a handle can name.
pub enum Obj {
    Adapter(wgpu::Adapter),
    Device(Arc<DeviceState>),
    Buffer(wgpu::Buffer),
    Texture(wgpu::Texture),
    View(wgpu::TextureView),
    Sampler(wgpu::Sampler),
    Bgl(wgpu::BindGroupLayout),
    Bg(wgpu::BindGroup),
    Pl(wgpu::PipelineLayout),
    Shader(wgpu::ShaderModule),
    RenderPipeline(wgpu::RenderPipeline),
    ComputePipeline(wgpu::ComputePipeline),
    QuerySet(wgpu::QuerySet),
    Bundle(wgpu::RenderBundle),
    Encoder(Option<wgpu::CommandEncoder>),
    CommandBuffer(Option<wgpu::CommandBuffer>),
    /// A Vulkan timeline semaphore (export extension).
    #[cfg(target_os = "linux")]
    Timeline(crate::export::Timeline),
}

/// The global handle table.
pub struct Registry {
    next: u32,
    pub map: HashMap<u32, Obj>,
}

static REG: LazyLock<Mutex<Registry>> = LazyLock::new(|| {
    Mutex::new(Registry {
        next: 1,
        map: HashMap::new(),
    })
});

/// Locks the table (poisoning is ignored: a panic elsewhere must not wedge the addon).
pub fn reg() -> MutexGuard<'static, Registry> {
    REG.lock().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    /// Stores `obj` and returns its new handle.
    pub fn insert(&mut self, obj: Obj) -> u32 {
        let id = self.next;
        self.next += 1;
        self.map.insert(id, obj);
        id
    }
}

pub fn bad(kind: &str, id: u32) -> napi::Error {
    napi::Error::new(
        napi::Status::InvalidArg,
        format!("invalid {kind} handle {id}"),
    )
}

macro_rules! getter {
    ($name:ident, $variant:ident, $ty:ty, $kind:literal) => {
        impl Registry {
            /// Looks a handle up, failing with "invalid <kind> handle" when it names something else.
            pub fn $name(&self, id: u32) -> napi::Result<&$ty> {
                match self.map.get(&id) {
                    Some(Obj::$variant(x)) => Ok(x),
                    _ => Err(bad($kind, id)),
                }
            }
        }
    };
}

getter!(adapter, Adapter, wgpu::Adapter, "adapter");
getter!(device, Device, Arc<DeviceState>, "device");
getter!(buffer, Buffer, wgpu::Buffer, "buffer");
getter!(texture, Texture, wgpu::Texture, "texture");
getter!(view, View, wgpu::TextureView, "texture view");
getter!(sampler, Sampler, wgpu::Sampler, "sampler");
getter!(bgl, Bgl, wgpu::BindGroupLayout, "bind group layout");
getter!(bg, Bg, wgpu::BindGroup, "bind group");
getter!(pl, Pl, wgpu::PipelineLayout, "pipeline layout");
getter!(shader, Shader, wgpu::ShaderModule, "shader module");
getter!(
    render_pipeline,
    RenderPipeline,
    wgpu::RenderPipeline,
    "render pipeline"
);
getter!(
    compute_pipeline,
    ComputePipeline,
    wgpu::ComputePipeline,
    "compute pipeline"
);
getter!(query_set, QuerySet, wgpu::QuerySet, "query set");
getter!(bundle, Bundle, wgpu::RenderBundle, "render bundle");
