#include "video_encoder.h"

#include <chrono>
#include <cmath>

#include "cuda_external.h"

namespace zerocast {

std::unique_ptr<VideoEncoder> createOpenH264Encoder();
std::string openH264UnavailableReason();
std::unique_ptr<VideoEncoder> createNvencEncoder();
std::string nvencUnavailableReason();

std::string encoderUnavailableReason(const std::string& name) {
  if (name == "openh264") return openH264UnavailableReason();
  if (name == "nvenc") return nvencUnavailableReason();
  return "unknown encoder '" + name + "' (known: openh264, nvenc)";
}

std::vector<std::string> encoderNames() { return {"openh264", "nvenc"}; }

std::unique_ptr<VideoEncoder> createVideoEncoder(const std::string& name) {
  if (name == "openh264") return createOpenH264Encoder();
  if (name == "nvenc") return createNvencEncoder();
  throw EncoderError("unknown encoder '" + name + "' (known: openh264, nvenc)");
}

void VideoEncoder::bindTarget(std::shared_ptr<CudaExternalNv12> target, int timeoutMs) {
  targets_.push_back(std::move(target));
  targetTimeoutMs_ = timeoutMs;
}

CudaExternalNv12& VideoEncoder::targetAt(size_t slot) const {
  if (targets_.empty()) throw EncoderError("encodeExported(): no exported GPU target is bound");
  if (slot >= targets_.size() || !targets_[slot]) {
    throw EncoderError("encodeExported(): slot " + std::to_string(slot) + " is not bound (" +
                       std::to_string(targets_.size()) + " target(s))");
  }
  return *targets_[slot];
}

void VideoEncoder::encodeTarget(size_t slot, uint64_t frame, int64_t ptsMs, bool forceKeyframe,
                                EncodedFrame& out) {
  CudaExternalNv12& target = targetAt(slot);
  const ExportedNv12Desc& d = target.desc();
  targetScratch_.resize(target.frameBytes());
  const auto t0 = std::chrono::steady_clock::now();
  target.copyToHost(frame, targetScratch_.data(), targetScratch_.size(), targetTimeoutMs_);
  out.transferMs =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  Nv12View pic;
  pic.y = targetScratch_.data();
  pic.uv = targetScratch_.data() + static_cast<size_t>(d.pitch) * d.height;
  pic.pitch = d.pitch;
  pic.width = d.width;
  pic.height = d.height;
  pic.ptsMs = ptsMs;
  encode(pic, forceKeyframe, out);
}

int chooseH264Level(int width, int height, double fps, int bitrate) {
  // ITU-T H.264 Table A-1: level_idc, MaxMBPS (MB/s), MaxFS (MBs), MaxBR (1000 bit/s, Baseline).
  struct Level {
    int idc;
    double maxMbps;
    double maxFs;
    double maxBrKbps;
  };
  static const Level kLevels[] = {
      {10, 1485, 99, 64},         {11, 3000, 396, 192},       {12, 6000, 396, 384},
      {13, 11880, 396, 768},      {20, 11880, 396, 2000},     {21, 19800, 792, 4000},
      {22, 20250, 1620, 4000},    {30, 40500, 1620, 10000},   {31, 108000, 3600, 14000},
      {32, 216000, 5120, 20000},  {40, 245760, 8192, 20000},  {41, 245760, 8192, 50000},
      {42, 522240, 8704, 50000},  {50, 589824, 22080, 135000}, {51, 983040, 36864, 240000},
      {52, 2073600, 36864, 240000},
  };
  const double mbW = std::ceil(width / 16.0), mbH = std::ceil(height / 16.0);
  const double fs = mbW * mbH;
  for (const Level& l : kLevels) {
    const double maxSide = std::sqrt(8.0 * l.maxFs);
    if (fs <= l.maxFs && mbW <= maxSide && mbH <= maxSide && fs * fps <= l.maxMbps &&
        bitrate <= l.maxBrKbps * 1000.0) {
      return l.idc;
    }
  }
  return 52;
}

}  // namespace zerocast
