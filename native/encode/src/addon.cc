// Zerocast native/encode: the N-API surface (node-addon-api).
//
// One NativeEncoder = one VideoEncoder + one dedicated worker thread with a FIFO queue. encode()
// copies the caller's NV12 bytes on the JS thread (so the caller may reuse its buffer at once),
// queues a job and returns a Promise; the worker de-interleaves and encodes, then hands the result
// back to the JS thread through a ThreadSafeFunction, which settles the Promise.
//
// JS API (wrapped by main/encode/openh264.ts, nvenc.ts, cuda.ts):
//   new NativeEncoder({codec, width, height, fps, bitrate, keyframeInterval,
//                      target?: CudaExternalNv12, targets?: CudaExternalNv12[] (a ring),
//                      targetTimeoutMs?})                                    throws on failure
//   encoder.encode(data, width, height, pitch, ptsMs, frameId) -> Promise<NativeResult>
//   encoder.encodeExported(frameNumber, ptsMs, frameId, slot = 0) -> Promise<NativeResult>
//                                                           (needs target(s); slot = ring index)
//   encoder.setBitrate(bps); encoder.requestKeyframe(); encoder.close() -> Promise<void>
//   encoder.name, encoder.zeroCopy, encoder.workerThreadId
//   new CudaExternalNv12({memoryFd, semaphoreFd, size, pitch, width, height, offset?, deviceUuid?})
//   target.copyToHost(frameNumber, timeoutMs?) -> Buffer; target.waitFrame(frameNumber, timeoutMs?)
//   target.close(); target.closed / frameBytes / deviceName; CudaExternalNv12.liveCount()
//   encoderNames(), unavailableReason(codec), chooseLevel(w, h, fps, bps), currentThreadId(),
//   cudaProbe(), nvencProbe(deviceUuid?), nvencStatusName(status)
#include <napi.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cuda_external.h"
#include "cuda_runtime.h"
#include "video_encoder.h"

namespace zerocast {
namespace {

using Clock = std::chrono::steady_clock;

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int64_t threadId() { return static_cast<int64_t>(syscall(SYS_gettid)); }

/** A unit of work for the worker, and (after it ran) its result. */
struct Job {
  enum class Kind { Encode, Closed } kind = Kind::Encode;
  // Input (filled on the JS thread): tightly packed NV12 (pitch == width). Not zero-initialised:
  // every byte is written by the copy.
  std::unique_ptr<uint8_t[]> nv12;
  bool exported = false;     // encode frame `targetFrame` of the bound GPU target instead
  uint64_t targetFrame = 0;  // timeline semaphore value of that frame
  size_t targetSlot = 0;     // which bound target (ring slot) holds it
  int64_t ptsMs = 0;
  double frameId = 0;
  bool forceKeyframe = false;
  int bitrate = 0;
  Clock::time_point queuedAt;
  napi_deferred deferred = nullptr;
  // Output (filled on the worker thread).
  EncodedFrame out;
  std::string error;
  double encodeMs = 0;
  double queueMs = 0;
  int64_t workerThreadId = 0;
};

/** Per-environment data: the CudaExternalNv12 constructor, to recognise its instances. */
struct AddonData {
  Napi::FunctionReference targetCtor;
};

/** Throws the JS equivalent of an EncoderError (NvencError adds nvencStatus/nvencStatusName). */
[[noreturn]] void throwJs(Napi::Env env, const EncoderError& e) {
  Napi::Error err = Napi::Error::New(env, e.what());
  if (e.nvencStatus() >= 0) {
    err.Set("nvencStatus", Napi::Number::New(env, e.nvencStatus()));
    err.Set("nvencStatusName", Napi::String::New(env, nvencStatusName(e.nvencStatus())));
  }
  throw err;
}

/**
 * Reads a frame number argument: the timeline semaphore value native/gpu signals when the frame
 * is written, an integer in 1..2^53-1. 0 is refused: it is the semaphore's initial value, so
 * waiting for it would order nothing (a torn read of the first frame).
 */
uint64_t frameArg(const Napi::Value& v, const char* fn) {
  const double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 1 && d <= 9007199254740991.0 && d == static_cast<double>(static_cast<uint64_t>(d)))) {
    throw Napi::RangeError::New(
        v.Env(), std::string(fn) + ": frameNumber must be an integer >= 1 (the timeline "
                                   "semaphore value signalled for the frame; 0 is its initial "
                                   "value and would not wait for anything)");
  }
  return static_cast<uint64_t>(d);
}

int timeoutArg(const Napi::CallbackInfo& info, size_t i, const char* fn) {
  if (info.Length() <= i || info[i].IsUndefined()) return 2000;
  const double d = info[i].IsNumber() ? info[i].As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= 600000)) {
    throw Napi::RangeError::New(info.Env(), std::string(fn) + ": timeoutMs must be 0..600000");
  }
  return static_cast<int>(d);
}

/**
 * JS class CudaExternalNv12: the CUDA import of native/gpu's exported NV12 target. Takes ownership
 * of both fds at construction, whether it succeeds or throws (see cuda_external.h).
 */
class CudaTargetWrap : public Napi::ObjectWrap<CudaTargetWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CudaExternalNv12",
                       {
                           InstanceMethod<&CudaTargetWrap::CopyToHost>("copyToHost"),
                           InstanceMethod<&CudaTargetWrap::WaitFrame>("waitFrame"),
                           InstanceMethod<&CudaTargetWrap::Close>("close"),
                           InstanceAccessor<&CudaTargetWrap::Closed>("closed"),
                           InstanceAccessor<&CudaTargetWrap::FrameBytes>("frameBytes"),
                           InstanceAccessor<&CudaTargetWrap::DeviceName>("deviceName"),
                           StaticMethod<&CudaTargetWrap::LiveCount>("liveCount"),
                       });
  }

  explicit CudaTargetWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CudaTargetWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "CudaExternalNv12(desc): desc object expected");
    }
    Napi::Object o = info[0].As<Napi::Object>();
    ExportedNv12Desc d;
    // Read the fds first so that whatever else is wrong, ownership can be honoured (closed once).
    auto fd = [&](const char* key) -> int {
      Napi::Value v = o.Get(key);
      if (!v.IsNumber()) return -1;
      const double x = v.As<Napi::Number>().DoubleValue();
      return x >= 0 && x <= 1 << 30 && x == static_cast<double>(static_cast<int>(x))
                 ? static_cast<int>(x)
                 : -1;
    };
    d.memoryFd = fd("memoryFd");
    d.semaphoreFd = fd("semaphoreFd");
    auto num = [&](const char* key, bool optional) -> double {
      Napi::Value v = o.Get(key);
      if (optional && v.IsUndefined()) return 0;
      if (!v.IsNumber()) return -1;
      return v.As<Napi::Number>().DoubleValue();
    };
    const double size = num("size", false), pitch = num("pitch", false),
                 width = num("width", false), height = num("height", false),
                 offset = num("offset", true);
    auto isInt = [](double v) { return v >= 0 && v == static_cast<double>(static_cast<int64_t>(v)); };
    std::string bad;
    if (!isInt(size) || size > 9007199254740991.0) bad = "size";
    else if (!isInt(pitch) || pitch > 1 << 30) bad = "pitch";
    else if (!isInt(width) || width > 1 << 20) bad = "width";
    else if (!isInt(height) || height > 1 << 20) bad = "height";
    else if (!isInt(offset)) bad = "offset";
    d.size = static_cast<uint64_t>(size > 0 ? size : 0);
    d.pitch = static_cast<int>(pitch > 0 && pitch <= 1 << 30 ? pitch : 0);
    d.width = static_cast<int>(width > 0 && width <= 1 << 20 ? width : 0);
    d.height = static_cast<int>(height > 0 && height <= 1 << 20 ? height : 0);
    d.offset = static_cast<uint64_t>(offset > 0 ? offset : 0);
    if (o.Get("deviceUuid").IsString()) d.deviceUuid = o.Get("deviceUuid").As<Napi::String>();
    if (!bad.empty()) {
      // Still honour the ownership contract: close the valid fds once.
      ExportedNv12Desc closeOnly;
      closeOnly.memoryFd = d.memoryFd;
      closeOnly.semaphoreFd = d.semaphoreFd;
      try {
        CudaExternalNv12 never(closeOnly);  // fails validation on the sizes, closing the fds
      } catch (const EncoderError&) {
      }
      throw Napi::TypeError::New(env, "CudaExternalNv12: '" + bad +
                                          "' must be a non-negative integer (bytes / pixels)");
    }
    try {
      target_ = std::make_shared<CudaExternalNv12>(d);
    } catch (const EncoderError& e) {
      throwJs(env, e);
    }
  }

  /** The shared import (null after close()). */
  std::shared_ptr<CudaExternalNv12> target() const { return target_; }

 private:
  CudaExternalNv12& live(Napi::Env env, const char* fn) {
    if (!target_ || target_->closed()) {
      throw Napi::Error::New(env, std::string(fn) + ": the CudaExternalNv12 target is closed");
    }
    return *target_;
  }

  Napi::Value CopyToHost(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CudaExternalNv12& t = live(env, "copyToHost()");
    const uint64_t frame = frameArg(info.Length() > 0 ? info[0] : env.Undefined(), "copyToHost()");
    const int timeoutMs = timeoutArg(info, 1, "copyToHost()");
    Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::New(env, t.frameBytes());
    try {
      t.copyToHost(frame, out.Data(), out.Length(), timeoutMs);
    } catch (const EncoderError& e) {
      throwJs(env, e);
    }
    return out;
  }

  void WaitFrame(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CudaExternalNv12& t = live(env, "waitFrame()");
    const uint64_t frame = frameArg(info.Length() > 0 ? info[0] : env.Undefined(), "waitFrame()");
    try {
      t.waitFrame(frame, timeoutArg(info, 1, "waitFrame()"));
    } catch (const EncoderError& e) {
      throwJs(env, e);
    }
  }

  void Close(const Napi::CallbackInfo& info) {
    if (!target_) return;
    try {
      target_->close();
    } catch (const EncoderError& e) {
      throwJs(info.Env(), e);
    }
    target_.reset();  // encoders that were closed released theirs already
  }

  Napi::Value Closed(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), !target_ || target_->closed());
  }
  Napi::Value FrameBytes(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(),
                             target_ ? static_cast<double>(target_->frameBytes()) : 0.0);
  }
  Napi::Value DeviceName(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), target_ ? target_->deviceName() : std::string());
  }
  static Napi::Value LiveCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), CudaExternalNv12::liveCount());
  }

  std::shared_ptr<CudaExternalNv12> target_;
};

class NativeEncoder;

/** State shared by the JS object, the worker thread and the ThreadSafeFunction. */
struct State {
  std::unique_ptr<VideoEncoder> encoder;
  EncoderSettings settings;
  std::mutex mutex;
  std::condition_variable wake;
  std::deque<std::unique_ptr<Job>> queue;  // guarded by mutex
  bool stop = false;                       // guarded by mutex
  bool silentStop = false;                 // guarded by mutex: no "closed" message (GC path)
  // Input buffers the worker has finished with, reused to spare the JS thread fresh pages.
  std::vector<std::unique_ptr<uint8_t[]>> spare;  // guarded by mutex
  std::thread worker;
  napi_threadsafe_function tsfn = nullptr;
  bool tsfnFinalized = false;  // JS thread only
  NativeEncoder* owner = nullptr;  // JS thread only; null once the JS object is gone
  napi_deferred closeDeferred = nullptr;  // JS thread only

  ~State() {
    // Normally the JS thread has joined the worker already. At environment teardown the last
    // owner may be the worker itself, which cannot join itself.
    if (worker.joinable()) {
      if (worker.get_id() == std::this_thread::get_id()) {
        worker.detach();
      } else {
        worker.join();
      }
    }
  }
};

class NativeEncoder : public Napi::ObjectWrap<NativeEncoder> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "NativeEncoder",
                       {
                           InstanceMethod<&NativeEncoder::Encode>("encode"),
                           InstanceMethod<&NativeEncoder::EncodeExported>("encodeExported"),
                           InstanceMethod<&NativeEncoder::SetBitrate>("setBitrate"),
                           InstanceMethod<&NativeEncoder::RequestKeyframe>("requestKeyframe"),
                           InstanceMethod<&NativeEncoder::Close>("close"),
                           InstanceAccessor<&NativeEncoder::Name>("name"),
                           InstanceAccessor<&NativeEncoder::WorkerThreadId>("workerThreadId"),
                           InstanceAccessor<&NativeEncoder::ZeroCopy>("zeroCopy"),
                       });
  }

  explicit NativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NativeEncoder>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !info[0].IsObject()) {
      throw Napi::TypeError::New(env, "NativeEncoder(config): config object expected");
    }
    Napi::Object cfg = info[0].As<Napi::Object>();
    auto num = [&](const char* key) -> double {
      Napi::Value v = cfg.Get(key);
      if (!v.IsNumber()) {
        throw Napi::TypeError::New(env, std::string("encoder config: '") + key +
                                            "' must be a number");
      }
      return v.As<Napi::Number>().DoubleValue();
    };
    std::string codec = cfg.Has("codec") && cfg.Get("codec").IsString()
                            ? cfg.Get("codec").As<Napi::String>().Utf8Value()
                            : std::string("openh264");
    const double width = num("width"), height = num("height"), fps = num("fps"),
                 bitrate = num("bitrate"), keyint = num("keyframeInterval");
    auto isEvenInt = [](double v, double lo, double hi) {
      return v >= lo && v <= hi && v == static_cast<double>(static_cast<int64_t>(v)) &&
             static_cast<int64_t>(v) % 2 == 0;
    };
    if (!isEvenInt(width, 16, 8192) || !isEvenInt(height, 16, 8192)) {
      throw Napi::RangeError::New(env, "encoder config: width and height must be even integers "
                                       "in 16..8192 pixels, got " +
                                           std::to_string(width) + "x" + std::to_string(height));
    }
    if (!(fps > 0 && fps <= 240)) {
      throw Napi::RangeError::New(env, "encoder config: fps must be in (0, 240]");
    }
    if (!(bitrate >= 10000 && bitrate <= 500e6)) {
      throw Napi::RangeError::New(env, "encoder config: bitrate must be 10000..500000000 bit/s");
    }
    if (!(keyint >= 0 && keyint <= 1e6)) {
      throw Napi::RangeError::New(env, "encoder config: keyframeInterval must be >= 0 frames");
    }

    state_ = std::make_shared<State>();
    state_->settings.width = static_cast<int>(width);
    state_->settings.height = static_cast<int>(height);
    state_->settings.fps = fps;
    state_->settings.bitrate = static_cast<int>(bitrate);
    state_->settings.keyframeInterval = static_cast<int>(keyint);
    bitrate_ = state_->settings.bitrate;
    std::vector<std::shared_ptr<CudaExternalNv12>> targets;
    int targetTimeoutMs = 2000;
    auto* data = env.GetInstanceData<AddonData>();
    auto unwrapTarget = [&](const Napi::Value& v, const std::string& what) {
      if (!v.IsObject() || data == nullptr ||
          !v.As<Napi::Object>().InstanceOf(data->targetCtor.Value())) {
        throw Napi::TypeError::New(env, "encoder config: '" + what + "' must be a CudaExternalNv12");
      }
      std::shared_ptr<CudaExternalNv12> t = CudaTargetWrap::Unwrap(v.As<Napi::Object>())->target();
      if (!t || t->closed()) {
        throw Napi::Error::New(env, "encoder config: the CudaExternalNv12 " + what + " is closed");
      }
      const ExportedNv12Desc& d = t->desc();
      if (d.width != state_->settings.width || d.height != state_->settings.height) {
        throw Napi::RangeError::New(
            env, "encoder config: the exported " + what + " is " + std::to_string(d.width) + "x" +
                     std::to_string(d.height) + " but the encoder is configured for " +
                     std::to_string(state_->settings.width) + "x" +
                     std::to_string(state_->settings.height));
      }
      if (!targets.empty() && targets.front()->context() != t->context()) {
        throw Napi::Error::New(env, "encoder config: the ring's targets live on different CUDA "
                                    "devices");
      }
      targets.push_back(std::move(t));
    };
    Napi::Value tv = cfg.Get("target");
    Napi::Value tvs = cfg.Get("targets");
    const bool hasOne = !tv.IsUndefined() && !tv.IsNull();
    const bool hasRing = !tvs.IsUndefined() && !tvs.IsNull();
    if (hasOne && hasRing) {
      throw Napi::TypeError::New(env, "encoder config: pass 'target' or 'targets', not both");
    }
    if (hasOne) unwrapTarget(tv, "target");
    if (hasRing) {
      if (!tvs.IsArray() || tvs.As<Napi::Array>().Length() == 0 ||
          tvs.As<Napi::Array>().Length() > 16) {
        throw Napi::TypeError::New(env, "encoder config: 'targets' must be an array of 1..16 "
                                        "CudaExternalNv12");
      }
      Napi::Array arr = tvs.As<Napi::Array>();
      for (uint32_t i = 0; i < arr.Length(); ++i) {
        unwrapTarget(arr.Get(i), "targets[" + std::to_string(i) + "]");
      }
    }
    if (!targets.empty()) {
      state_->settings.cudaDeviceUuid = targets.front()->desc().deviceUuid;
      if (cfg.Get("targetTimeoutMs").IsNumber()) {
        const double t = cfg.Get("targetTimeoutMs").As<Napi::Number>().DoubleValue();
        if (!(t >= 0 && t <= 600000)) {
          throw Napi::RangeError::New(env, "encoder config: targetTimeoutMs must be 0..600000");
        }
        targetTimeoutMs = static_cast<int>(t);
      }
    }
    try {
      state_->encoder = createVideoEncoder(codec);
      state_->encoder->open(state_->settings);
      for (auto& t : targets) state_->encoder->bindTarget(t, targetTimeoutMs);  // slot = index
    } catch (const EncoderError& e) {
      if (state_->encoder) state_->encoder->close();  // unregisters / detaches the targets
      throwJs(env, e);
    }
    targetCount_ = targets.size();

    // The TSFN's context is a heap shared_ptr freed by its finalizer, so the state outlives
    // whichever of (JS object, TSFN) goes last.
    auto* ctx = new std::shared_ptr<State>(state_);
    napi_status st = napi_create_threadsafe_function(
        env, nullptr, nullptr, Napi::String::New(env, "zerocast-encode"), 0, 1, ctx,
        FinalizeTsfn, ctx, CallJs, &state_->tsfn);
    if (st != napi_ok) {
      delete ctx;
      throw Napi::Error::New(env, "napi_create_threadsafe_function failed");
    }
    napi_unref_threadsafe_function(env, state_->tsfn);  // referenced only while jobs are pending
    state_->owner = this;
    std::shared_ptr<State> s = state_;
    state_->worker = std::thread([s] { WorkerLoop(s); });
  }

  ~NativeEncoder() override {
    // Garbage-collected (or env teardown) without close(): stop the worker quietly. No job is in
    // flight here (the object is strongly referenced while jobs are pending).
    if (!state_) return;
    state_->owner = nullptr;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (!state_->stop) {
        state_->stop = true;
        state_->silentStop = true;
      }
    }
    state_->wake.notify_all();
    if (state_->worker.joinable() && !closing_) {
      state_->worker.join();
      if (!state_->tsfnFinalized) {
        napi_release_threadsafe_function(state_->tsfn, napi_tsfn_release);
      }
    }
  }

 private:
  // ---- JS methods -------------------------------------------------------------------------

  Napi::Value Encode(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw Napi::Error::New(env, "encode(): the encoder is closed");
    if (info.Length() < 6 || !info[0].IsTypedArray()) {
      throw Napi::TypeError::New(
          env, "encode(data: Uint8Array, width, height, pitch, ptsMs, frameId) expected");
    }
    Napi::TypedArray ta = info[0].As<Napi::TypedArray>();
    if (ta.TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(env, "encode(): data must be a Uint8Array");
    }
    for (size_t i = 1; i < 6; ++i) {
      if (!info[i].IsNumber()) {
        throw Napi::TypeError::New(env, "encode(): width, height, pitch, ptsMs and frameId must "
                                        "be numbers");
      }
    }
    const EncoderSettings& s = state_->settings;
    const double w = info[1].As<Napi::Number>().DoubleValue();
    const double h = info[2].As<Napi::Number>().DoubleValue();
    const double pitch = info[3].As<Napi::Number>().DoubleValue();
    if (w != s.width || h != s.height) {
      throw Napi::RangeError::New(env, "encode(): frame is " + fmtInt(w) + "x" + fmtInt(h) +
                                           " pixels but the encoder is configured for " +
                                           std::to_string(s.width) + "x" +
                                           std::to_string(s.height));
    }
    if (!(pitch >= s.width) || pitch != static_cast<double>(static_cast<int64_t>(pitch)) ||
        pitch > 1 << 20) {
      throw Napi::RangeError::New(env, "encode(): pitch " + fmtInt(pitch) +
                                           " must be an integer >= width (" +
                                           std::to_string(s.width) + " bytes)");
    }
    const size_t ipitch = static_cast<size_t>(pitch);
    const size_t need = ipitch * static_cast<size_t>(s.height) * 3 / 2;
    const size_t have = ta.ByteLength();
    if (have < need) {
      throw Napi::RangeError::New(env, "encode(): NV12 data is " + std::to_string(have) +
                                           " bytes, need at least " + std::to_string(need) +
                                           " (pitch " + std::to_string(ipitch) + " x height " +
                                           std::to_string(s.height) + " x 1.5)");
    }

    auto job = std::make_unique<Job>();
    const size_t wz = static_cast<size_t>(s.width), hz = static_cast<size_t>(s.height);
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (!state_->spare.empty()) {
        job->nv12 = std::move(state_->spare.back());
        state_->spare.pop_back();
      }
    }
    if (!job->nv12) job->nv12.reset(new uint8_t[wz * hz * 3 / 2]);
    const uint8_t* src =
        static_cast<const uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    for (size_t row = 0; row < hz * 3 / 2; ++row) {  // Y rows then CbCr rows, same pitch
      std::memcpy(job->nv12.get() + row * wz, src + row * ipitch, wz);
    }
    job->ptsMs = static_cast<int64_t>(info[4].As<Napi::Number>().DoubleValue());
    job->frameId = info[5].As<Napi::Number>().DoubleValue();
    return Queue(env, std::move(job));
  }

  /** Attaches the pending keyframe/bitrate requests to `job`, queues it, returns its Promise. */
  Napi::Value Queue(Napi::Env env, std::unique_ptr<Job> job) {
    job->forceKeyframe = forceKeyframe_;
    forceKeyframe_ = false;
    job->bitrate = bitrate_;
    job->queuedAt = Clock::now();

    napi_value promise;
    napi_create_promise(env, &job->deferred, &promise);
    AddPending(env);
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->queue.push_back(std::move(job));
    }
    state_->wake.notify_one();
    return Napi::Value(env, promise);
  }

  Napi::Value EncodeExported(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw Napi::Error::New(env, "encodeExported(): the encoder is closed");
    if (targetCount_ == 0) {
      throw Napi::Error::New(env, "encodeExported(): this encoder has no exported GPU target "
                                  "(pass config.target or config.targets)");
    }
    if (info.Length() < 3 || !info[1].IsNumber() || !info[2].IsNumber()) {
      throw Napi::TypeError::New(env,
                                 "encodeExported(frameNumber, ptsMs, frameId, slot?) expected");
    }
    size_t slot = 0;
    if (info.Length() > 3 && !info[3].IsUndefined()) {
      const double d = info[3].IsNumber() ? info[3].As<Napi::Number>().DoubleValue() : -1;
      if (!(d >= 0 && d < static_cast<double>(targetCount_) &&
            d == static_cast<double>(static_cast<size_t>(d)))) {
        throw Napi::RangeError::New(env, "encodeExported(): slot must be an integer in 0.." +
                                             std::to_string(targetCount_ - 1));
      }
      slot = static_cast<size_t>(d);
    }
    auto job = std::make_unique<Job>();
    job->exported = true;
    job->targetFrame = frameArg(info[0], "encodeExported()");
    job->targetSlot = slot;
    job->ptsMs = static_cast<int64_t>(info[1].As<Napi::Number>().DoubleValue());
    job->frameId = info[2].As<Napi::Number>().DoubleValue();
    return Queue(env, std::move(job));
  }

  void SetBitrate(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (closing_) throw Napi::Error::New(env, "setBitrate(): the encoder is closed");
    if (info.Length() < 1 || !info[0].IsNumber()) {
      throw Napi::TypeError::New(env, "setBitrate(bitsPerSecond: number) expected");
    }
    const double bps = info[0].As<Napi::Number>().DoubleValue();
    if (!(bps >= 10000 && bps <= 500e6)) {
      throw Napi::RangeError::New(env, "setBitrate(): bitrate must be 10000..500000000 bit/s");
    }
    bitrate_ = static_cast<int>(bps);
  }

  void RequestKeyframe(const Napi::CallbackInfo& info) {
    if (closing_) throw Napi::Error::New(info.Env(), "requestKeyframe(): the encoder is closed");
    forceKeyframe_ = true;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    napi_value promise;
    if (closing_) {  // idempotent: already closing or closed
      napi_deferred d;
      napi_create_promise(env, &d, &promise);
      napi_resolve_deferred(env, d, env.Undefined());
      return Napi::Value(env, promise);
    }
    closing_ = true;
    std::deque<std::unique_ptr<Job>> dropped;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      dropped.swap(state_->queue);
      state_->stop = true;
    }
    state_->wake.notify_all();
    for (auto& job : dropped) {
      napi_reject_deferred(
          env, job->deferred,
          Napi::Error::New(env, "encode(): the encoder was closed before this frame was encoded")
              .Value());
      RemovePending(env);
    }
    napi_create_promise(env, &state_->closeDeferred, &promise);
    AddPending(env);  // keeps the loop alive until the worker reports it has stopped
    return Napi::Value(env, promise);
  }

  Napi::Value Name(const Napi::CallbackInfo& info) {
    return Napi::String::New(info.Env(), state_->encoder->name());
  }

  Napi::Value ZeroCopy(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), targetCount_ > 0 && state_->encoder->zeroCopy());
  }

  Napi::Value WorkerThreadId(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(workerTid_.load()));
  }

  // ---- pending-job bookkeeping (JS thread) -------------------------------------------------

  void AddPending(Napi::Env env) {
    if (pending_++ == 0) {
      Ref();  // keep this object alive while results are due
      napi_ref_threadsafe_function(env, state_->tsfn);
    }
  }

  void RemovePending(Napi::Env env) {
    if (--pending_ == 0) {
      if (!state_->tsfnFinalized) napi_unref_threadsafe_function(env, state_->tsfn);
      Unref();
    }
  }

  static std::string fmtInt(double v) {
    if (v == static_cast<double>(static_cast<int64_t>(v))) {
      return std::to_string(static_cast<int64_t>(v));
    }
    return std::to_string(v);
  }

  // ---- worker thread -------------------------------------------------------------------------

  static void WorkerLoop(std::shared_ptr<State> s) {
    int currentBitrate = s->settings.bitrate;
    const int64_t tid = threadId();
    bool silent = false;
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(s->mutex);
        s->wake.wait(lock, [&] { return s->stop || !s->queue.empty(); });
        if (s->stop) {
          silent = s->silentStop;
          break;  // close() already took the queued jobs
        }
        job = std::move(s->queue.front());
        s->queue.pop_front();
      }
      const Clock::time_point start = Clock::now();
      job->queueMs = msBetween(job->queuedAt, start);
      job->workerThreadId = tid;
      try {
        if (job->bitrate != currentBitrate) {
          s->encoder->setBitrate(job->bitrate);
          currentBitrate = job->bitrate;
        }
        if (job->exported) {  // wait for the frame's semaphore, then NVENC / CUDA copy + CPU codec
          s->encoder->encodeTarget(job->targetSlot, job->targetFrame, job->ptsMs, job->forceKeyframe, job->out);
        } else {
          const int w = s->settings.width, h = s->settings.height;
          Nv12View pic;
          pic.y = job->nv12.get();
          pic.uv = job->nv12.get() + static_cast<size_t>(w) * h;
          pic.pitch = w;
          pic.width = w;
          pic.height = h;
          pic.ptsMs = job->ptsMs;
          s->encoder->encode(pic, job->forceKeyframe, job->out);
        }
      } catch (const std::exception& e) {
        job->error = e.what();
      }
      // encodeMs is the codec alone; transferMs (semaphore wait / CUDA copy) is reported apart.
      job->encodeMs = msBetween(start, Clock::now()) - job->out.transferMs;
      {
        std::lock_guard<std::mutex> lock(s->mutex);  // recycle the input buffer (keep up to 4)
        if (job->nv12 && s->spare.size() < 4) s->spare.push_back(std::move(job->nv12));
      }
      job->nv12.reset();
      Job* raw = job.release();
      if (napi_call_threadsafe_function(s->tsfn, raw, napi_tsfn_blocking) != napi_ok) {
        delete raw;  // environment is shutting down
      }
    }
    s->encoder->close();
    if (!silent) {
      auto* closed = new Job();
      closed->kind = Job::Kind::Closed;
      if (napi_call_threadsafe_function(s->tsfn, closed, napi_tsfn_blocking) != napi_ok) {
        delete closed;
      }
    }
  }

  // ---- JS-thread callbacks of the ThreadSafeFunction ----------------------------------------

  static void CallJs(napi_env rawEnv, napi_value, void* context, void* data) {
    std::unique_ptr<Job> job(static_cast<Job*>(data));
    if (rawEnv == nullptr) return;  // TSFN is being torn down
    Napi::Env env(rawEnv);
    Napi::HandleScope scope(env);
    State& s = **static_cast<std::shared_ptr<State>*>(context);
    NativeEncoder* owner = s.owner;
    if (job->kind == Job::Kind::Closed) {
      if (s.worker.joinable()) s.worker.join();  // it has nothing left to do
      if (s.closeDeferred != nullptr) {
        napi_resolve_deferred(env, s.closeDeferred, env.Undefined());
        s.closeDeferred = nullptr;
      }
      if (owner != nullptr) owner->RemovePending(env);
      napi_release_threadsafe_function(s.tsfn, napi_tsfn_release);
      return;
    }
    if (!job->error.empty()) {
      napi_reject_deferred(env, job->deferred, Napi::Error::New(env, job->error).Value());
    } else {
      Napi::Object r = Napi::Object::New(env);
      r.Set("data", Napi::Buffer<uint8_t>::Copy(env, job->out.data.data(), job->out.data.size()));
      r.Set("keyframe", Napi::Boolean::New(env, job->out.keyframe));
      r.Set("skipped", Napi::Boolean::New(env, job->out.skipped));
      r.Set("ptsMs", Napi::Number::New(env, static_cast<double>(job->ptsMs)));
      r.Set("frameId", Napi::Number::New(env, job->frameId));
      r.Set("encodeMs", Napi::Number::New(env, job->encodeMs));
      r.Set("queueMs", Napi::Number::New(env, job->queueMs));
      r.Set("transferMs", Napi::Number::New(env, job->out.transferMs));
      r.Set("threadId", Napi::Number::New(env, static_cast<double>(job->workerThreadId)));
      napi_resolve_deferred(env, job->deferred, r);
    }
    if (owner != nullptr) {
      owner->workerTid_ = job->workerThreadId;
      owner->RemovePending(env);
    }
  }

  static void FinalizeTsfn(napi_env, void* data, void*) {
    auto* ctx = static_cast<std::shared_ptr<State>*>(data);
    (*ctx)->tsfnFinalized = true;
    delete ctx;
  }

  std::shared_ptr<State> state_;
  size_t targetCount_ = 0;  // bound exported targets (ring slots)
  bool closing_ = false;
  bool forceKeyframe_ = false;
  int bitrate_ = 0;
  int pending_ = 0;
  std::atomic<int64_t> workerTid_{0};
};

// ---- module functions ----------------------------------------------------------------------

Napi::Value EncoderNames(const Napi::CallbackInfo& info) {
  std::vector<std::string> names = encoderNames();
  Napi::Array a = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) a.Set(static_cast<uint32_t>(i), names[i]);
  return a;
}

Napi::Value UnavailableReason(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsString()) {
    throw Napi::TypeError::New(info.Env(), "unavailableReason(codec: string) expected");
  }
  std::string reason = encoderUnavailableReason(info[0].As<Napi::String>().Utf8Value());
  if (reason.empty()) return info.Env().Null();
  return Napi::String::New(info.Env(), reason);
}

Napi::Value ChooseLevel(const Napi::CallbackInfo& info) {
  for (size_t i = 0; i < 4; ++i) {
    if (i >= info.Length() || !info[i].IsNumber()) {
      throw Napi::TypeError::New(info.Env(), "chooseLevel(width, height, fps, bitrate) expected");
    }
  }
  return Napi::Number::New(
      info.Env(), chooseH264Level(info[0].As<Napi::Number>().Int32Value(),
                                  info[1].As<Napi::Number>().Int32Value(),
                                  info[2].As<Napi::Number>().DoubleValue(),
                                  info[3].As<Napi::Number>().Int32Value()));
}

Napi::Value CudaProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CudaRuntime& rt = cudaRuntime();
  Napi::Object o = Napi::Object::New(env);
  o.Set("loaded", Napi::Boolean::New(env, rt.cu != nullptr));
  o.Set("ok", Napi::Boolean::New(env, rt.error.empty()));
  if (!rt.error.empty()) o.Set("error", Napi::String::New(env, rt.error));
  if (rt.initResult >= 0) {
    o.Set("initResult", Napi::Number::New(env, rt.initResult));
    o.Set("initResultName",
          Napi::String::New(env, cuErrorText(static_cast<CUresult>(rt.initResult))));
  }
  Napi::Array devs = Napi::Array::New(env, rt.devices.size());
  for (size_t i = 0; i < rt.devices.size(); ++i) {
    const CudaDeviceInfo& d = rt.devices[i];
    Napi::Object od = Napi::Object::New(env);
    od.Set("ordinal", Napi::Number::New(env, d.ordinal));
    od.Set("name", Napi::String::New(env, d.name));
    od.Set("uuid", Napi::String::New(env, d.uuid));
    od.Set("computeCapability", Napi::String::New(env, std::to_string(d.computeMajor) + "." +
                                                           std::to_string(d.computeMinor)));
    devs.Set(static_cast<uint32_t>(i), od);
  }
  o.Set("devices", devs);
  return o;
}

Napi::Value NvencProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uuid;
  if (info.Length() > 0 && info[0].IsString()) uuid = info[0].As<Napi::String>().Utf8Value();
  const NvencProbe p = probeNvenc(uuid);
  Napi::Object o = Napi::Object::New(env);
  o.Set("cudaOk", Napi::Boolean::New(env, p.cudaOk));
  o.Set("opened", Napi::Boolean::New(env, p.opened));
  if (p.status >= 0) {
    o.Set("status", Napi::Number::New(env, p.status));
    o.Set("statusName", Napi::String::New(env, p.statusName));
  }
  if (!p.message.empty()) o.Set("message", Napi::String::New(env, p.message));
  if (p.opened) o.Set("h264", Napi::Boolean::New(env, p.h264));
  if (p.maxVersion != 0) {
    o.Set("driverApiVersion", Napi::String::New(env, std::to_string(p.maxVersion >> 4) + "." +
                                                        std::to_string(p.maxVersion & 15)));
  }
  o.Set("headerApiVersion", Napi::String::New(env, std::to_string(NVENCAPI_MAJOR_VERSION) + "." +
                                                      std::to_string(NVENCAPI_MINOR_VERSION)));
  if (!p.device.empty()) o.Set("device", Napi::String::New(env, p.device));
  return o;
}

Napi::Value NvencStatusNameJs(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(info.Env(), "nvencStatusName(status: number) expected");
  }
  return Napi::String::New(info.Env(), nvencStatusName(info[0].As<Napi::Number>().Int32Value()));
}

Napi::Value CurrentThreadId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(threadId()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeEncoder", NativeEncoder::Define(env));
  Napi::Function targetCtor = CudaTargetWrap::Define(env);
  auto* data = new AddonData();
  data->targetCtor = Napi::Persistent(targetCtor);
  env.SetInstanceData<AddonData>(data);
  exports.Set("CudaExternalNv12", targetCtor);
  exports.Set("cudaProbe", Napi::Function::New<CudaProbe>(env, "cudaProbe"));
  exports.Set("nvencProbe", Napi::Function::New<NvencProbeJs>(env, "nvencProbe"));
  exports.Set("nvencStatusName", Napi::Function::New<NvencStatusNameJs>(env, "nvencStatusName"));
  exports.Set("encoderNames", Napi::Function::New<EncoderNames>(env, "encoderNames"));
  exports.Set("unavailableReason",
              Napi::Function::New<UnavailableReason>(env, "unavailableReason"));
  exports.Set("chooseLevel", Napi::Function::New<ChooseLevel>(env, "chooseLevel"));
  exports.Set("currentThreadId", Napi::Function::New<CurrentThreadId>(env, "currentThreadId"));
  return exports;
}

}  // namespace
}  // namespace zerocast

static Napi::Object InitZerocastEncode(Napi::Env env, Napi::Object exports) {
  return zerocast::Init(env, exports);
}

NODE_API_MODULE(zerocast_encode, InitZerocastEncode)
