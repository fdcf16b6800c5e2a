// A minimal assertion helper for the ctest executables (no test framework is installed offline).
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>

namespace loupe_test {

inline int& Failures() {
  static int n = 0;
  return n;
}

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      ++loupe_test::Failures();                                              \
    }                                                                        \
  } while (0)

#define CHECK_NEAR(a, b, tol) CHECK(std::fabs(static_cast<double>(a) - static_cast<double>(b)) <= (tol))

// True when f throws an E. Any other exception makes it false, so CHECK(Throws<E>(...)) fails loudly on the wrong
// exception type instead of letting it escape the test binary: the catch-all reports, it does not hide.
template <typename E>
bool Throws(const std::function<void()>& f) {
  try {
    f();
  } catch (const E&) {
    return true;
  } catch (...) {
    return false;
  }
  return false;
}

inline int Finish(const char* name) {
  if (Failures()) {
    std::fprintf(stderr, "%s: %d failure(s)\n", name, Failures());
    return 1;
  }
  std::printf("%s: ok\n", name);
  return 0;
}

}  // namespace loupe_test
