// Zerocast native/encode: the codec-neutral H.264 encoder interface.
//
// Every backend (OpenH264 today; NVENC through the ffnvcodec headers and VideoToolbox later)
// implements VideoEncoder. The N-API layer (addon.cc) only ever talks to this interface and
// calls it from exactly one thread: the encoder's dedicated worker thread (open() excepted,
// which runs on the JS thread so configuration errors surface synchronously).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace zerocast {

class CudaExternalNv12;

/** Raised by encoders for any failure; the message is shown to JS users as is. */
class EncoderError : public std::runtime_error {
 public:
  explicit EncoderError(const std::string& message, int nvencStatus = -1)
      : std::runtime_error(message), nvencStatus_(nvencStatus) {}
  /** The NVENCSTATUS of the failed NVENC call (see NvencError), or -1 for other failures. */
  int nvencStatus() const { return nvencStatus_; }

 private:
  int nvencStatus_;
};

/** Settings of an encoder (see main/engine/contracts.ts EncoderConfig). */
struct EncoderSettings {
  int width = 0;             ///< pixels, even
  int height = 0;            ///< pixels, even
  double fps = 30;           ///< frames per second (rate control)
  int bitrate = 0;           ///< target bits/s
  int keyframeInterval = 0;  ///< frames between IDRs (0: only on request)
  std::string cudaDeviceUuid;  ///< GPU encoders: CUDA device by UUID (32 hex), "" = device 0
};

/**
 * One NV12 picture in CPU memory: Y plane then interleaved CbCr plane (Cb at even bytes),
 * BT.709 limited range. `pitch` is the byte distance between rows of both planes.
 * GPU backends will add a device-memory variant (CUdeviceptr / IOSurface) beside this one.
 */
struct Nv12View {
  const uint8_t* y = nullptr;
  const uint8_t* uv = nullptr;
  int pitch = 0;
  int width = 0;
  int height = 0;
  int64_t ptsMs = 0;
};

/** One encoded access unit in Annex B byte-stream format (ITU-T H.264 Annex B). */
struct EncodedFrame {
  std::vector<uint8_t> data;  ///< start-code-prefixed NAL units; empty when skipped
  bool keyframe = false;      ///< IDR (SPS and PPS precede the IDR slice)
  bool skipped = false;       ///< the encoder's rate control dropped the frame
  /// ms spent making a GPU-target frame readable before encoding (timeline-semaphore wait, plus
  /// the device-to-host copy on the CUDA-copy path); 0 for frames given in host memory
  double transferMs = 0;
};

/** The H.264 encoder interface (constrained baseline, one frame in, one access unit out). */
class VideoEncoder {
 public:
  virtual ~VideoEncoder() = default;
  /** Short name for logs, e.g. "openh264". */
  virtual const char* name() const = 0;
  /** Loads the codec and configures it. @throws EncoderError with a user-facing reason. */
  virtual void open(const EncoderSettings& settings) = 0;
  /**
   * Encodes one picture (same size as the settings) into `out`.
   * @param forceKeyframe make this picture an IDR with SPS/PPS.
   * @throws EncoderError when the codec fails.
   */
  virtual void encode(const Nv12View& picture, bool forceKeyframe, EncodedFrame& out) = 0;
  /** Changes the target bitrate (bits/s) from the next picture on. */
  virtual void setBitrate(int bitsPerSecond) = 0;
  /** Frees codec resources (and unbinds the target). Idempotent. */
  virtual void close() = 0;

  /**
   * Binds one exported GPU target that encodeTarget() reads (after open(), on the JS thread);
   * `timeoutMs` bounds each wait for a frame's semaphore. Called once per target of a ring, in
   * slot order: the first call binds slot 0, the next slot 1, and so on (a ring of targets lets
   * the GPU write frame N+1 into another target while frame N is still being encoded).
   * The default keeps a reference; NVENC also registers the target's CUdeviceptr once
   * (nvEncRegisterResource, NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR with its pitch).
   * @throws EncoderError when the target does not match the settings or cannot be registered.
   */
  virtual void bindTarget(std::shared_ptr<CudaExternalNv12> target, int timeoutMs);
  /**
   * Encodes frame number `frame` (its timeline semaphore value) of the target bound in `slot`.
   * The default, for CPU encoders, waits for the semaphore and copies the pitched NV12 out of the
   * CUDA mapping (cuMemcpyDtoHAsync) into a reused host buffer, then calls encode(). NVENC
   * overrides it to encode straight from the CUDA device pointer (zero-copy).
   * @throws EncoderError when no target is bound in `slot`, the wait times out or the codec fails.
   */
  virtual void encodeTarget(size_t slot, uint64_t frame, int64_t ptsMs, bool forceKeyframe,
                            EncodedFrame& out);
  /** True when encodeTarget() reads the GPU buffer in place (no host copy). */
  virtual bool zeroCopy() const { return false; }

 protected:
  /** The bound targets, by slot (empty when none). */
  std::vector<std::shared_ptr<CudaExternalNv12>> targets_;
  /** The target bound in `slot`. @throws EncoderError when there is none. */
  CudaExternalNv12& targetAt(size_t slot) const;
  /** Longest wait for an exported frame's semaphore, ms (bindTarget). */
  int targetTimeoutMs_ = 2000;

 private:
  std::vector<uint8_t> targetScratch_;  // host copy of one NV12 frame (default encodeTarget)
};

/** Codec names this build knows ("openh264", "nvenc"). */
std::vector<std::string> encoderNames();

/**
 * Why the named encoder cannot run on this machine (e.g. its library is missing, naming the
 * package to install), or "" when it can. Loads the codec library on first use.
 */
std::string encoderUnavailableReason(const std::string& name);

/** Creates an unopened encoder by name. @throws EncoderError for unknown names. */
std::unique_ptr<VideoEncoder> createVideoEncoder(const std::string& name);

/**
 * The lowest H.264 level (level_idc x10, e.g. 31) whose limits (ITU-T H.264 Table A-1: MaxFS,
 * MaxMBPS, MaxBR for Baseline, frame width/height <= sqrt(8*MaxFS) macroblocks) fit the settings.
 */
int chooseH264Level(int width, int height, double fps, int bitrate);

}  // namespace zerocast
