#include "lab/kernel/elf_sizes.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace rfl::kernel {

nlohmann::json ToJson(const ElfSizes& s) { return {{"text", s.text}, {"data", s.data}, {"bss", s.bss}}; }

ElfSizes ElfSizesFromJson(const nlohmann::json& j) {
  return ElfSizes{j.value("text", uint64_t{0}), j.value("data", uint64_t{0}), j.value("bss", uint64_t{0})};
}

Result<ElfSizes> ReadElfSizes(const std::filesystem::path& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) return Fail("libelf: {}", elf_errmsg(-1));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("cannot open {}: {}", path.string(), std::strerror(errno));
  Elf* elf = elf_begin(fd, ELF_C_READ, nullptr);
  if (elf == nullptr) {
    ::close(fd);
    return Fail("{}: libelf: {}", path.string(), elf_errmsg(-1));
  }
  struct Closer {
    Elf* e;
    int fd;
    ~Closer() {
      elf_end(e);
      ::close(fd);
    }
  } closer{elf, fd};
  if (elf_kind(elf) != ELF_K_ELF) return Fail("{}: not an ELF file", path.string());
  ElfSizes sizes;
  Elf_Scn* scn = nullptr;
  while ((scn = elf_nextscn(elf, scn)) != nullptr) {
    GElf_Shdr shdr;
    if (gelf_getshdr(scn, &shdr) == nullptr) return Fail("{}: libelf: {}", path.string(), elf_errmsg(-1));
    if ((shdr.sh_flags & SHF_ALLOC) == 0) continue;
    if (shdr.sh_type == SHT_NOBITS) {
      sizes.bss += shdr.sh_size;
    } else if (shdr.sh_flags & SHF_WRITE) {
      sizes.data += shdr.sh_size;
    } else {
      sizes.text += shdr.sh_size;
    }
  }
  return sizes;
}

}  // namespace rfl::kernel
