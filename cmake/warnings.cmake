# Warnings live on an INTERFACE target so they never leak into third-party code.
add_library(rfl_lab_warnings INTERFACE)
target_compile_options(rfl_lab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow=local -Wnon-virtual-dtor -Wimplicit-fallthrough
  # Designated initializers leave members to their defaults on purpose.
  -Wno-missing-field-initializers)

add_library(rfl_lab_sanitize INTERFACE)
if(RFL_LAB_SANITIZE)
  target_compile_options(rfl_lab_sanitize INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(rfl_lab_sanitize INTERFACE -fsanitize=address,undefined)
endif()
