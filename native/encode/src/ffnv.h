// Zerocast native/encode: the one way this addon includes the ffnvcodec headers
// (Debian libffmpeg-nvenc-dev: dynlink_loader.h, dynlink_cuda.h, nvEncodeAPI.h; MIT).
//
// ffnvcodec's loader dlopen()s libcuda.so.1 / libnvidia-encode.so.1 at run time, so nothing
// NVIDIA is needed at build time and the addon loads on machines without NVIDIA. Its hooks are
// routed here so that (1) the dlopen error text is kept for the user-facing reason instead of
// being printed to stderr, and (2) $ZEROCAST_CUDA_LIBRARY / $ZEROCAST_NVENC_LIBRARY may name the
// library to load instead (tests, unusual installs).
#pragma once

namespace zerocast {
/** dlopen() for ffnvcodec's loader: applies the env overrides and records dlerror(). */
void* ffnvDlopen(const char* path);
/** ffnvcodec's log hook: appends the formatted message to the std::string* `logctx`. */
void ffnvLog(void* logctx, const char* fmt, ...) __attribute__((format(printf, 2, 3)));
}  // namespace zerocast

#define FFNV_LOAD_FUNC(path) ::zerocast::ffnvDlopen(path)
#define FFNV_SYM_FUNC(lib, sym) dlsym((lib), (sym))
#define FFNV_FREE_FUNC(lib) dlclose(lib)
#define FFNV_LOG_FUNC(logctx, msg, ...) ::zerocast::ffnvLog((logctx), (msg), __VA_ARGS__)
#define FFNV_DEBUG_LOG_FUNC(logctx, msg, ...) ((void)(logctx))

#include <dlfcn.h>
#include <ffnvcodec/dynlink_loader.h>

/** CUDA_EXTERNAL_MEMORY_DEDICATED (CUDA driver API, cuImportExternalMemory flags); not in ffnvcodec. */
#ifndef CUDA_EXTERNAL_MEMORY_DEDICATED
#define CUDA_EXTERNAL_MEMORY_DEDICATED 0x1
#endif
