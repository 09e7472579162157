# Warnings live on an INTERFACE target so they never leak into third-party code.
add_library(rfl_lab_warnings INTERFACE)
target_compile_options(rfl_lab_warnings INTERFACE
  # Clang (the libFuzzer build) has no -Wshadow=local; its nearest is
  # -Wshadow-uncaptured-local.
  -Wall -Wextra -Wpedantic $<IF:$<CXX_COMPILER_ID:GNU>,-Wshadow=local,-Wshadow-uncaptured-local>
  -Wnon-virtual-dtor -Wimplicit-fallthrough
  # Designated initializers leave members to their defaults on purpose.
  -Wno-missing-field-initializers)

# RFL_LAB_LIBFUZZER implies the sanitizers and adds libFuzzer's coverage
# instrumentation (-fsanitize=fuzzer-no-link) to every project target; each
# fuzz executable links -fsanitize=fuzzer itself (tests/fuzz/libfuzzer/).
# UBSan aborts there, so libFuzzer keeps the input. Clang >= 16: clang 14
# cannot compile libstdc++ 12's std::expected (Result<T>).
if(RFL_LAB_LIBFUZZER AND NOT (CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_GREATER_EQUAL 16))
  message(FATAL_ERROR "RFL_LAB_LIBFUZZER needs clang >= 16, not ${CMAKE_CXX_COMPILER_ID} ${CMAKE_CXX_COMPILER_VERSION}: "
                      "use scripts/fuzz.sh (clang-19 and libclang-rt-19-dev from scripts/setup.sh)")
endif()

add_library(rfl_lab_sanitize INTERFACE)
if(RFL_LAB_SANITIZE OR RFL_LAB_LIBFUZZER)
  target_compile_options(rfl_lab_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(rfl_lab_sanitize INTERFACE -fsanitize=address,undefined)
endif()
if(RFL_LAB_LIBFUZZER)
  target_compile_options(rfl_lab_sanitize INTERFACE -fsanitize=fuzzer-no-link -fno-sanitize-recover=undefined)
endif()
