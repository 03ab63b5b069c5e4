// NV12 helpers for the CPU encoders.
#pragma once

#include <cstdint>

namespace zerocast {

/**
 * De-interleaves a pitched NV12 picture into tightly packed I420 planes (Y: width x height,
 * U and V: width/2 x height/2). `width` and `height` are even; `pitch` >= width.
 */
void nv12ToI420(const uint8_t* srcY, const uint8_t* srcUV, int pitch, int width, int height,
                uint8_t* dstY, uint8_t* dstU, uint8_t* dstV);

}  // namespace zerocast
