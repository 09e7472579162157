#include "lab/vm/kernel_image.h"

#include <array>
#include <fstream>
#include <string_view>

namespace rfl::vm {
namespace fs = std::filesystem;

namespace {
struct Magic {
  size_t offset;
  std::string_view bytes;
  std::string_view what;
};

Magic MagicFor(Arch arch) {
  switch (arch) {
    case Arch::kX86_64: return {0x202, "HdrS", "an x86 bzImage (no \"HdrS\" setup header at 0x202)"};
    case Arch::kArm64: return {0x38, std::string_view("ARM\x64", 4), "an arm64 Image (no \"ARM\\x64\" magic at 0x38)"};
    case Arch::kRiscv64: return {0x38, std::string_view("RSC\x05", 4), "a riscv64 Image (no \"RSC\\x05\" magic at 0x38)"};
  }
  return {0, "", "?"};
}
}  // namespace

Status CheckKernelImage(const fs::path& image, Arch arch) {
  std::error_code ec;
  auto status = fs::status(image, ec);
  if (ec || !fs::exists(status)) return FailAs(Error::Kind::kInput, "kernel image {} does not exist", image.string());
  if (!fs::is_regular_file(status)) {
    return FailAs(Error::Kind::kInput, "kernel image {} is not a regular file", image.string());
  }
  Magic m = MagicFor(arch);
  std::ifstream in(image, std::ios::binary);
  std::array<char, 4096> head{};
  in.read(head.data(), head.size());
  auto got = static_cast<size_t>(in.gcount());
  if (got < m.offset + m.bytes.size() || std::string_view(head.data() + m.offset, m.bytes.size()) != m.bytes) {
    return FailAs(Error::Kind::kInput, "{} is not {}; pass --arch for another architecture", image.string(), m.what);
  }
  return {};
}

}  // namespace rfl::vm
