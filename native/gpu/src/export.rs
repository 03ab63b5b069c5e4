//! Zerocast's export extension (Vulkan only): GPU memory and timeline semaphores that another API
//! (CUDA/NVENC) can import, so an encoder reads the NV12 the compute pass wrote without a copy.
//!
//! Built on what wgpu 30 exposes publicly:
//! - `Adapter::as_hal` + `vulkan::Adapter::open_with_callback` + `Adapter::create_device_from_hal`
//!   to open a device with `VK_KHR_external_semaphore_fd` (wgpu-hal already enables
//!   `VK_KHR_external_memory_fd` when the driver has it);
//! - `vulkan::Buffer::from_raw_managed` + `Device::create_buffer_from_hal` to wrap a `VkBuffer`
//!   on dedicated, exportable (`OPAQUE_FD`) memory as an ordinary `wgpu::Buffer`;
//! - `vulkan::Queue::add_signal_semaphore(sem, Some(value))` to make the next `Queue::submit`
//!   signal a timeline semaphore.
//!
//! Vulkan references: VK_KHR_external_memory_fd, VK_KHR_external_semaphore_fd, timeline
//! semaphores (Vulkan 1.2 core), VkMemoryDedicatedAllocateInfo.

use ash::{khr, vk};
use wgpu::hal::api::Vulkan;
use wgpu::hal::vulkan as hv;

/// What this device can export.
pub struct Capabilities {
    pub memory_fd: bool,
    pub semaphore_fd: bool,
}

/// Opens a device with `VK_KHR_external_semaphore_fd` (and `VK_KHR_external_memory_fd`) added to
/// wgpu's extension list. Returns `Ok(None)` when the adapter is not Vulkan or lacks either
/// extension (the caller then opens a plain device).
pub fn open_exportable_device(
    adapter: &wgpu::Adapter,
    desc: &wgpu::DeviceDescriptor<'_>,
) -> Result<Option<(wgpu::Device, wgpu::Queue)>, String> {
    // SAFETY: the hal adapter is only used to open a device; the guard is dropped before wgpu
    // uses the adapter again.
    let open = unsafe {
        let Some(hal) = adapter.as_hal::<Vulkan>() else {
            return Ok(None);
        };
        let caps = hal.physical_device_capabilities();
        if !caps.supports_extension(khr::external_semaphore_fd::NAME)
            || !caps.supports_extension(khr::external_memory_fd::NAME)
        {
            return Ok(None);
        }
        let callback = Box::new(|args: hv::CreateDeviceCallbackArgs<'_, '_, '_>| {
            for ext in [
                khr::external_semaphore_fd::NAME,
                khr::external_memory_fd::NAME,
            ] {
                if !args.extensions.contains(&ext) {
                    args.extensions.push(ext);
                }
            }
        });
        hal.open_with_callback(
            desc.required_features,
            &desc.required_limits,
            &desc.memory_hints,
            Some(callback),
        )
        .map_err(|e| format!("opening an exportable Vulkan device failed: {e}"))?
    };
    // SAFETY: `open` was created from this adapter with the descriptor's features and limits.
    let pair = unsafe { adapter.create_device_from_hal(open, desc) }
        .map_err(|e| format!("create_device_from_hal failed: {e}"))?;
    Ok(Some(pair))
}

/// Whether `device` can export memory and semaphores as fds.
pub fn capabilities(device: &wgpu::Device) -> Capabilities {
    // SAFETY: read-only use of the hal device to query enabled extensions.
    unsafe {
        match device.as_hal::<Vulkan>() {
            Some(hal) => {
                let ext = hal.enabled_device_extensions();
                Capabilities {
                    memory_fd: ext.contains(&khr::external_memory_fd::NAME),
                    semaphore_fd: ext.contains(&khr::external_semaphore_fd::NAME),
                }
            }
            None => Capabilities {
                memory_fd: false,
                semaphore_fd: false,
            },
        }
    }
}

/// Vulkan deviceUUID (16 bytes as 32 lowercase hex digits) of the device's physical device; CUDA
/// uses it to pick the same GPU (`cuDeviceGetUuid`).
pub fn device_uuid(device: &wgpu::Device) -> Option<String> {
    // SAFETY: queries properties of the physical device the hal device was opened on.
    unsafe {
        let hal = device.as_hal::<Vulkan>()?;
        let instance = hal.shared_instance().raw_instance();
        let mut id = vk::PhysicalDeviceIDProperties::default();
        let mut props = vk::PhysicalDeviceProperties2::default().push_next(&mut id);
        instance.get_physical_device_properties2(hal.raw_physical_device(), &mut props);
        Some(id.device_uuid.iter().map(|b| format!("{b:02x}")).collect())
    }
}

fn vk_buffer_usage(usage: wgpu::BufferUsages) -> vk::BufferUsageFlags {
    let mut f = vk::BufferUsageFlags::TRANSFER_SRC | vk::BufferUsageFlags::TRANSFER_DST;
    if usage.contains(wgpu::BufferUsages::STORAGE) {
        f |= vk::BufferUsageFlags::STORAGE_BUFFER;
    }
    if usage.contains(wgpu::BufferUsages::UNIFORM) {
        f |= vk::BufferUsageFlags::UNIFORM_BUFFER;
    }
    if usage.contains(wgpu::BufferUsages::VERTEX) {
        f |= vk::BufferUsageFlags::VERTEX_BUFFER;
    }
    if usage.contains(wgpu::BufferUsages::INDEX) {
        f |= vk::BufferUsageFlags::INDEX_BUFFER;
    }
    if usage.contains(wgpu::BufferUsages::INDIRECT) {
        f |= vk::BufferUsageFlags::INDIRECT_BUFFER;
    }
    f
}

/// A buffer on exportable memory.
pub struct ExportedBuffer {
    pub buffer: wgpu::Buffer,
    /// `OPAQUE_FD` of the dedicated `VkDeviceMemory`; the caller owns it (close or hand on).
    pub memory_fd: i32,
    /// `VkMemoryRequirements::size` of the allocation, bytes (what CUDA's import needs).
    pub allocation_size: u64,
}

fn vk_err(what: &str) -> impl Fn(vk::Result) -> String + '_ {
    move |e| format!("{what} failed: {e}")
}

/// Creates a `size`-byte device-local buffer on dedicated memory exportable as an `OPAQUE_FD`
/// (or, with `import_fd`, on memory imported from such an fd, which the import then owns) and
/// wraps it as a `wgpu::Buffer` of `usage` (MAP_* usages are not allowed).
pub fn create_exported_buffer(
    device: &wgpu::Device,
    size: u64,
    usage: wgpu::BufferUsages,
    label: Option<&str>,
    import_fd: Option<i32>,
) -> Result<ExportedBuffer, String> {
    if usage.intersects(wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::MAP_WRITE) {
        return Err("exported buffers cannot be mapped".into());
    }
    let handle_type = vk::ExternalMemoryHandleTypeFlags::OPAQUE_FD;
    // SAFETY: raw Vulkan calls on the device wgpu opened; every object created here is either
    // handed to wgpu (which then owns and frees it) or destroyed on the error paths.
    let (hal_buffer, memory_fd, allocation_size) = unsafe {
        let hal = device.as_hal::<Vulkan>().ok_or("not a Vulkan device")?;
        if !hal
            .enabled_device_extensions()
            .contains(&khr::external_memory_fd::NAME)
        {
            return Err("the device lacks VK_KHR_external_memory_fd".into());
        }
        let raw = hal.raw_device();
        let instance = hal.shared_instance().raw_instance();
        let mut ext = vk::ExternalMemoryBufferCreateInfo::default().handle_types(handle_type);
        let info = vk::BufferCreateInfo::default()
            .size(size)
            .usage(vk_buffer_usage(usage))
            .sharing_mode(vk::SharingMode::EXCLUSIVE)
            .push_next(&mut ext);
        let buffer = raw
            .create_buffer(&info, None)
            .map_err(vk_err("vkCreateBuffer"))?;
        let req = raw.get_buffer_memory_requirements(buffer);
        let props = instance.get_physical_device_memory_properties(hal.raw_physical_device());
        let Some(type_index) = (0..props.memory_type_count).find(|&i| {
            req.memory_type_bits & (1 << i) != 0
                && props.memory_types[i as usize]
                    .property_flags
                    .contains(vk::MemoryPropertyFlags::DEVICE_LOCAL)
        }) else {
            raw.destroy_buffer(buffer, None);
            return Err("no device-local memory type for the exported buffer".into());
        };
        let mut dedicated = vk::MemoryDedicatedAllocateInfo::default().buffer(buffer);
        let mut export = vk::ExportMemoryAllocateInfo::default().handle_types(handle_type);
        let mut import = vk::ImportMemoryFdInfoKHR::default()
            .handle_type(handle_type)
            .fd(import_fd.unwrap_or(-1));
        let mut alloc = vk::MemoryAllocateInfo::default()
            .allocation_size(req.size)
            .memory_type_index(type_index)
            .push_next(&mut dedicated);
        alloc = if import_fd.is_some() {
            alloc.push_next(&mut import)
        } else {
            alloc.push_next(&mut export)
        };
        let memory = match raw.allocate_memory(&alloc, None) {
            Ok(m) => m,
            Err(e) => {
                raw.destroy_buffer(buffer, None);
                return Err(format!("vkAllocateMemory (exportable) failed: {e}"));
            }
        };
        if let Err(e) = raw.bind_buffer_memory(buffer, memory, 0) {
            raw.destroy_buffer(buffer, None);
            raw.free_memory(memory, None);
            return Err(format!("vkBindBufferMemory failed: {e}"));
        }
        let fd = if import_fd.is_some() {
            -1
        } else {
            let fd_fn = khr::external_memory_fd::Device::new(instance, raw);
            let get = vk::MemoryGetFdInfoKHR::default()
                .memory(memory)
                .handle_type(handle_type);
            match fd_fn.get_memory_fd(&get) {
                Ok(fd) => fd,
                Err(e) => {
                    raw.destroy_buffer(buffer, None);
                    raw.free_memory(memory, None);
                    return Err(format!("vkGetMemoryFdKHR failed: {e}"));
                }
            }
        };
        (
            hv::Buffer::from_raw_managed(buffer, memory, 0, req.size),
            fd,
            req.size,
        )
    };
    // SAFETY: the hal buffer was created on this device with usages covering `usage`.
    let buffer = unsafe {
        device.create_buffer_from_hal::<Vulkan>(
            hal_buffer,
            &wgpu::BufferDescriptor {
                label,
                size,
                usage,
                mapped_at_creation: false,
            },
        )
    };
    Ok(ExportedBuffer {
        buffer,
        memory_fd,
        allocation_size,
    })
}

/// A Vulkan timeline semaphore, optionally exported as an `OPAQUE_FD`.
pub struct Timeline {
    device: wgpu::Device,
    pub semaphore: vk::Semaphore,
}

impl Timeline {
    /// Creates a timeline semaphore at value 0; with `export`, also returns its fd (owned by the
    /// caller).
    pub fn create(device: &wgpu::Device, export: bool) -> Result<(Timeline, Option<i32>), String> {
        // SAFETY: raw Vulkan calls on the device wgpu opened; the semaphore is destroyed in Drop.
        unsafe {
            let hal = device.as_hal::<Vulkan>().ok_or("not a Vulkan device")?;
            if export
                && !hal
                    .enabled_device_extensions()
                    .contains(&khr::external_semaphore_fd::NAME)
            {
                return Err("the device lacks VK_KHR_external_semaphore_fd".into());
            }
            let raw = hal.raw_device();
            let handle_type = vk::ExternalSemaphoreHandleTypeFlags::OPAQUE_FD;
            let mut ty = vk::SemaphoreTypeCreateInfo::default()
                .semaphore_type(vk::SemaphoreType::TIMELINE)
                .initial_value(0);
            let mut exp = vk::ExportSemaphoreCreateInfo::default().handle_types(handle_type);
            let mut info = vk::SemaphoreCreateInfo::default().push_next(&mut ty);
            if export {
                info = info.push_next(&mut exp);
            }
            let semaphore = raw
                .create_semaphore(&info, None)
                .map_err(vk_err("vkCreateSemaphore (timeline)"))?;
            let fd = if export {
                let f = khr::external_semaphore_fd::Device::new(
                    hal.shared_instance().raw_instance(),
                    raw,
                );
                let get = vk::SemaphoreGetFdInfoKHR::default()
                    .semaphore(semaphore)
                    .handle_type(handle_type);
                match f.get_semaphore_fd(&get) {
                    Ok(fd) => Some(fd),
                    Err(e) => {
                        raw.destroy_semaphore(semaphore, None);
                        return Err(format!("vkGetSemaphoreFdKHR failed: {e}"));
                    }
                }
            } else {
                None
            };
            Ok((
                Timeline {
                    device: device.clone(),
                    semaphore,
                },
                fd,
            ))
        }
    }

    /// Makes the next `queue.submit` signal this semaphore to `value`.
    pub fn signal_on_next_submit(&self, queue: &wgpu::Queue, value: u64) -> Result<(), String> {
        // SAFETY: the semaphore belongs to this queue's device and outlives the submit (Drop
        // waits for the device to go idle first).
        unsafe {
            let q = queue.as_hal::<Vulkan>().ok_or("not a Vulkan queue")?;
            q.add_signal_semaphore(self.semaphore, Some(value));
        }
        Ok(())
    }

    /// The semaphore's current value (vkGetSemaphoreCounterValue).
    pub fn value(&self) -> Result<u64, String> {
        // SAFETY: read-only query of a live semaphore.
        unsafe {
            let hal = self
                .device
                .as_hal::<Vulkan>()
                .ok_or("not a Vulkan device")?;
            hal.raw_device()
                .get_semaphore_counter_value(self.semaphore)
                .map_err(vk_err("vkGetSemaphoreCounterValue"))
        }
    }
}

impl Drop for Timeline {
    fn drop(&mut self) {
        let _ = self.device.poll(wgpu::PollType::wait_indefinitely());
        // SAFETY: the device is idle for the work that could signal the semaphore.
        unsafe {
            if let Some(hal) = self.device.as_hal::<Vulkan>() {
                hal.raw_device().destroy_semaphore(self.semaphore, None);
            }
        }
    }
}
