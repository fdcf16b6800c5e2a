#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterDecode(Napi::Env env, Napi::Object exports);
}
