// Readable symbol names (lab/util/demangle.h), on symbols of real kernels:
// the profile's function table and the code checks' offenders show them.
#include "lab/util/demangle.h"

#include <gtest/gtest.h>

namespace rfl {
namespace {

TEST(Demangle, RustV0SymbolsReadAsRustPaths) {
  EXPECT_EQ(Demangle("_RNvMs2_NtCs584xV9wJEI8_11rust_binder6threadNtB5_6Thread5write"),
            "<rust_binder::thread::Thread>::write");
}

TEST(Demangle, CFunctionsKeepTheirNames) {
  EXPECT_EQ(Demangle("memcpy_orig"), "memcpy_orig");
  EXPECT_EQ(Demangle("_raw_spin_unlock_irqrestore"), "_raw_spin_unlock_irqrestore");
}

TEST(Demangle, LegacyRustSymbolsLoseTheirHash) {
  EXPECT_EQ(Demangle("_ZN4core3ptr13drop_in_place17h0123456789abcdefE"), "core::ptr::drop_in_place");
}

}  // namespace
}  // namespace rfl
