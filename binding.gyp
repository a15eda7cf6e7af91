{
  "target_defaults": {
    "include_dirs": ["native"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags": ["-fPIC"],
    "cflags_cc": ["-std=c++17", "-O3", "-Wall", "-Wextra", "-Wno-unused-parameter"]
  },
  "targets": [
    {
      "target_name": "cleave_avx2",
      "type": "static_library",
      "sources": ["native/kernels/x86/avx2.cc"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mfma"] }]]
    },
    {
      "target_name": "cleave_avx512_vnni",
      "type": "static_library",
      "sources": ["native/kernels/x86/avx512_vnni.cc"],
      "conditions": [["target_arch=='x64'", { "cflags_cc": ["-mavx2", "-mfma", "-mavx512f", "-mavx512vl", "-mavx512vnni"] }]]
    },
    {
      "target_name": "cleave_neon_dotprod",
      "type": "static_library",
      "sources": ["native/kernels/arm/neon_dot.cc"],
      "conditions": [["target_arch=='arm64'", { "cflags_cc": ["-march=armv8.2-a+dotprod"] }]]
    },
    {
      "target_name": "cleave",
      "dependencies": ["cleave_avx2", "cleave_avx512_vnni", "cleave_neon_dotprod"],
      "sources": [
        "native/addon/addon.cc",
        "native/addon/codec_glue.cc",
        "native/addon/completion_port.cc",
        "native/addon/errors.cc",
        "native/addon/model.cc",
        "native/addon/sd_notify.cc",
        "native/addon/session.cc",
        "native/common/crc32.cc",
        "native/host/context_worker.cc",
        "native/host/cpu_features.cc",
        "native/host/execution_context.cc",
        "native/host/loaded_model.cc",
        "native/host/status_format.cc",
        "native/interp/interpreter.cc",
        "native/interp/op_eval.cc",
        "native/interp/op_registrations.cc",
        "native/interp/op_validate.cc",
        "native/interp/optimized_ops.cc",
        "native/interp/program.cc",
        "native/interp/thread_pool.cc",
        "native/kernels/arm/neon.cc",
        "<!@(node -p \"require('fs').readdirSync('native/kernels').filter(f => f.endsWith('.cc')).map(f => 'native/kernels/' + f).join(' ')\")",
        "<!@(node -p \"require('fs').readdirSync('native/codec').filter(f => f.endsWith('.cc')).map(f => 'native/codec/' + f).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    },
    {
      "target_name": "cleave_bench",
      "sources": ["native/bench/bench_addon.cc", "native/bench/peak.cc", "native/bench/pool_handoff.cc", "native/interp/thread_pool.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"]
    }
  ]
}
