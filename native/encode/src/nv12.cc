#include "nv12.h"

#include <cstring>

namespace zerocast {

void nv12ToI420(const uint8_t* srcY, const uint8_t* srcUV, int pitch, int width, int height,
                uint8_t* dstY, uint8_t* dstU, uint8_t* dstV) {
  for (int row = 0; row < height; ++row) {
    std::memcpy(dstY + static_cast<size_t>(row) * width, srcY + static_cast<size_t>(row) * pitch,
                static_cast<size_t>(width));
  }
  const int cw = width / 2, ch = height / 2;
  for (int row = 0; row < ch; ++row) {
    const uint8_t* s = srcUV + static_cast<size_t>(row) * pitch;
    uint8_t* u = dstU + static_cast<size_t>(row) * cw;
    uint8_t* v = dstV + static_cast<size_t>(row) * cw;
    for (int x = 0; x < cw; ++x) {  // simple loop: compilers vectorise it at -O3
      u[x] = s[2 * x];
      v[x] = s[2 * x + 1];
    }
  }
}

}  // namespace zerocast
