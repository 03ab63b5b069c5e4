// Zerocast native/encode: the CUDA driver API and NVENC, loaded at run time.
//
// Both libraries are dlopen'ed through ffnvcodec's loader (cuda_load_functions /
// nvenc_load_functions, see ffnv.h) on first use and never unloaded. Nothing here fails at addon
// load: a machine without NVIDIA gets a user-facing reason ("libcuda.so.1 not found", the
// cuInit error name, ...) from cudaRuntime() / nvencRuntime() instead.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ffnv.h"
#include "video_encoder.h"

namespace zerocast {

/** One CUDA device as the driver reports it (cuDeviceGet / cuDeviceGetName / cuDeviceGetUuid). */
struct CudaDeviceInfo {
  int ordinal = 0;
  std::string name;      ///< e.g. "NVIDIA H200"
  std::string uuid;      ///< 32 lower-case hex digits (CUuuid; equals Vulkan's deviceUUID)
  int computeMajor = 0;  ///< compute capability (cuDeviceComputeCapability)
  int computeMinor = 0;
};

/** The loaded CUDA driver API (process-wide, loaded once). */
struct CudaRuntime {
  CudaFunctions* cu = nullptr;   ///< null when the library could not be loaded
  std::string error;             ///< non-empty when CUDA is unusable (load or cuInit failure)
  int initResult = -1;           ///< CUresult of cuInit(0); -1 when never called
  std::vector<CudaDeviceInfo> devices;
};

/** Loads libcuda.so.1 and runs cuInit(0) once; never throws (see CudaRuntime::error). */
const CudaRuntime& cudaRuntime();

/**
 * The CUDA runtime, or throws EncoderError with the reason (e.g. "CUDA is not available:
 * libcuda.so.1 not found (...)" or "cuInit failed: CUDA_ERROR_NO_DEVICE (100)").
 */
const CudaRuntime& requireCuda();

/** "CUDA_ERROR_INVALID_VALUE (1): invalid argument" (cuGetErrorName + cuGetErrorString). */
std::string cuErrorText(CUresult r);

/** Throws EncoderError "<what> failed: <cuErrorText>" unless r == CUDA_SUCCESS. */
void cuCheck(CUresult r, const char* what);

/**
 * The retained primary context of the device whose UUID is `uuidHex` (32 hex digits, Vulkan's
 * VkPhysicalDeviceIDProperties::deviceUUID), or of device 0 when `uuidHex` is empty. Retained
 * once per device for the life of the process (cuDevicePrimaryCtxRetain).
 * @throws EncoderError when CUDA is unavailable or no device has that UUID.
 */
CUcontext cudaPrimaryContext(const std::string& uuidHex, CudaDeviceInfo* info = nullptr);

/** Makes `ctx` current on this thread for the scope (cuCtxPushCurrent / cuCtxPopCurrent). */
class CudaContextScope {
 public:
  explicit CudaContextScope(CUcontext ctx);
  ~CudaContextScope();
  CudaContextScope(const CudaContextScope&) = delete;
  CudaContextScope& operator=(const CudaContextScope&) = delete;

 private:
  bool pushed_ = false;
};

/** The loaded NVENC API (libnvidia-encode.so.1), process-wide, loaded once. */
struct NvencRuntime {
  NvencFunctions* lib = nullptr;
  NV_ENCODE_API_FUNCTION_LIST api{};
  uint32_t maxVersion = 0;  ///< NvEncodeAPIGetMaxSupportedVersion: (major << 4) | minor
  std::string error;        ///< non-empty when NVENC is unusable
};

/** Loads NVENC once (after CUDA); never throws (see NvencRuntime::error). */
const NvencRuntime& nvencRuntime();

/**
 * The name of an NVENCSTATUS as spelled in nvEncodeAPI.h (NVENC API "Error Codes"), e.g.
 * 1 → "NV_ENC_ERR_NO_ENCODE_DEVICE", 2 → "NV_ENC_ERR_UNSUPPORTED_DEVICE"; unknown values →
 * "NV_ENC_ERR_UNKNOWN_STATUS(<n>)". The table is built from the header's enum constants.
 */
std::string nvencStatusName(int status);

/** Raised for a failed NVENC call; keeps the NVENCSTATUS so callers can branch on it. */
class NvencError : public EncoderError {
 public:
  NvencError(const std::string& message, int status) : EncoderError(message, status) {}
  /** The NVENCSTATUS returned by the failing call. */
  int status() const { return nvencStatus(); }
};

/** " (this GPU has no NVENC video encoder, ...)" for the statuses that mean so, else "". */
std::string nvencOpenHint(int status);

/**
 * nvEncOpenEncodeSessionEx on CUDA context `ctx` (current on this thread) with this header's API
 * version. After a failure `*session` may still hold a handle that wants nvEncDestroyEncoder.
 */
NVENCSTATUS nvencOpenSession(const NvencRuntime& nv, CUcontext ctx, void** session);

/** "nvEncOpenEncodeSessionEx failed on <device>: <status name> (<n>)<hint>". */
std::string nvencOpenError(const std::string& device, NVENCSTATUS s);

/** Throws NvencError "<what> failed: <status name> (<n>)" unless s == NV_ENC_SUCCESS. */
void nvCheck(NVENCSTATUS s, const char* what);

/** Result of probeNvenc(): whether an encode session could be opened on a CUDA device. */
struct NvencProbe {
  bool cudaOk = false;
  bool opened = false;  ///< nvEncOpenEncodeSessionEx returned NV_ENC_SUCCESS
  int status = -1;      ///< its NVENCSTATUS; -1 when it was never called
  std::string statusName;
  std::string message;  ///< the reason when !opened
  bool h264 = false;    ///< H.264 is among nvEncGetEncodeGUIDs (only when opened)
  uint32_t maxVersion = 0;
  std::string device;   ///< CUDA device name the session was tried on
};

/** Opens (and closes) one NVENC session on device `uuidHex` (empty: device 0). Never throws. */
NvencProbe probeNvenc(const std::string& uuidHex);

}  // namespace zerocast
