# CUDA kernels for preprocessBatch and NMS (native/cuda/*.cu) -> static library loupe_cuda.
# LOUPE_CUDA: AUTO (default) builds them when nvcc is found, ON requires nvcc, OFF never builds them. The addon then
# defines LOUPE_WITH_CUDA and picks the GPU at run time only when a device is present (native/napi/gpu_dispatch.h).
set(LOUPE_CUDA AUTO CACHE STRING "Build the CUDA kernels: AUTO (when nvcc is found), ON, OFF")
set_property(CACHE LOUPE_CUDA PROPERTY STRINGS AUTO ON OFF)

set(LOUPE_WITH_CUDA OFF)
if(NOT LOUPE_CUDA STREQUAL "OFF")
  if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)  # the real nvcc, so CMake finds the toolkit beside it
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Turing..Hopper machine code, plus PTX for newer GPUs (nvcc 13 dropped everything before sm_75).
      set(CMAKE_CUDA_ARCHITECTURES 75-real 80-real 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(LOUPE_WITH_CUDA ON)
  elseif(LOUPE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "LOUPE_CUDA=ON but no CUDA compiler (nvcc) was found")
  else()
    message(STATUS "Loupe: nvcc not found, building without the CUDA kernels")
  endif()
endif()

if(LOUPE_WITH_CUDA)
  message(STATUS "Loupe: building the CUDA kernels (${CMAKE_CUDA_COMPILER}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
  file(GLOB LOUPE_CUDA_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/native/cuda/*.cu)
  add_library(loupe_cuda STATIC ${LOUPE_CUDA_SOURCES})
  set_target_properties(loupe_cuda PROPERTIES CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON POSITION_INDEPENDENT_CODE ON)
  target_include_directories(loupe_cuda PUBLIC ${CMAKE_SOURCE_DIR}/native/cuda)
  target_link_libraries(loupe_cuda PUBLIC loupe_core_common CUDA::cudart_static)
  target_compile_definitions(loupe_cuda PUBLIC LOUPE_WITH_CUDA)
  target_compile_options(loupe_cuda PRIVATE $<$<COMPILE_LANGUAGE:CUDA>:-O3 -Xcompiler=-fPIC>)

  # GPU-vs-CPU correctness checks and timings; ctest skips it (exit 77) on a machine without a GPU.
  add_executable(loupe_cuda_check ${CMAKE_SOURCE_DIR}/native/cuda/cuda_check.cc)
  target_link_libraries(loupe_cuda_check PRIVATE loupe_cuda)
  if(LOUPE_BUILD_TESTS)
    enable_testing()
    add_test(NAME loupe_cuda_check COMMAND loupe_cuda_check)
    set_tests_properties(loupe_cuda_check PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endif()
