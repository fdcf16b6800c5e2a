#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterOcr(Napi::Env env, Napi::Object exports);
}
