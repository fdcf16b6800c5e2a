#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterVectorIndex(Napi::Env env, Napi::Object exports);
}
