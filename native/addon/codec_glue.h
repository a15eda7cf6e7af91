// N-API glue of the wire codecs (native/codec): codecEncode and codecDecode, declared for
// TypeScript in src/native.ts and wrapped by src/codec/index.ts. Glue only: converts arguments
// into the codec's plain structs, sizes the buffers, converts results and errors back.
#pragma once
#include <napi.h>

// Adds codecEncode(name, data, meta, options?) -> Buffer and codecDecode(payload, maxBytes) ->
// {data, meta, codec} to `exports` (global namespace, like RegisterPeak).
void RegisterCodecs(Napi::Env env, Napi::Object exports);
