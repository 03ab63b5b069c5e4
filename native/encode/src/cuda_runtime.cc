// Zerocast native/encode: run-time loading of the CUDA driver API and NVENC (see cuda_runtime.h).
#include "cuda_runtime.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace zerocast {

namespace {
thread_local std::string tlsDlError;  // dlerror() text of the last failed ffnvDlopen

std::string errorTextWith(const CudaFunctions* cu, CUresult r);

std::string hex(const unsigned char* bytes, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s += digits[bytes[i] >> 4];
    s += digits[bytes[i] & 15];
  }
  return s;
}
}  // namespace

void* ffnvDlopen(const char* path) {
  std::string name = path;
  const char* cudaEnv = std::getenv("ZEROCAST_CUDA_LIBRARY");
  const char* nvencEnv = std::getenv("ZEROCAST_NVENC_LIBRARY");
  if (name == "libcuda.so.1" && cudaEnv != nullptr && *cudaEnv != '\0') name = cudaEnv;
  if (name == "libnvidia-encode.so.1" && nvencEnv != nullptr && *nvencEnv != '\0') name = nvencEnv;
  void* h = dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (h == nullptr) {
    const char* e = dlerror();
    tlsDlError = e != nullptr ? e : name + ": cannot be loaded";
  }
  return h;
}

void ffnvLog(void* logctx, const char* fmt, ...) {
  if (logctx == nullptr) return;
  char buf[512];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  std::string line = buf;
  while (!line.empty() && line.back() == '\n') line.pop_back();
  auto* out = static_cast<std::string*>(logctx);
  if (!out->empty()) *out += "; ";
  *out += line;
}

// ---- CUDA ------------------------------------------------------------------------------------

const CudaRuntime& cudaRuntime() {
  static CudaRuntime rt;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string log;
    tlsDlError.clear();
    if (cuda_load_functions(&rt.cu, &log) != 0 || rt.cu == nullptr) {
      rt.cu = nullptr;
      rt.error = "CUDA is not available: " +
                 (tlsDlError.empty() ? log
                                     : "libcuda.so.1 not found (" + tlsDlError +
                                           "; it comes with the NVIDIA driver)");
      return;
    }
    CudaFunctions* cu = rt.cu;
    if (cu->cuImportExternalMemory == nullptr || cu->cuExternalMemoryGetMappedBuffer == nullptr ||
        cu->cuImportExternalSemaphore == nullptr || cu->cuWaitExternalSemaphoresAsync == nullptr ||
        cu->cuDestroyExternalMemory == nullptr || cu->cuDestroyExternalSemaphore == nullptr) {
      rt.error = "the CUDA driver lacks the external memory/semaphore API (cuImportExternalMemory "
                 "needs CUDA 10+ drivers; timeline semaphores need 11.2+)";
      return;
    }
    rt.initResult = cu->cuInit(0);
    if (rt.initResult != CUDA_SUCCESS) {
      rt.error = "cuInit failed: " + errorTextWith(cu, static_cast<CUresult>(rt.initResult));
      return;
    }
    int count = 0;
    CUresult r = cu->cuDeviceGetCount(&count);
    if (r != CUDA_SUCCESS || count <= 0) {
      rt.error = r != CUDA_SUCCESS ? "cuDeviceGetCount failed: " + errorTextWith(cu, r)
                                   : std::string("CUDA reports no device");
      return;
    }
    for (int i = 0; i < count; ++i) {
      CudaDeviceInfo d;
      d.ordinal = i;
      CUdevice dev = 0;
      if (cu->cuDeviceGet(&dev, i) != CUDA_SUCCESS) continue;
      char name[256] = {0};
      if (cu->cuDeviceGetName(name, sizeof name - 1, dev) == CUDA_SUCCESS) d.name = name;
      if (cu->cuDeviceGetUuid != nullptr) {
        CUuuid uuid;
        if (cu->cuDeviceGetUuid(&uuid, dev) == CUDA_SUCCESS) {
          d.uuid = hex(reinterpret_cast<const unsigned char*>(uuid.bytes), sizeof uuid.bytes);
        }
      }
      cu->cuDeviceComputeCapability(&d.computeMajor, &d.computeMinor, dev);
      rt.devices.push_back(d);
    }
  });
  return rt;
}

const CudaRuntime& requireCuda() {
  const CudaRuntime& rt = cudaRuntime();
  if (!rt.error.empty()) throw EncoderError(rt.error);
  return rt;
}

namespace {
/** cuErrorText with explicit functions: usable inside cudaRuntime()'s one-time init. */
std::string errorTextWith(const CudaFunctions* cu, CUresult r) {
  const char* name = nullptr;
  const char* text = nullptr;
  if (cu != nullptr) {
    if (cu->cuGetErrorName != nullptr) cu->cuGetErrorName(r, &name);
    if (cu->cuGetErrorString != nullptr) cu->cuGetErrorString(r, &text);
  }
  std::string s = name != nullptr ? name : "CUDA_ERROR";
  s += " (" + std::to_string(static_cast<int>(r)) + ")";
  if (text != nullptr) s += std::string(": ") + text;
  return s;
}
}  // namespace

std::string cuErrorText(CUresult r) { return errorTextWith(cudaRuntime().cu, r); }

void cuCheck(CUresult r, const char* what) {
  if (r != CUDA_SUCCESS) throw EncoderError(std::string(what) + " failed: " + cuErrorText(r));
}

CUcontext cudaPrimaryContext(const std::string& uuidHex, CudaDeviceInfo* info) {
  const CudaRuntime& rt = requireCuda();
  static std::mutex mutex;
  static std::map<int, CUcontext> contexts;
  const CudaDeviceInfo* chosen = nullptr;
  if (uuidHex.empty()) {
    chosen = &rt.devices.at(0);
  } else {
    std::string want;
    for (char c : uuidHex) {
      if (c != '-') want += static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
    }
    for (const CudaDeviceInfo& d : rt.devices) {
      if (d.uuid == want) chosen = &d;
    }
    if (chosen == nullptr) {
      throw EncoderError("no CUDA device has UUID " + uuidHex +
                         " (the Vulkan device that exported the target is not visible to CUDA)");
    }
  }
  if (info != nullptr) *info = *chosen;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = contexts.find(chosen->ordinal);
  if (it != contexts.end()) return it->second;
  CUdevice dev = 0;
  cuCheck(rt.cu->cuDeviceGet(&dev, chosen->ordinal), "cuDeviceGet");
  CUcontext ctx = nullptr;
  cuCheck(rt.cu->cuDevicePrimaryCtxRetain(&ctx, dev), "cuDevicePrimaryCtxRetain");
  contexts[chosen->ordinal] = ctx;
  return ctx;
}

CudaContextScope::CudaContextScope(CUcontext ctx) {
  cuCheck(cudaRuntime().cu->cuCtxPushCurrent(ctx), "cuCtxPushCurrent");
  pushed_ = true;
}

CudaContextScope::~CudaContextScope() {
  if (pushed_) {
    CUcontext dummy = nullptr;
    cudaRuntime().cu->cuCtxPopCurrent(&dummy);
  }
}

// ---- NVENC -----------------------------------------------------------------------------------

std::string nvencStatusName(int status) {
#define ZC_NVENC_STATUS(x) {x, #x}
  static const std::map<int, const char*> kNames = {
      ZC_NVENC_STATUS(NV_ENC_SUCCESS),
      ZC_NVENC_STATUS(NV_ENC_ERR_NO_ENCODE_DEVICE),
      ZC_NVENC_STATUS(NV_ENC_ERR_UNSUPPORTED_DEVICE),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_ENCODERDEVICE),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_DEVICE),
      ZC_NVENC_STATUS(NV_ENC_ERR_DEVICE_NOT_EXIST),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_PTR),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_EVENT),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_PARAM),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_CALL),
      ZC_NVENC_STATUS(NV_ENC_ERR_OUT_OF_MEMORY),
      ZC_NVENC_STATUS(NV_ENC_ERR_ENCODER_NOT_INITIALIZED),
      ZC_NVENC_STATUS(NV_ENC_ERR_UNSUPPORTED_PARAM),
      ZC_NVENC_STATUS(NV_ENC_ERR_LOCK_BUSY),
      ZC_NVENC_STATUS(NV_ENC_ERR_NOT_ENOUGH_BUFFER),
      ZC_NVENC_STATUS(NV_ENC_ERR_INVALID_VERSION),
      ZC_NVENC_STATUS(NV_ENC_ERR_MAP_FAILED),
      ZC_NVENC_STATUS(NV_ENC_ERR_NEED_MORE_INPUT),
      ZC_NVENC_STATUS(NV_ENC_ERR_ENCODER_BUSY),
      ZC_NVENC_STATUS(NV_ENC_ERR_EVENT_NOT_REGISTERD),
      ZC_NVENC_STATUS(NV_ENC_ERR_GENERIC),
      ZC_NVENC_STATUS(NV_ENC_ERR_INCOMPATIBLE_CLIENT_KEY),
      ZC_NVENC_STATUS(NV_ENC_ERR_UNIMPLEMENTED),
      ZC_NVENC_STATUS(NV_ENC_ERR_RESOURCE_REGISTER_FAILED),
      ZC_NVENC_STATUS(NV_ENC_ERR_RESOURCE_NOT_REGISTERED),
      ZC_NVENC_STATUS(NV_ENC_ERR_RESOURCE_NOT_MAPPED),
  };
#undef ZC_NVENC_STATUS
  auto it = kNames.find(status);
  if (it != kNames.end()) return it->second;
  return "NV_ENC_ERR_UNKNOWN_STATUS(" + std::to_string(status) + ")";
}

std::string nvencOpenHint(int status) {
  if (status == NV_ENC_ERR_NO_ENCODE_DEVICE || status == NV_ENC_ERR_UNSUPPORTED_DEVICE) {
    return " (this GPU has no NVENC video encoder, e.g. A100/H100/H200)";
  }
  return "";
}

NVENCSTATUS nvencOpenSession(const NvencRuntime& nv, CUcontext ctx, void** session) {
  NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS params;
  std::memset(&params, 0, sizeof params);
  params.version = NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS_VER;
  params.deviceType = NV_ENC_DEVICE_TYPE_CUDA;
  params.device = ctx;
  params.apiVersion = NVENCAPI_VERSION;
  return nv.api.nvEncOpenEncodeSessionEx(&params, session);
}

std::string nvencOpenError(const std::string& device, NVENCSTATUS s) {
  return "nvEncOpenEncodeSessionEx failed on " + device + ": " + nvencStatusName(s) + " (" +
         std::to_string(static_cast<int>(s)) + ")" + nvencOpenHint(s);
}

void nvCheck(NVENCSTATUS s, const char* what) {
  if (s != NV_ENC_SUCCESS) {
    throw NvencError(std::string(what) + " failed: " + nvencStatusName(s) + " (" +
                         std::to_string(static_cast<int>(s)) + ")",
                     static_cast<int>(s));
  }
}

const NvencRuntime& nvencRuntime() {
  static NvencRuntime rt;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string log;
    tlsDlError.clear();
    if (nvenc_load_functions(&rt.lib, &log) != 0 || rt.lib == nullptr) {
      rt.lib = nullptr;
      rt.error = "NVENC is not available: " +
                 (tlsDlError.empty() ? log
                                     : "libnvidia-encode.so.1 not found (" + tlsDlError +
                                           "; it comes with the NVIDIA driver)");
      return;
    }
    NVENCSTATUS s = rt.lib->NvEncodeAPIGetMaxSupportedVersion(&rt.maxVersion);
    if (s != NV_ENC_SUCCESS) {
      rt.error = "NvEncodeAPIGetMaxSupportedVersion failed: " + nvencStatusName(s);
      return;
    }
    const uint32_t built = (NVENCAPI_MAJOR_VERSION << 4) | NVENCAPI_MINOR_VERSION;
    if (rt.maxVersion < built) {
      rt.error = "the NVIDIA driver supports NVENC API " + std::to_string(rt.maxVersion >> 4) +
                 "." + std::to_string(rt.maxVersion & 15) + ", this addon needs " +
                 std::to_string(NVENCAPI_MAJOR_VERSION) + "." +
                 std::to_string(NVENCAPI_MINOR_VERSION) + " (update the driver)";
      return;
    }
    rt.api.version = NV_ENCODE_API_FUNCTION_LIST_VER;
    s = rt.lib->NvEncodeAPICreateInstance(&rt.api);
    if (s != NV_ENC_SUCCESS) {
      rt.error = "NvEncodeAPICreateInstance failed: " + nvencStatusName(s);
    }
  });
  return rt;
}

NvencProbe probeNvenc(const std::string& uuidHex) {
  NvencProbe p;
  try {
    CudaDeviceInfo info;
    CUcontext ctx = cudaPrimaryContext(uuidHex, &info);
    p.cudaOk = true;
    p.device = info.name;
    const NvencRuntime& nv = nvencRuntime();
    p.maxVersion = nv.maxVersion;
    if (!nv.error.empty()) {
      p.message = nv.error;
      return p;
    }
    CudaContextScope scope(ctx);
    void* session = nullptr;
    NVENCSTATUS s = nvencOpenSession(nv, ctx, &session);
    p.status = static_cast<int>(s);
    p.statusName = nvencStatusName(s);
    if (s != NV_ENC_SUCCESS) {
      p.message = nvencOpenError(info.name, s);
      // The API asks for nvEncDestroyEncoder even after a failed open when it set a handle.
      if (session != nullptr) nv.api.nvEncDestroyEncoder(session);
      return p;
    }
    p.opened = true;
    uint32_t count = 0;
    if (nv.api.nvEncGetEncodeGUIDCount(session, &count) == NV_ENC_SUCCESS && count > 0) {
      std::vector<GUID> guids(count);
      uint32_t got = 0;
      if (nv.api.nvEncGetEncodeGUIDs(session, guids.data(), count, &got) == NV_ENC_SUCCESS) {
        for (uint32_t i = 0; i < got; ++i) {
          if (std::memcmp(&guids[i], &NV_ENC_CODEC_H264_GUID, sizeof(GUID)) == 0) p.h264 = true;
        }
      }
    }
    nv.api.nvEncDestroyEncoder(session);
  } catch (const std::exception& e) {
    p.message = e.what();
  }
  return p;
}

}  // namespace zerocast
