// The one file that registers the addon's exports. Each concern lives in native/napi/<concern>_napi.cc.
#include <napi.h>

#include "napi/attention_boxes_napi.h"
#include "napi/decode_napi.h"
#include "napi/nms_napi.h"
#include "napi/ocr_napi.h"
#include "napi/preprocess_napi.h"
#include "napi/vector_index_napi.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  loupe_napi::RegisterVectorIndex(env, exports);
  loupe_napi::RegisterPreprocess(env, exports);
  loupe_napi::RegisterNms(env, exports);
  loupe_napi::RegisterDecode(env, exports);
  loupe_napi::RegisterAttentionBoxes(env, exports);
  loupe_napi::RegisterOcr(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(loupe, Init)
