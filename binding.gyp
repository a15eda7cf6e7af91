{
  "targets": [
    {
      "target_name": "cleave",
      "sources": [
        "native/addon/addon.cc",
        "native/addon/cpu_features.cc",
        "native/addon/session.cc",
        "native/addon/session_core.cc",
        "native/interp/crc32.cc",
        "native/interp/interpreter.cc",
        "native/interp/program.cc",
        "<!@(node -p \"require('fs').readdirSync('native/kernels').filter(f => f.endsWith('.cc')).map(f => 'native/kernels/' + f).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
