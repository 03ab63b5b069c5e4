// Zerocast native/encode: an NV12 frame target exported by Vulkan (native/gpu), imported into CUDA.
//
// native/gpu allocates one dedicated VkBuffer + VkDeviceMemory with VkExportMemoryAllocateInfo
// (OPAQUE_FD) that its NV12 compute pass writes, and one exportable timeline semaphore that the
// submit writing frame N signals with value N. It hands out { memoryFd, semaphoreFd, size, pitch,
// width, height }. This class imports both once (CUDA driver API, "External Resource
// Interoperability": cuImportExternalMemory + cuExternalMemoryGetMappedBuffer,
// cuImportExternalSemaphore) and, per frame, enqueues cuWaitExternalSemaphoresAsync(value = N) on
// its own CUDA stream before anything reads the buffer, so a torn (half-written) frame is never read.
//
// File descriptors: the constructor takes ownership of both fds whatever happens. A successful
// import transfers the fd to CUDA (the driver closes it; the caller must not); when an import
// fails, or the arguments are rejected before it, the constructor closes the fds that were not
// transferred. Each fd is therefore closed exactly once. An fd number that is not open (EBADF) is
// reported and not closed.
//
// Teardown order: every NVENC session using this target must unregister it first (close the
// encoders), then close() frees the CUDA side (cuMemFree of the mapped pointer,
// cuDestroyExternalMemory, cuDestroyExternalSemaphore, cuStreamDestroy), and only then may
// native/gpu destroy its VkBuffer / VkDeviceMemory / VkSemaphore.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include "ffnv.h"

namespace zerocast {

/** Geometry and handles of an exported NV12 target (all sizes in bytes / pixels). */
struct ExportedNv12Desc {
  int memoryFd = -1;      ///< OPAQUE_FD of the VkDeviceMemory (vkGetMemoryFdKHR)
  int semaphoreFd = -1;   ///< OPAQUE_FD of the timeline VkSemaphore (vkGetSemaphoreFdKHR)
  uint64_t size = 0;      ///< allocation size (VkMemoryRequirements::size), bytes
  int pitch = 0;          ///< row pitch of both planes, bytes (>= width)
  int width = 0;          ///< pixels, even
  int height = 0;         ///< pixels, even
  uint64_t offset = 0;    ///< byte offset of the Y plane in the allocation (0 today)
  std::string deviceUuid; ///< Vulkan deviceUUID (32 hex digits) or "" for CUDA device 0
};

/** The CUDA import of an exported NV12 target; thread-safe (one internal mutex). */
class CudaExternalNv12 {
 public:
  /**
   * Validates `desc`, then imports the memory and the semaphore and maps the buffer.
   * Owns both fds from the call on (see the file comment).
   * @throws EncoderError with a user-facing reason (bad fd, sizes, CUDA missing, import error).
   */
  explicit CudaExternalNv12(const ExportedNv12Desc& desc);
  ~CudaExternalNv12();
  CudaExternalNv12(const CudaExternalNv12&) = delete;
  CudaExternalNv12& operator=(const CudaExternalNv12&) = delete;

  /** Bytes of one NV12 picture in the buffer: pitch * height * 3 / 2. */
  size_t frameBytes() const { return static_cast<size_t>(desc_.pitch) * desc_.height * 3 / 2; }
  const ExportedNv12Desc& desc() const { return desc_; }
  CUcontext context() const { return ctx_; }
  CUstream stream() const { return stream_; }
  /** The mapped device pointer of the Y plane (the UV plane follows at pitch * height). */
  CUdeviceptr devicePtr() const { return ptr_ + desc_.offset; }
  std::string deviceName() const { return deviceName_; }

  /**
   * Waits (on the host, polling the stream) until the timeline semaphore reached `frame`:
   * enqueues cuWaitExternalSemaphoresAsync(value = frame) on the stream, then waits for the
   * stream. After this returns, frame `frame` is completely written and may be read by any
   * CUDA work or NVENC in this context.
   * @throws EncoderError when closed, on a CUDA error, or after `timeoutMs` ms (the frame was never
   *   signalled; the stream then still holds the wait and later work queues behind it).
   */
  void waitFrame(uint64_t frame, int timeoutMs);

  /**
   * waitFrame(frame), then cuMemcpyDtoHAsync of frameBytes() (the pitched NV12: Y rows, then
   * CbCr rows) into `dst` and a stream sync.
   * @throws EncoderError when `dstBytes` < frameBytes() or as waitFrame.
   */
  void copyToHost(uint64_t frame, uint8_t* dst, size_t dstBytes, int timeoutMs);

  /** Counts an NVENC session that registered devicePtr(); close() refuses while any is attached. */
  void attach();
  void detach();

  /**
   * Frees the CUDA side in order: stream sync, cuMemFree(mapped pointer), cuDestroyExternalMemory,
   * cuDestroyExternalSemaphore, cuStreamDestroy. Idempotent.
   * @throws EncoderError while encoders are still attached (close them first).
   */
  void close();
  bool closed() const { return closed_; }

  /** Number of live CudaExternalNv12 imports in this process (for leak tests). */
  static int liveCount();

 private:
  void waitLocked(uint64_t frame, int timeoutMs);
  void releaseLocked();

  ExportedNv12Desc desc_;
  std::mutex mutex_;
  CUcontext ctx_ = nullptr;
  CUstream stream_ = nullptr;
  CUexternalMemory extMem_ = nullptr;
  CUexternalSemaphore extSem_ = nullptr;
  CUdeviceptr ptr_ = 0;
  std::string deviceName_;
  int attached_ = 0;
  bool closed_ = false;
  static std::atomic<int> live_;
};

}  // namespace zerocast
