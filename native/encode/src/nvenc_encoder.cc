// NVENC backend of VideoEncoder (NVIDIA Video Codec SDK "NVENC Video Encoder API", header
// nvEncodeAPI.h 11.1 from ffnvcodec), on a CUDA context, loaded at run time (cuda_runtime.h).
//
// Stream: H.264 constrained baseline (Baseline profile, CAVLC, no B-frames, one reference frame,
// no 8x8 transform), preset P3 with NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY, CBR with a VBV of one
// frame (bitrate / fps bits), SPS/PPS repeated with every IDR, BT.709 limited range in the VUI,
// synchronous mode (enableEncodeAsync = 0: nvEncLockBitstream waits for the picture).
//
// Input:
//   - exported GPU target (zero-copy): the target's CUdeviceptr is registered once
//     (nvEncRegisterResource, NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR, NV12, its pitch); per frame
//     the worker waits for the frame's timeline semaphore value (CudaExternalNv12::waitFrame),
//     then nvEncMapInputResource → nvEncEncodePicture → nvEncLockBitstream → copy → unlock → unmap.
//   - host NV12 (encode()): uploaded with cuMemcpy2D into a pitched CUDA buffer of the encoder's
//     own (cuMemAllocPitch), registered once the same way.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "cuda_external.h"
#include "cuda_runtime.h"
#include "video_encoder.h"

namespace zerocast {
namespace {

class NvencEncoder final : public VideoEncoder {
 public:
  ~NvencEncoder() override { close(); }

  const char* name() const override { return "nvenc"; }
  bool zeroCopy() const override { return true; }

  void open(const EncoderSettings& s) override {
    settings_ = s;
    CudaDeviceInfo info;
    ctx_ = cudaPrimaryContext(s.cudaDeviceUuid, &info);
    device_ = info.name;
    const NvencRuntime& nv = nvencRuntime();
    if (!nv.error.empty()) throw EncoderError(nv.error);
    api_ = &nv.api;
    CudaContextScope scope(ctx_);

    NVENCSTATUS st = nvencOpenSession(nv, ctx_, &enc_);
    if (st != NV_ENC_SUCCESS) {
      if (enc_ != nullptr) api_->nvEncDestroyEncoder(enc_);
      enc_ = nullptr;
      throw NvencError(nvencOpenError(device_, st), static_cast<int>(st));
    }
    try {
      configure();
    } catch (...) {
      destroySession();
      throw;
    }
  }

  void encode(const Nv12View& pic, bool forceKeyframe, EncodedFrame& out) override {
    if (enc_ == nullptr) throw EncoderError("nvenc: the encoder is not open");
    CudaContextScope scope(ctx_);
    CudaFunctions* cu = cudaRuntime().cu;
    const int w = settings_.width, h = settings_.height;
    if (upload_ == 0) {
      size_t pitch = 0;
      cuCheck(cu->cuMemAllocPitch(&upload_, &pitch, static_cast<size_t>(w),
                                  static_cast<size_t>(h) * 3 / 2, 16),
              "cuMemAllocPitch");
      uploadPitch_ = static_cast<int>(pitch);
      uploadReg_ = registerPtr(upload_, uploadPitch_);
    }
    auto copyPlane = [&](const uint8_t* src, size_t rows, size_t dstOffset) {
      CUDA_MEMCPY2D c;
      std::memset(&c, 0, sizeof c);
      c.srcMemoryType = CU_MEMORYTYPE_HOST;
      c.srcHost = src;
      c.srcPitch = static_cast<size_t>(pic.pitch);
      c.dstMemoryType = CU_MEMORYTYPE_DEVICE;
      c.dstDevice = upload_ + dstOffset;
      c.dstPitch = static_cast<size_t>(uploadPitch_);
      c.WidthInBytes = static_cast<size_t>(w);
      c.Height = rows;
      cuCheck(cu->cuMemcpy2D(&c), "cuMemcpy2D (NV12 upload)");
    };
    copyPlane(pic.y, static_cast<size_t>(h), 0);
    copyPlane(pic.uv, static_cast<size_t>(h) / 2, static_cast<size_t>(uploadPitch_) * h);
    encodeRegistered(uploadReg_, uploadPitch_, pic.ptsMs, forceKeyframe, out);
  }

  void bindTarget(std::shared_ptr<CudaExternalNv12> target, int timeoutMs) override {
    if (enc_ == nullptr) throw EncoderError("nvenc: the encoder is not open");
    const ExportedNv12Desc& d = target->desc();
    if (d.width != settings_.width || d.height != settings_.height) {
      throw EncoderError("nvenc: the exported target is " + std::to_string(d.width) + "x" +
                         std::to_string(d.height) + " but the encoder is configured for " +
                         std::to_string(settings_.width) + "x" + std::to_string(settings_.height));
    }
    if (target->context() != ctx_) {
      throw EncoderError("nvenc: the exported target lives on another CUDA device than the "
                         "encoder");
    }
    CudaContextScope scope(ctx_);
    target->attach();
    try {
      targetRegs_.push_back(registerPtr(target->devicePtr(), d.pitch));
    } catch (...) {
      target->detach();
      throw;
    }
    VideoEncoder::bindTarget(std::move(target), timeoutMs);  // slot = targetRegs_.size() - 1
  }

  void encodeTarget(size_t slot, uint64_t frame, int64_t ptsMs, bool forceKeyframe,
                    EncodedFrame& out) override {
    CudaExternalNv12& target = targetAt(slot);
    if (slot >= targetRegs_.size() || targetRegs_[slot] == nullptr) {
      throw EncoderError("encodeExported(): slot " + std::to_string(slot) + " is not registered");
    }
    // No torn frame: NVENC reads the buffer only after the frame's semaphore value was reached.
    const auto t0 = std::chrono::steady_clock::now();
    target.waitFrame(frame, targetTimeoutMs_);
    out.transferMs =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CudaContextScope scope(ctx_);
    encodeRegistered(targetRegs_[slot], target.desc().pitch, ptsMs, forceKeyframe, out);
  }

  void setBitrate(int bps) override {
    if (enc_ == nullptr) return;
    CudaContextScope scope(ctx_);
    setRate(bps);
    NV_ENC_RECONFIGURE_PARAMS rp;
    std::memset(&rp, 0, sizeof rp);
    rp.version = NV_ENC_RECONFIGURE_PARAMS_VER;
    rp.reInitEncodeParams = init_;
    rp.resetEncoder = 0;
    rp.forceIDR = 0;
    nvCheck(api_->nvEncReconfigureEncoder(enc_, &rp), "nvEncReconfigureEncoder");
    settings_.bitrate = bps;
  }

  void close() override {
    if (enc_ == nullptr && targets_.empty()) return;
    const CudaRuntime& rt = cudaRuntime();
    if (rt.cu != nullptr && ctx_ != nullptr && rt.cu->cuCtxPushCurrent(ctx_) == CUDA_SUCCESS) {
      destroySession();
      if (upload_ != 0) rt.cu->cuMemFree(upload_);
      upload_ = 0;
      CUcontext dummy = nullptr;
      rt.cu->cuCtxPopCurrent(&dummy);
    }
    // After nvEncUnregisterResource: the targets may be freed now.
    for (auto& t : targets_) {
      if (t) t->detach();
    }
    targets_.clear();
  }

 private:
  void configure() {
    // Constrained baseline needs H.264 support; check the GUID list first for a clear error.
    uint32_t count = 0;
    nvCheck(api_->nvEncGetEncodeGUIDCount(enc_, &count), "nvEncGetEncodeGUIDCount");
    std::vector<GUID> guids(count);
    uint32_t got = 0;
    nvCheck(api_->nvEncGetEncodeGUIDs(enc_, guids.data(), count, &got), "nvEncGetEncodeGUIDs");
    bool h264 = false;
    for (uint32_t i = 0; i < got; ++i) {
      if (std::memcmp(&guids[i], &NV_ENC_CODEC_H264_GUID, sizeof(GUID)) == 0) h264 = true;
    }
    if (!h264) throw EncoderError("nvenc: this GPU's encoder does not support H.264");

    NV_ENC_PRESET_CONFIG preset;
    std::memset(&preset, 0, sizeof preset);
    preset.version = NV_ENC_PRESET_CONFIG_VER;
    preset.presetCfg.version = NV_ENC_CONFIG_VER;
    nvCheck(api_->nvEncGetEncodePresetConfigEx(enc_, NV_ENC_CODEC_H264_GUID, NV_ENC_PRESET_P3_GUID,
                                               NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY, &preset),
            "nvEncGetEncodePresetConfigEx(P3, ULTRA_LOW_LATENCY)");
    config_ = preset.presetCfg;
    config_.version = NV_ENC_CONFIG_VER;
    config_.profileGUID = NV_ENC_H264_PROFILE_BASELINE_GUID;
    const uint32_t gop = settings_.keyframeInterval > 0
                             ? static_cast<uint32_t>(settings_.keyframeInterval)
                             : NVENC_INFINITE_GOPLENGTH;
    config_.gopLength = gop;
    config_.frameIntervalP = 1;  // IPPP: no B-frames
    config_.rcParams.rateControlMode = NV_ENC_PARAMS_RC_CBR;
    config_.rcParams.zeroReorderDelay = 1;
    setRate(settings_.bitrate);

    NV_ENC_CONFIG_H264& h = config_.encodeCodecConfig.h264Config;
    h.entropyCodingMode = NV_ENC_H264_ENTROPY_CODING_MODE_CAVLC;
    h.adaptiveTransformMode = NV_ENC_H264_ADAPTIVE_TRANSFORM_DISABLE;  // 8x8 transform is High only
    h.bdirectMode = NV_ENC_H264_BDIRECT_MODE_DISABLE;
    h.useBFramesAsRef = NV_ENC_BFRAME_REF_MODE_DISABLED;
    h.idrPeriod = gop;
    h.repeatSPSPPS = 1;
    h.disableSPSPPS = 0;
    h.outputAUD = 0;
    h.maxNumRefFrames = 1;
    h.chromaFormatIDC = 1;
    h.sliceMode = 0;
    h.sliceModeData = 0;
    h.level = static_cast<uint32_t>(
        chooseH264Level(settings_.width, settings_.height, settings_.fps, settings_.bitrate));
    NV_ENC_CONFIG_H264_VUI_PARAMETERS& vui = h.h264VUIParameters;
    vui.videoSignalTypePresentFlag = 1;
    vui.videoFormat = 5;  // unspecified (H.264 Table E-2)
    vui.videoFullRangeFlag = 0;  // limited range
    vui.colourDescriptionPresentFlag = 1;
    vui.colourPrimaries = 1;  // BT.709
    vui.transferCharacteristics = 1;
    vui.colourMatrix = 1;

    std::memset(&init_, 0, sizeof init_);
    init_.version = NV_ENC_INITIALIZE_PARAMS_VER;
    init_.encodeGUID = NV_ENC_CODEC_H264_GUID;
    init_.presetGUID = NV_ENC_PRESET_P3_GUID;
    init_.tuningInfo = NV_ENC_TUNING_INFO_ULTRA_LOW_LATENCY;
    init_.encodeWidth = static_cast<uint32_t>(settings_.width);
    init_.encodeHeight = static_cast<uint32_t>(settings_.height);
    init_.darWidth = init_.encodeWidth;
    init_.darHeight = init_.encodeHeight;
    init_.maxEncodeWidth = init_.encodeWidth;
    init_.maxEncodeHeight = init_.encodeHeight;
    init_.frameRateNum = static_cast<uint32_t>(std::lround(settings_.fps * 1000));
    init_.frameRateDen = 1000;
    init_.enableEncodeAsync = 0;
    init_.enablePTD = 1;
    init_.encodeConfig = &config_;
    nvCheck(api_->nvEncInitializeEncoder(enc_, &init_), "nvEncInitializeEncoder");

    NV_ENC_CREATE_BITSTREAM_BUFFER bb;
    std::memset(&bb, 0, sizeof bb);
    bb.version = NV_ENC_CREATE_BITSTREAM_BUFFER_VER;
    nvCheck(api_->nvEncCreateBitstreamBuffer(enc_, &bb), "nvEncCreateBitstreamBuffer");
    bitstream_ = bb.bitstreamBuffer;
  }

  /** CBR at `bps` with a VBV of about one frame (bps / fps bits). */
  void setRate(int bps) {
    const uint32_t perFrame =
        static_cast<uint32_t>(std::max(1.0, std::round(bps / std::max(1.0, settings_.fps))));
    config_.rcParams.averageBitRate = static_cast<uint32_t>(bps);
    config_.rcParams.maxBitRate = static_cast<uint32_t>(bps);
    config_.rcParams.vbvBufferSize = perFrame;
    config_.rcParams.vbvInitialDelay = perFrame;
  }

  void* registerPtr(CUdeviceptr ptr, int pitch) {
    NV_ENC_REGISTER_RESOURCE r;
    std::memset(&r, 0, sizeof r);
    r.version = NV_ENC_REGISTER_RESOURCE_VER;
    r.resourceType = NV_ENC_INPUT_RESOURCE_TYPE_CUDADEVICEPTR;
    r.width = static_cast<uint32_t>(settings_.width);
    r.height = static_cast<uint32_t>(settings_.height);
    r.pitch = static_cast<uint32_t>(pitch);
    r.resourceToRegister = reinterpret_cast<void*>(ptr);
    r.bufferFormat = NV_ENC_BUFFER_FORMAT_NV12;
    r.bufferUsage = NV_ENC_INPUT_IMAGE;
    nvCheck(api_->nvEncRegisterResource(enc_, &r), "nvEncRegisterResource(CUDADEVICEPTR, NV12)");
    return r.registeredResource;
  }

  void encodeRegistered(void* registered, int pitch, int64_t ptsMs, bool forceKeyframe,
                        EncodedFrame& out) {
    NV_ENC_MAP_INPUT_RESOURCE map;
    std::memset(&map, 0, sizeof map);
    map.version = NV_ENC_MAP_INPUT_RESOURCE_VER;
    map.registeredResource = registered;
    nvCheck(api_->nvEncMapInputResource(enc_, &map), "nvEncMapInputResource");
    struct Unmap {  // unmap on every path out
      const NV_ENCODE_API_FUNCTION_LIST* api;
      void* enc;
      void* mapped;
      ~Unmap() { api->nvEncUnmapInputResource(enc, mapped); }
    } unmap{api_, enc_, map.mappedResource};

    NV_ENC_PIC_PARAMS pp;
    std::memset(&pp, 0, sizeof pp);
    pp.version = NV_ENC_PIC_PARAMS_VER;
    pp.inputWidth = static_cast<uint32_t>(settings_.width);
    pp.inputHeight = static_cast<uint32_t>(settings_.height);
    pp.inputPitch = static_cast<uint32_t>(pitch);
    pp.inputBuffer = map.mappedResource;
    pp.bufferFmt = map.mappedBufferFmt;
    pp.outputBitstream = bitstream_;
    pp.pictureStruct = NV_ENC_PIC_STRUCT_FRAME;
    pp.inputTimeStamp = static_cast<uint64_t>(ptsMs);
    pp.frameIdx = frameIdx_++;
    if (forceKeyframe || first_) {
      pp.encodePicFlags = NV_ENC_PIC_FLAG_FORCEIDR | NV_ENC_PIC_FLAG_OUTPUT_SPSPPS;
    }
    first_ = false;
    nvCheck(api_->nvEncEncodePicture(enc_, &pp), "nvEncEncodePicture");

    NV_ENC_LOCK_BITSTREAM lock;
    std::memset(&lock, 0, sizeof lock);
    lock.version = NV_ENC_LOCK_BITSTREAM_VER;
    lock.outputBitstream = bitstream_;
    lock.doNotWait = 0;
    nvCheck(api_->nvEncLockBitstream(enc_, &lock), "nvEncLockBitstream");
    const uint8_t* p = static_cast<const uint8_t*>(lock.bitstreamBufferPtr);
    out.data.assign(p, p + lock.bitstreamSizeInBytes);  // Annex B (start codes included)
    out.keyframe = lock.pictureType == NV_ENC_PIC_TYPE_IDR;
    out.skipped = lock.bitstreamSizeInBytes == 0;
    nvCheck(api_->nvEncUnlockBitstream(enc_, bitstream_), "nvEncUnlockBitstream");
  }

  /** Unregisters the inputs, frees the bitstream buffer, destroys the session (ctx current). */
  void destroySession() {
    if (enc_ == nullptr) return;
    for (void* reg : targetRegs_) {
      if (reg != nullptr) api_->nvEncUnregisterResource(enc_, reg);
    }
    targetRegs_.clear();
    if (uploadReg_ != nullptr) api_->nvEncUnregisterResource(enc_, uploadReg_);
    if (bitstream_ != nullptr) api_->nvEncDestroyBitstreamBuffer(enc_, bitstream_);
    api_->nvEncDestroyEncoder(enc_);
    uploadReg_ = bitstream_ = enc_ = nullptr;
  }

  EncoderSettings settings_;
  std::string device_;
  CUcontext ctx_ = nullptr;
  const NV_ENCODE_API_FUNCTION_LIST* api_ = nullptr;
  void* enc_ = nullptr;
  NV_ENC_CONFIG config_{};
  NV_ENC_INITIALIZE_PARAMS init_{};
  void* bitstream_ = nullptr;
  std::vector<void*> targetRegs_;  // registered CUdeviceptr of each bound target, by slot
  CUdeviceptr upload_ = 0;
  int uploadPitch_ = 0;
  void* uploadReg_ = nullptr;
  uint32_t frameIdx_ = 0;
  bool first_ = true;
};

}  // namespace

std::unique_ptr<VideoEncoder> createNvencEncoder() { return std::make_unique<NvencEncoder>(); }

std::string nvencUnavailableReason() {
  NvencProbe p = probeNvenc("");
  if (p.opened && !p.h264) return "nvenc: this GPU's encoder does not support H.264";
  return p.opened ? std::string() : p.message;
}

}  // namespace zerocast
