/*
 * A stand-in libcuda.so.1 for unit tests on machines without NVIDIA (loaded through
 * $ZEROCAST_CUDA_LIBRARY). NOT a GPU: "device memory" is the memory fd mmap'ed (a regular file),
 * and a "timeline semaphore" is a regular file whose first 8 bytes hold its current value
 * (little endian); the test signals value N by writing N there. It emulates the CUDA driver API
 * semantics the addon relies on:
 *   - cuImportExternalMemory / cuImportExternalSemaphore take ownership of the fd on success
 *     (closed by cuDestroyExternal*), and leave it alone on failure;
 *   - cuWaitExternalSemaphoresAsync makes later work on the stream wait until the value is
 *     reached (cuStreamQuery → CUDA_ERROR_NOT_READY until then); a cuMemcpyDtoHAsync that would
 *     run before the value is reached is logged as TORN.
 * Every relevant call is appended to $FAKE_CUDA_LOG. $FAKE_CUDA_FAIL=mem-import|sem-import makes
 * that import fail with CUDA_ERROR_INVALID_VALUE; $FAKE_CUDA_INIT=<n> makes cuInit return n.
 * Every other symbol ffnvcodec's loader requires returns CUDA_ERROR_NOT_SUPPORTED (801).
 */
#define _GNU_SOURCE
#include <ffnvcodec/dynlink_cuda.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

static void logf_(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
#include <stdarg.h>
static void logf_(const char* fmt, ...) {
  const char* path = getenv("FAKE_CUDA_LOG");
  if (!path) return;
  FILE* f = fopen(path, "a");
  if (!f) return;
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fputc('\n', f);
  fclose(f);
}

static int failing(const char* what) {
  const char* f = getenv("FAKE_CUDA_FAIL");
  return f && strcmp(f, what) == 0;
}

struct ExtMem { int fd; void* map; size_t size; };
struct ExtSem { int fd; };
struct Stream { struct ExtSem* sem; unsigned long long value; };

static unsigned long long semValue(struct ExtSem* s) {
  unsigned long long v = 0;
  if (pread(s->fd, &v, sizeof v, 0) != (ssize_t)sizeof v) return 0;
  return v;
}

static int pending(struct Stream* st) { return st->sem && semValue(st->sem) < st->value; }

EXPORT CUresult cuInit(unsigned int flags) {
  (void)flags;
  const char* e = getenv("FAKE_CUDA_INIT");
  return e ? (CUresult)atoi(e) : CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetCount(int* n) { *n = 1; return CUDA_SUCCESS; }
EXPORT CUresult cuDeviceGet(CUdevice* d, int ordinal) { *d = ordinal; return ordinal == 0 ? CUDA_SUCCESS : (CUresult)101; }
EXPORT CUresult cuDeviceGetName(char* name, int len, CUdevice d) {
  (void)d;
  snprintf(name, (size_t)len, "Fake CUDA device (zerocast test stub)");
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceGetUuid(CUuuid* u, CUdevice d) {
  (void)d;
  for (int i = 0; i < 16; ++i) u->bytes[i] = (char)(0xa0 + i);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDeviceComputeCapability(int* major, int* minor, CUdevice d) {
  (void)d; *major = 9; *minor = 0; return CUDA_SUCCESS;
}
EXPORT CUresult cuGetErrorName(CUresult r, const char** s) {
  switch ((int)r) {
    case 0: *s = "CUDA_SUCCESS"; return CUDA_SUCCESS;
    case 1: *s = "CUDA_ERROR_INVALID_VALUE"; return CUDA_SUCCESS;
    case 100: *s = "CUDA_ERROR_NO_DEVICE"; return CUDA_SUCCESS;
    case 600: *s = "CUDA_ERROR_NOT_READY"; return CUDA_SUCCESS;
    case 801: *s = "CUDA_ERROR_NOT_SUPPORTED"; return CUDA_SUCCESS;
    default: *s = "CUDA_ERROR_UNKNOWN"; return CUDA_SUCCESS;
  }
}
EXPORT CUresult cuGetErrorString(CUresult r, const char** s) {
  switch ((int)r) {
    case 0: *s = "no error"; break;
    case 1: *s = "invalid argument"; break;
    case 100: *s = "no CUDA-capable device is detected"; break;
    default: *s = "fake driver error"; break;
  }
  return CUDA_SUCCESS;
}
static int ctxToken;
EXPORT CUresult cuDevicePrimaryCtxRetain(CUcontext* c, CUdevice d) { (void)d; *c = (CUcontext)&ctxToken; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxPushCurrent_v2(CUcontext c) { (void)c; return CUDA_SUCCESS; }
EXPORT CUresult cuCtxPopCurrent_v2(CUcontext* c) { if (c) *c = (CUcontext)&ctxToken; return CUDA_SUCCESS; }

EXPORT CUresult cuStreamCreate(CUstream* s, unsigned int flags) {
  (void)flags;
  *s = (CUstream)calloc(1, sizeof(struct Stream));
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamQuery(CUstream s) {
  struct Stream* st = (struct Stream*)s;
  if (pending(st)) return CUDA_ERROR_NOT_READY;
  st->sem = NULL;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamSynchronize(CUstream s) {
  struct Stream* st = (struct Stream*)s;
  for (int i = 0; i < 50000 && pending(st); ++i) usleep(100);
  if (pending(st)) return CUDA_ERROR_UNKNOWN;
  st->sem = NULL;
  return CUDA_SUCCESS;
}
EXPORT CUresult cuStreamDestroy_v2(CUstream s) { free(s); logf_("cuStreamDestroy"); return CUDA_SUCCESS; }

EXPORT CUresult cuImportExternalMemory(CUexternalMemory* out, const CUDA_EXTERNAL_MEMORY_HANDLE_DESC* d) {
  if (failing("mem-import") || d->type != CU_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD) return (CUresult)1;
  struct stat sb;
  if (fstat(d->handle.fd, &sb) != 0 || (unsigned long long)sb.st_size < d->size) return (CUresult)1;
  void* map = mmap(NULL, d->size, PROT_READ, MAP_SHARED, d->handle.fd, 0);
  if (map == MAP_FAILED) return (CUresult)1;
  struct ExtMem* m = (struct ExtMem*)calloc(1, sizeof *m);
  m->fd = d->handle.fd;  /* owned from here on */
  m->map = map;
  m->size = d->size;
  *out = (CUexternalMemory)m;
  logf_("cuImportExternalMemory fd=%d size=%llu dedicated=%u", d->handle.fd, d->size, d->flags & 1);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuExternalMemoryGetMappedBuffer(CUdeviceptr* p, CUexternalMemory em, const CUDA_EXTERNAL_MEMORY_BUFFER_DESC* d) {
  struct ExtMem* m = (struct ExtMem*)em;
  if (d->offset + d->size > m->size) return (CUresult)1;
  *p = (CUdeviceptr)((uintptr_t)m->map + d->offset);
  logf_("cuExternalMemoryGetMappedBuffer offset=%llu size=%llu", d->offset, d->size);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemFree_v2(CUdeviceptr p) { (void)p; logf_("cuMemFree"); return CUDA_SUCCESS; }
EXPORT CUresult cuDestroyExternalMemory(CUexternalMemory em) {
  struct ExtMem* m = (struct ExtMem*)em;
  munmap(m->map, m->size);
  close(m->fd);
  logf_("cuDestroyExternalMemory fd=%d", m->fd);
  free(m);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuImportExternalSemaphore(CUexternalSemaphore* out, const CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC* d) {
  if (failing("sem-import") || d->type != CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD) return (CUresult)1;
  struct ExtSem* s = (struct ExtSem*)calloc(1, sizeof *s);
  s->fd = d->handle.fd;  /* owned from here on */
  *out = (CUexternalSemaphore)s;
  logf_("cuImportExternalSemaphore fd=%d timeline=1", d->handle.fd);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuDestroyExternalSemaphore(CUexternalSemaphore es) {
  struct ExtSem* s = (struct ExtSem*)es;
  close(s->fd);
  logf_("cuDestroyExternalSemaphore fd=%d", s->fd);
  free(s);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuWaitExternalSemaphoresAsync(const CUexternalSemaphore* sems, const CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS* p, unsigned int n, CUstream s) {
  struct Stream* st = (struct Stream*)s;
  if (n != 1) return (CUresult)1;
  st->sem = (struct ExtSem*)sems[0];
  st->value = p[0].params.fence.value;
  logf_("cuWaitExternalSemaphoresAsync value=%llu", st->value);
  return CUDA_SUCCESS;
}
EXPORT CUresult cuMemcpyDtoHAsync_v2(void* dst, CUdeviceptr src, size_t n, CUstream s) {
  struct Stream* st = (struct Stream*)s;
  int torn = pending(st);
  memcpy(dst, (const void*)(uintptr_t)src, n);
  logf_("cuMemcpyDtoHAsync bytes=%zu%s", n, torn ? " TORN" : "");
  return CUDA_SUCCESS;
}

/* The rest of what ffnvcodec's cuda_load_functions requires: present, unsupported. */
#define UNSUPPORTED(name) EXPORT int name(void) { return 801; }
UNSUPPORTED(cuDeviceGetAttribute) UNSUPPORTED(cuCtxCreate_v2) UNSUPPORTED(cuCtxSetLimit)
UNSUPPORTED(cuCtxDestroy_v2) UNSUPPORTED(cuMemAlloc_v2) UNSUPPORTED(cuMemAllocPitch_v2)
UNSUPPORTED(cuMemAllocManaged) UNSUPPORTED(cuMemsetD8Async) UNSUPPORTED(cuMemcpy)
UNSUPPORTED(cuMemcpyAsync) UNSUPPORTED(cuMemcpy2D_v2) UNSUPPORTED(cuMemcpy2DAsync_v2)
UNSUPPORTED(cuMemcpyHtoD_v2) UNSUPPORTED(cuMemcpyHtoDAsync_v2) UNSUPPORTED(cuMemcpyDtoH_v2)
UNSUPPORTED(cuMemcpyDtoD_v2) UNSUPPORTED(cuMemcpyDtoDAsync_v2) UNSUPPORTED(cuCtxGetDevice)
UNSUPPORTED(cuDevicePrimaryCtxRelease) UNSUPPORTED(cuDevicePrimaryCtxSetFlags)
UNSUPPORTED(cuDevicePrimaryCtxGetState) UNSUPPORTED(cuDevicePrimaryCtxReset)
UNSUPPORTED(cuStreamAddCallback) UNSUPPORTED(cuEventCreate) UNSUPPORTED(cuEventDestroy_v2)
UNSUPPORTED(cuEventSynchronize) UNSUPPORTED(cuEventQuery) UNSUPPORTED(cuEventRecord)
UNSUPPORTED(cuLaunchKernel) UNSUPPORTED(cuLinkCreate) UNSUPPORTED(cuLinkAddData)
UNSUPPORTED(cuLinkComplete) UNSUPPORTED(cuLinkDestroy) UNSUPPORTED(cuModuleLoadData)
UNSUPPORTED(cuModuleUnload) UNSUPPORTED(cuModuleGetFunction) UNSUPPORTED(cuModuleGetGlobal)
UNSUPPORTED(cuTexObjectCreate) UNSUPPORTED(cuTexObjectDestroy) UNSUPPORTED(cuGLGetDevices_v2)
UNSUPPORTED(cuGraphicsGLRegisterImage) UNSUPPORTED(cuGraphicsUnregisterResource)
UNSUPPORTED(cuGraphicsMapResources) UNSUPPORTED(cuGraphicsUnmapResources)
UNSUPPORTED(cuGraphicsSubResourceGetMappedArray) UNSUPPORTED(cuGraphicsResourceGetMappedPointer_v2)
UNSUPPORTED(cuArray3DCreate_v2) UNSUPPORTED(cuArrayDestroy)
