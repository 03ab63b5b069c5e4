// Zerocast native/encode: CudaExternalNv12 (see cuda_external.h). CUDA driver API sections:
// "External Resource Interoperability" (cuImportExternalMemory, cuExternalMemoryGetMappedBuffer,
// cuDestroyExternalMemory, cuImportExternalSemaphore, cuWaitExternalSemaphoresAsync,
// cuDestroyExternalSemaphore), "Stream Management", "Memory Management" (cuMemcpyDtoHAsync,
// cuMemFree).
#include "cuda_external.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "cuda_runtime.h"
#include "video_encoder.h"

namespace zerocast {

std::atomic<int> CudaExternalNv12::live_{0};

namespace {

bool fdIsOpen(int fd) { return fd >= 0 && fcntl(fd, F_GETFD) != -1; }

/** Closes the fds still owned by us (not -1, open) exactly once each. */
void closeOwned(int& a, int& b) {
  if (a >= 0 && fdIsOpen(a)) ::close(a);
  if (b >= 0 && b != a && fdIsOpen(b)) ::close(b);
  a = -1;
  b = -1;
}

}  // namespace

CudaExternalNv12::CudaExternalNv12(const ExportedNv12Desc& desc) : desc_(desc) {
  int memFd = desc.memoryFd;  // fds still owned by us (set to -1 once CUDA owns them)
  int semFd = desc.semaphoreFd;
  desc_.memoryFd = -1;
  desc_.semaphoreFd = -1;
  auto fail = [&](const std::string& why) {
    closeOwned(memFd, semFd);
    releaseLocked();
    throw EncoderError(why);
  };

  // ---- argument validation (no CUDA needed) ----
  if (!fdIsOpen(desc.memoryFd)) {
    fail("CudaExternalNv12: memoryFd " + std::to_string(desc.memoryFd) +
         " is not an open file descriptor");
  }
  if (!fdIsOpen(desc.semaphoreFd)) {
    fail("CudaExternalNv12: semaphoreFd " + std::to_string(desc.semaphoreFd) +
         " is not an open file descriptor");
  }
  if (desc.memoryFd == desc.semaphoreFd) {
    fail("CudaExternalNv12: memoryFd and semaphoreFd are the same descriptor (" +
         std::to_string(desc.memoryFd) + ")");
  }
  auto evenIn = [](int v) { return v >= 16 && v <= 8192 && v % 2 == 0; };
  if (!evenIn(desc.width) || !evenIn(desc.height)) {
    fail("CudaExternalNv12: width and height must be even integers in 16..8192 pixels, got " +
         std::to_string(desc.width) + "x" + std::to_string(desc.height));
  }
  if (desc.pitch < desc.width || desc.pitch > (1 << 20)) {
    fail("CudaExternalNv12: pitch " + std::to_string(desc.pitch) + " must be >= width (" +
         std::to_string(desc.width) + " bytes)");
  }
  const uint64_t need = desc.offset + static_cast<uint64_t>(desc.pitch) * desc.height * 3 / 2;
  if (desc.size < need) {
    fail("CudaExternalNv12: size " + std::to_string(desc.size) + " bytes is smaller than offset + "
         "pitch * height * 1.5 = " + std::to_string(need) + " bytes");
  }

  // ---- CUDA ----
  try {
    CudaDeviceInfo info;
    ctx_ = cudaPrimaryContext(desc.deviceUuid, &info);
    deviceName_ = info.name;
  } catch (const EncoderError& e) {
    fail(e.what());
  }
  CudaFunctions* cu = cudaRuntime().cu;
  try {
    CudaContextScope scope(ctx_);
    cuCheck(cu->cuStreamCreate(&stream_, CU_STREAM_NON_BLOCKING), "cuStreamCreate");

    CUDA_EXTERNAL_MEMORY_HANDLE_DESC memDesc;
    std::memset(&memDesc, 0, sizeof memDesc);
    memDesc.type = CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD;
    memDesc.handle.fd = memFd;
    memDesc.size = desc.size;
    memDesc.flags = CUDA_EXTERNAL_MEMORY_DEDICATED;  // the VkDeviceMemory is a dedicated allocation
    cuCheck(cu->cuImportExternalMemory(&extMem_, &memDesc),
            "cuImportExternalMemory(OPAQUE_FD, dedicated)");
    memFd = -1;  // success: the CUDA driver owns (and will close) the fd

    CUDA_EXTERNAL_MEMORY_BUFFER_DESC bufDesc;
    std::memset(&bufDesc, 0, sizeof bufDesc);
    bufDesc.offset = 0;
    bufDesc.size = desc.size;
    cuCheck(cu->cuExternalMemoryGetMappedBuffer(&ptr_, extMem_, &bufDesc),
            "cuExternalMemoryGetMappedBuffer");

    CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC semDesc;
    std::memset(&semDesc, 0, sizeof semDesc);
    semDesc.type = CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD;
    semDesc.handle.fd = semFd;
    cuCheck(cu->cuImportExternalSemaphore(&extSem_, &semDesc),
            "cuImportExternalSemaphore(TIMELINE_SEMAPHORE_FD)");
    semFd = -1;  // success: owned by the driver
  } catch (const EncoderError& e) {
    fail(e.what());
  }
  ++live_;
}

CudaExternalNv12::~CudaExternalNv12() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!closed_) {
    releaseLocked();  // attached encoders hold a shared_ptr, so none is attached here
    --live_;
    closed_ = true;
  }
}

int CudaExternalNv12::liveCount() { return live_.load(); }

void CudaExternalNv12::releaseLocked() {
  const CudaRuntime& rt = cudaRuntime();
  if (rt.cu == nullptr || ctx_ == nullptr) return;
  CudaFunctions* cu = rt.cu;
  if (cu->cuCtxPushCurrent(ctx_) != CUDA_SUCCESS) return;
  if (stream_ != nullptr) cu->cuStreamSynchronize(stream_);  // no copy may still read the buffer
  if (ptr_ != 0) cu->cuMemFree(ptr_);                       // the mapped buffer first,
  if (extMem_ != nullptr) cu->cuDestroyExternalMemory(extMem_);  // then the memory import,
  if (extSem_ != nullptr) cu->cuDestroyExternalSemaphore(extSem_);  // then the semaphore
  if (stream_ != nullptr) cu->cuStreamDestroy(stream_);
  ptr_ = 0;
  extMem_ = nullptr;
  extSem_ = nullptr;
  stream_ = nullptr;
  CUcontext dummy = nullptr;
  cu->cuCtxPopCurrent(&dummy);
}

void CudaExternalNv12::waitLocked(uint64_t frame, int timeoutMs) {
  if (closed_) throw EncoderError("CudaExternalNv12: the target is closed");
  CudaFunctions* cu = cudaRuntime().cu;
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS wait;
  std::memset(&wait, 0, sizeof wait);
  wait.params.fence.value = frame;  // timeline value = frame number signalled by native/gpu
  cuCheck(cu->cuWaitExternalSemaphoresAsync(&extSem_, &wait, 1, stream_),
          "cuWaitExternalSemaphoresAsync");
  // Poll rather than cuStreamSynchronize so a frame that is never signalled times out.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
  for (int spins = 0;; ++spins) {
    CUresult r = cu->cuStreamQuery(stream_);
    if (r == CUDA_SUCCESS) return;
    if (r != CUDA_ERROR_NOT_READY) cuCheck(r, "cuStreamQuery (semaphore wait)");
    if (std::chrono::steady_clock::now() > deadline) {
      throw EncoderError("CudaExternalNv12: frame " + std::to_string(frame) +
                         " was not signalled on the timeline semaphore within " +
                         std::to_string(timeoutMs) + " ms");
    }
    if (spins < 64) {
      std::this_thread::yield();
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
}

void CudaExternalNv12::waitFrame(uint64_t frame, int timeoutMs) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) throw EncoderError("CudaExternalNv12: the target is closed");
  CudaContextScope scope(ctx_);
  waitLocked(frame, timeoutMs);
}

void CudaExternalNv12::copyToHost(uint64_t frame, uint8_t* dst, size_t dstBytes, int timeoutMs) {
  if (dstBytes < frameBytes()) {
    throw EncoderError("CudaExternalNv12: destination is " + std::to_string(dstBytes) +
                       " bytes, need " + std::to_string(frameBytes()));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) throw EncoderError("CudaExternalNv12: the target is closed");
  CudaContextScope scope(ctx_);
  waitLocked(frame, timeoutMs);
  CudaFunctions* cu = cudaRuntime().cu;
  cuCheck(cu->cuMemcpyDtoHAsync(dst, devicePtr(), frameBytes(), stream_), "cuMemcpyDtoHAsync");
  cuCheck(cu->cuStreamSynchronize(stream_), "cuStreamSynchronize");
}

void CudaExternalNv12::attach() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) throw EncoderError("CudaExternalNv12: the target is closed");
  ++attached_;
}

void CudaExternalNv12::detach() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (attached_ > 0) --attached_;
}

void CudaExternalNv12::close() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (closed_) return;
  if (attached_ > 0) {
    throw EncoderError("CudaExternalNv12.close(): " + std::to_string(attached_) +
                       " encoder(s) still use this target; close them first (NVENC must "
                       "unregister the CUDA pointer before it is freed)");
  }
  releaseLocked();
  closed_ = true;
  --live_;
}

}  // namespace zerocast
