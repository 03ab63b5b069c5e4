/*
 * A stand-in libnvidia-encode.so.1 for unit tests (loaded through $ZEROCAST_NVENC_LIBRARY): it
 * behaves like the H200 measured on the GPU machine (no video encoder): nvEncOpenEncodeSessionEx
 * returns $FAKE_NVENC_OPEN_STATUS, default 2 (NV_ENC_ERR_UNSUPPORTED_DEVICE in nvEncodeAPI.h, what
 * the H200 with driver 580 returns); every other entry point is absent. It cannot encode.
 */
#include <ffnvcodec/nvEncodeAPI.h>
#include <stdlib.h>

#define EXPORT __attribute__((visibility("default")))

static NVENCSTATUS NVENCAPI fakeOpen(NV_ENC_OPEN_ENCODE_SESSION_EX_PARAMS* p, void** encoder) {
  (void)p;
  *encoder = NULL;
  const char* s = getenv("FAKE_NVENC_OPEN_STATUS");
  return s ? (NVENCSTATUS)atoi(s) : NV_ENC_ERR_UNSUPPORTED_DEVICE;
}

static NVENCSTATUS NVENCAPI fakeDestroy(void* encoder) {
  (void)encoder;
  return NV_ENC_SUCCESS;
}

EXPORT NVENCSTATUS NVENCAPI NvEncodeAPIGetMaxSupportedVersion(uint32_t* version) {
  *version = (12u << 4) | 0u;
  return NV_ENC_SUCCESS;
}

EXPORT NVENCSTATUS NVENCAPI NvEncodeAPICreateInstance(NV_ENCODE_API_FUNCTION_LIST* list) {
  if (list->version != NV_ENCODE_API_FUNCTION_LIST_VER) return NV_ENC_ERR_INVALID_VERSION;
  list->nvEncOpenEncodeSessionEx = fakeOpen;
  list->nvEncDestroyEncoder = fakeDestroy;
  return NV_ENC_SUCCESS;
}
