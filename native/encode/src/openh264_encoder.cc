// OpenH264 backend of VideoEncoder, loaded at run time with dlopen so the addon loads (and the
// NVENC/VideoToolbox backends work) on machines without OpenH264.
//
// API: wels/codec_api.h (ISVCEncoder, SEncParamExt) from OpenH264 2.3 (Debian libopenh264-dev);
// run time: libopenh264.so.7 (Debian libopenh264-7), then libopenh264.so.
#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include <wels/codec_api.h>
#include <wels/codec_ver.h>

#include "nv12.h"
#include "video_encoder.h"

namespace zerocast {
namespace {

using CreateFn = int (*)(ISVCEncoder**);
using DestroyFn = void (*)(ISVCEncoder*);
using VersionFn = void (*)(OpenH264Version*);

/** The dlopen'ed library, loaded once per process (never unloaded). */
struct OpenH264Library {
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
  OpenH264Version version{};
  std::string error;  // non-empty when the library is unusable
};

const OpenH264Library& library() {
  static OpenH264Library lib;
  static std::once_flag once;
  std::call_once(once, [] {
    // ZEROCAST_OPENH264_LIBRARY names one library to load instead (e.g. Cisco's binary
    // libopenh264-2.3.1-linux64.7.so).
    std::vector<std::string> names = {"libopenh264.so.7", "libopenh264.so"};
    const char* override = std::getenv("ZEROCAST_OPENH264_LIBRARY");
    if (override != nullptr && *override != '\0') names = {override};
    void* handle = nullptr;
    std::string dlErrors;
    for (const std::string& nameStr : names) {
      const char* name = nameStr.c_str();
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle != nullptr) break;
      const char* e = dlerror();
      dlErrors += std::string(dlErrors.empty() ? "" : "; ") + (e != nullptr ? e : name);
    }
    if (handle == nullptr) {
      lib.error =
          "OpenH264 is not installed: could not load " +
          (names.size() == 1 ? names[0] : std::string("libopenh264.so.7 or libopenh264.so")) +
          " (install the Debian/Ubuntu package libopenh264-7). dlopen: " +
          dlErrors;
      return;
    }
    lib.create = reinterpret_cast<CreateFn>(dlsym(handle, "WelsCreateSVCEncoder"));
    lib.destroy = reinterpret_cast<DestroyFn>(dlsym(handle, "WelsDestroySVCEncoder"));
    auto version = reinterpret_cast<VersionFn>(dlsym(handle, "WelsGetCodecVersionEx"));
    if (lib.create == nullptr || lib.destroy == nullptr || version == nullptr) {
      lib.error = "the loaded libopenh264 lacks WelsCreateSVCEncoder/WelsGetCodecVersionEx "
                  "(install the package libopenh264-7)";
      return;
    }
    version(&lib.version);
    if (lib.version.uMajor != OPENH264_MAJOR) {
      lib.error = "libopenh264 " + std::to_string(lib.version.uMajor) + "." +
                  std::to_string(lib.version.uMinor) + " is incompatible with the headers (" +
                  std::to_string(OPENH264_MAJOR) + "." + std::to_string(OPENH264_MINOR) +
                  ") this addon was built with (install the package libopenh264-7)";
    }
  });
  return lib;
}

class OpenH264Encoder final : public VideoEncoder {
 public:
  ~OpenH264Encoder() override { close(); }

  const char* name() const override { return "openh264"; }

  void open(const EncoderSettings& s) override {
    const OpenH264Library& lib = library();
    if (!lib.error.empty()) throw EncoderError(lib.error);
    settings_ = s;
    if (lib.create(&encoder_) != 0 || encoder_ == nullptr) {
      encoder_ = nullptr;
      throw EncoderError("WelsCreateSVCEncoder failed");
    }
    int logLevel = WELS_LOG_ERROR;
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &logLevel);

    SEncParamExt p;
    std::memset(&p, 0, sizeof p);
    encoder_->GetDefaultParams(&p);
    p.iUsageType = CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = s.width;
    p.iPicHeight = s.height;
    // OpenH264's rate control runs at 60 fps at most (measured: at 120 and 240 fps the stream
    // came out at 2x and 4x the target). Above 60 fps it is told 60 fps and a bitrate scaled by
    // 60/fps, so the bits per frame, and so the bits per second at the real rate, are right.
    rcFps_ = std::min(s.fps, kMaxRateControlFps);
    const int rcBitrate = rateControlBitrate(s.bitrate);
    p.iTargetBitrate = rcBitrate;
    p.iMaxBitrate = rcBitrate;
    p.iRCMode = RC_BITRATE_MODE;
    p.fMaxFrameRate = static_cast<float>(rcFps_);
    p.iTemporalLayerNum = 1;
    p.iSpatialLayerNum = 1;
    p.iComplexityMode = LOW_COMPLEXITY;
    p.uiIntraPeriod = static_cast<unsigned int>(s.keyframeInterval);
    p.iNumRefFrame = 1;
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.bPrefixNalAddingCtrl = false;
    p.bEnableSSEI = false;
    p.bSimulcastAVC = false;
    p.iPaddingFlag = 0;
    p.iEntropyCodingModeFlag = 0;  // CAVLC (baseline)
    p.bEnableFrameSkip = false;    // one access unit per frame
    p.iMinQp = 10;
    p.iMaxQp = 51;
    p.bEnableLongTermReference = false;
    p.iMultipleThreadIdc = 1;  // the worker thread is the encoder's only thread
    p.iLoopFilterDisableIdc = 0;
    p.bEnableDenoise = false;
    p.bEnableBackgroundDetection = true;
    p.bEnableAdaptiveQuant = true;
    p.bEnableFrameCroppingFlag = true;
    p.bEnableSceneChangeDetect = false;  // IDRs only on interval or request
    p.bFixRCOverShoot = true;

    SSpatialLayerConfig& l = p.sSpatialLayers[0];
    l.iVideoWidth = s.width;
    l.iVideoHeight = s.height;
    l.fFrameRate = static_cast<float>(rcFps_);
    l.iSpatialBitrate = rcBitrate;
    l.iMaxSpatialBitrate = rcBitrate;
    l.uiProfileIdc = PRO_BASELINE;
    l.uiLevelIdc = static_cast<ELevelIdc>(chooseH264Level(s.width, s.height, s.fps, s.bitrate));
    l.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    // VUI video signal type (H.264 E.1.1): BT.709 primaries/transfer/matrix, limited range.
    l.bVideoSignalTypePresent = true;
    l.uiVideoFormat = 5;  // unspecified
    l.bFullRange = false;
    l.bColorDescriptionPresent = true;
    l.uiColorPrimaries = 1;
    l.uiTransferCharacteristics = 1;
    l.uiColorMatrix = 1;

    int rc = encoder_->InitializeExt(&p);
    if (rc != cmResultSuccess) {
      close();
      throw EncoderError("OpenH264 InitializeExt failed (code " + std::to_string(rc) + ") for " +
                         std::to_string(s.width) + "x" + std::to_string(s.height) + " @ " +
                         std::to_string(s.fps) + " fps, " + std::to_string(s.bitrate) + " bit/s");
    }
    int videoFormat = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &videoFormat);

    const size_t lumaSize = static_cast<size_t>(s.width) * s.height;
    i420_.assign(lumaSize + lumaSize / 2, 0);
  }

  void encode(const Nv12View& pic, bool forceKeyframe, EncodedFrame& out) override {
    if (encoder_ == nullptr) throw EncoderError("encoder is not open");
    const int w = settings_.width, h = settings_.height;
    uint8_t* y = i420_.data();
    uint8_t* u = y + static_cast<size_t>(w) * h;
    uint8_t* v = u + static_cast<size_t>(w / 2) * (h / 2);
    nv12ToI420(pic.y, pic.uv, pic.pitch, w, h, y, u, v);

    SSourcePicture src;
    std::memset(&src, 0, sizeof src);
    src.iColorFormat = videoFormatI420;
    src.iPicWidth = w;
    src.iPicHeight = h;
    src.iStride[0] = w;
    src.iStride[1] = w / 2;
    src.iStride[2] = w / 2;
    src.pData[0] = y;
    src.pData[1] = u;
    src.pData[2] = v;
    src.uiTimeStamp = pic.ptsMs;

    if (forceKeyframe) encoder_->ForceIntraFrame(true);
    SFrameBSInfo info;
    std::memset(&info, 0, sizeof info);
    int rc = encoder_->EncodeFrame(&src, &info);
    if (rc != cmResultSuccess) {
      throw EncoderError("OpenH264 EncodeFrame failed (code " + std::to_string(rc) + ")");
    }
    out.data.clear();
    out.keyframe = info.eFrameType == videoFrameTypeIDR;
    out.skipped = info.eFrameType == videoFrameTypeSkip || info.iFrameSizeInBytes == 0;
    if (out.skipped) return;
    out.data.reserve(static_cast<size_t>(info.iFrameSizeInBytes));
    for (int i = 0; i < info.iLayerNum; ++i) {
      const SLayerBSInfo& layer = info.sLayerInfo[i];
      size_t size = 0;
      for (int n = 0; n < layer.iNalCount; ++n) size += static_cast<size_t>(layer.pNalLengthInByte[n]);
      out.data.insert(out.data.end(), layer.pBsBuf, layer.pBsBuf + size);
    }
    markConstrainedBaseline(out.data);
  }

  void setBitrate(int bps) override {
    if (encoder_ == nullptr || bps == settings_.bitrate) return;
    SBitrateInfo target{SPATIAL_LAYER_ALL, rateControlBitrate(bps)};
    // OpenH264 refuses a target above the maximum: raise the maximum first, lower it last.
    if (bps > settings_.bitrate) {
      encoder_->SetOption(ENCODER_OPTION_MAX_BITRATE, &target);
      encoder_->SetOption(ENCODER_OPTION_BITRATE, &target);
    } else {
      encoder_->SetOption(ENCODER_OPTION_BITRATE, &target);
      encoder_->SetOption(ENCODER_OPTION_MAX_BITRATE, &target);
    }
    settings_.bitrate = bps;
  }

  void close() override {
    if (encoder_ != nullptr) {
      encoder_->Uninitialize();
      library().destroy(encoder_);
      encoder_ = nullptr;
    }
  }

 private:
  /**
   * Sets constraint_set0/1_flag in every SPS (H.264 7.3.2.1.1: the byte after profile_idc), so
   * profile 66 reads as Constrained Baseline (profile-level-id 42e0xx); OpenH264's output already
   * obeys those constraints (no FMO/ASO/redundant slices). Those bytes never need emulation
   * prevention, so patching them in place is safe.
   */
  static void markConstrainedBaseline(std::vector<uint8_t>& au) {
    const size_t n = au.size();
    for (size_t i = 0; i + 6 < n; ++i) {
      if (au[i] == 0 && au[i + 1] == 0 && au[i + 2] == 1) {
        const size_t nal = i + 3;
        if ((au[nal] & 0x1f) == 7 && au[nal + 1] == 66) au[nal + 2] |= 0xc0;
        i = nal;
      }
    }
  }

  /** The highest frame rate OpenH264's rate control works at. */
  static constexpr double kMaxRateControlFps = 60;

  /** The bitrate to give OpenH264 for a real `bps` at the real frame rate (see open()). */
  int rateControlBitrate(int bps) const {
    return static_cast<int>(static_cast<double>(bps) * rcFps_ / settings_.fps + 0.5);
  }

  ISVCEncoder* encoder_ = nullptr;
  EncoderSettings settings_;
  double rcFps_ = kMaxRateControlFps;  ///< the frame rate OpenH264's rate control is told
  std::vector<uint8_t> i420_;
};

}  // namespace

std::string openH264UnavailableReason() { return library().error; }

std::unique_ptr<VideoEncoder> createOpenH264Encoder() { return std::make_unique<OpenH264Encoder>(); }

}  // namespace zerocast
