{
  # Zerocast native/encode: H.264 encoders behind one interface (src/video_encoder.h).
  # OpenH264, the CUDA driver API and NVENC are dlopen'ed at run time (NVIDIA's through the
  # ffnvcodec headers, Debian libffmpeg-nvenc-dev): nothing is linked but libdl.
  "targets": [
    {
      "target_name": "zerocast_encode",
      "sources": [
        "src/addon.cc",
        "src/cuda_external.cc",
        "src/cuda_runtime.cc",
        "src/nv12.cc",
        "src/nvenc_encoder.cc",
        "src/openh264_encoder.cc",
        "src/video_encoder.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++14", "-std=gnu++17", "-std=c++14"],
      "cflags": ["-Wall", "-Wextra", "-Werror", "-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Werror", "-O3"],
      "libraries": ["-ldl"]
    }
  ]
}
