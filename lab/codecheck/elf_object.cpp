#include "lab/codecheck/elf_object.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

namespace rfl::codecheck {
namespace {

// The libelf handle and the descriptor it reads, released on every path.
class ElfHandle {
 public:
  ElfHandle(int fd, Elf* elf) : fd_(fd), elf_(elf) {}
  ElfHandle(const ElfHandle&) = delete;
  ElfHandle& operator=(const ElfHandle&) = delete;
  ~ElfHandle() {
    if (elf_ != nullptr) elf_end(elf_);
    if (fd_ >= 0) ::close(fd_);
  }
  Elf* get() const { return elf_; }

 private:
  int fd_;
  Elf* elf_;
};

std::unexpected<Error> BadInput(const std::filesystem::path& path, std::string_view what) {
  return FailAs(Error::Kind::kInput, "{}: {}", path.string(), what);
}

}  // namespace

std::optional<uint64_t> ElfObject::SymbolAddress(const std::string& name) const {
  auto it = std::lower_bound(symbol_addresses.begin(), symbol_addresses.end(), name,
                             [](const auto& entry, const std::string& n) { return entry.first < n; });
  if (it == symbol_addresses.end() || it->first != name) return std::nullopt;
  return it->second;
}

const ElfSection* ElfObject::FindSection(std::string_view name) const {
  for (const auto& s : sections) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool ElfSection::HasDataMarkAt(uint64_t offset) const {
  return std::binary_search(data_marks.begin(), data_marks.end(), offset);
}

Result<ElfObject> ReadElfObject(const std::filesystem::path& path) {
  if (elf_version(EV_CURRENT) == EV_NONE) return Fail("libelf: {}", elf_errmsg(-1));
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return BadInput(path, fmt::format("cannot open: {}", std::strerror(errno)));
  ElfHandle handle(fd, elf_begin(fd, ELF_C_READ_MMAP, nullptr));
  Elf* elf = handle.get();
  if (elf == nullptr || elf_kind(elf) != ELF_K_ELF) return BadInput(path, "not an ELF file");

  GElf_Ehdr ehdr;
  if (gelf_getehdr(elf, &ehdr) == nullptr) return BadInput(path, fmt::format("libelf: {}", elf_errmsg(-1)));
  ElfObject obj;
  obj.path = path;
  switch (ehdr.e_machine) {
    case EM_X86_64: obj.arch = Arch::kX86_64; break;
    case EM_AARCH64: obj.arch = Arch::kArm64; break;
    case EM_RISCV: obj.arch = Arch::kRiscv64; break;
    default: return BadInput(path, fmt::format("ELF machine {} is none of x86_64, arm64, riscv64", ehdr.e_machine));
  }
  if (ehdr.e_type != ET_REL && ehdr.e_type != ET_EXEC && ehdr.e_type != ET_DYN) {
    return BadInput(path, "neither an object file nor an executable");
  }
  obj.relocatable = ehdr.e_type == ET_REL;

  size_t count = 0;
  size_t shstrndx = 0;
  if (elf_getshdrnum(elf, &count) != 0 || elf_getshdrstrndx(elf, &shstrndx) != 0) {
    return BadInput(path, fmt::format("libelf: {}", elf_errmsg(-1)));
  }
  obj.sections.resize(count);
  obj.relocations.resize(count);
  std::vector<Elf_Scn*> symtabs;
  std::vector<Elf_Scn*> relas;
  for (size_t i = 1; i < count; ++i) {
    Elf_Scn* scn = elf_getscn(elf, i);
    GElf_Shdr shdr;
    if (scn == nullptr || gelf_getshdr(scn, &shdr) == nullptr) {
      return BadInput(path, fmt::format("section {}: libelf: {}", i, elf_errmsg(-1)));
    }
    ElfSection& s = obj.sections[i];
    const char* name = elf_strptr(elf, shstrndx, shdr.sh_name);
    s.name = name != nullptr ? name : "";
    s.address = shdr.sh_addr;
    s.size = shdr.sh_size;
    s.allocated = (shdr.sh_flags & SHF_ALLOC) != 0;
    s.executable = (shdr.sh_flags & SHF_EXECINSTR) != 0;
    bool wanted = s.executable || s.name == ".comment" || s.name == "__patchable_function_entries";
    if (wanted && shdr.sh_type == SHT_PROGBITS) {
      Elf_Data* data = elf_getdata(scn, nullptr);
      if (data != nullptr && data->d_buf != nullptr) {
        const auto* p = static_cast<const uint8_t*>(data->d_buf);
        s.bytes.assign(p, p + data->d_size);
      }
    }
    if (shdr.sh_type == SHT_SYMTAB) symtabs.push_back(scn);
    if (shdr.sh_type == SHT_RELA) relas.push_back(scn);
  }
  if (symtabs.empty()) return BadInput(path, "no symbol table (stripped?)");
  if (const ElfSection* c = obj.FindSection(".comment")) {
    for (uint8_t b : c->bytes) obj.comment.push_back(b == 0 ? ' ' : static_cast<char>(b));
  }

  // Symbols: functions, and every defined name's address.
  Elf_Scn* symtab = symtabs.front();
  GElf_Shdr symhdr;
  gelf_getshdr(symtab, &symhdr);
  Elf_Data* symdata = elf_getdata(symtab, nullptr);
  size_t nsyms = symhdr.sh_entsize == 0 ? 0 : symhdr.sh_size / symhdr.sh_entsize;
  struct Sym {
    std::string name;
    GElf_Sym sym;
  };
  std::vector<Sym> syms(nsyms);
  std::map<std::pair<size_t, uint64_t>, size_t> function_at;  // (section, offset) → functions index
  for (size_t i = 0; i < nsyms; ++i) {
    GElf_Sym sym;
    if (gelf_getsym(symdata, static_cast<int>(i), &sym) == nullptr) continue;
    const char* name = elf_strptr(elf, symhdr.sh_link, sym.st_name);
    syms[i] = Sym{name != nullptr ? name : "", sym};
    if (sym.st_shndx == SHN_UNDEF || sym.st_shndx >= count || syms[i].name.empty()) continue;
    obj.symbol_addresses.emplace_back(syms[i].name, sym.st_value);
    if (syms[i].name == "$d" || syms[i].name.starts_with("$d.")) {
      ElfSection& sec = obj.sections[sym.st_shndx];
      if (sec.executable) sec.data_marks.push_back(obj.relocatable ? sym.st_value : sym.st_value - sec.address);
      continue;
    }
    if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_size == 0) continue;
    // kCFI's `__cfi_<fn>` labels the type-id preamble before <fn>'s entry
    // (NOPs, `mov eax, TYPEID`), and objtool's `__pfx_<fn>` (--prefix, with
    // CALL_PADDING) the padding NOPs there: part of <fn>, not functions.
    if (syms[i].name.starts_with("__cfi_") || syms[i].name.starts_with("__pfx_")) continue;
    const ElfSection& sec = obj.sections[sym.st_shndx];
    if (!sec.executable) continue;
    uint64_t offset = obj.relocatable ? sym.st_value : sym.st_value - sec.address;
    if (offset + sym.st_size > sec.bytes.size()) continue;
    bool local = GELF_ST_BIND(sym.st_info) == STB_LOCAL;
    auto key = std::make_pair(static_cast<size_t>(sym.st_shndx), offset);
    if (auto it = function_at.find(key); it != function_at.end()) {
      // An alias: the function is local only if every name for it is.
      ElfFunction& f = obj.functions[it->second];
      if (f.local && !local) {
        f.aliases.push_back(std::move(f.name));
        f.name = syms[i].name;
        f.local = false;
      } else {
        f.aliases.push_back(syms[i].name);
      }
      continue;
    }
    function_at.emplace(key, obj.functions.size());
    obj.functions.push_back(ElfFunction{syms[i].name, sym.st_shndx, offset, sym.st_size, local});
  }
  std::sort(obj.symbol_addresses.begin(), obj.symbol_addresses.end());
  for (ElfSection& sec : obj.sections) std::sort(sec.data_marks.begin(), sec.data_marks.end());

  // Relocations (RELA: x86_64 and arm64 objects use nothing else).
  for (Elf_Scn* scn : relas) {
    GElf_Shdr shdr;
    gelf_getshdr(scn, &shdr);
    if (shdr.sh_info == 0 || shdr.sh_info >= count) continue;
    Elf_Data* data = elf_getdata(scn, nullptr);
    size_t n = shdr.sh_entsize == 0 ? 0 : shdr.sh_size / shdr.sh_entsize;
    auto& out = obj.relocations[shdr.sh_info];
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      GElf_Rela rela;
      if (gelf_getrela(data, static_cast<int>(i), &rela) == nullptr) continue;
      ElfRelocation r;
      r.offset = rela.r_offset;
      r.type = static_cast<uint32_t>(GELF_R_TYPE(rela.r_info));
      r.addend = rela.r_addend;
      size_t symi = GELF_R_SYM(rela.r_info);
      if (symi < syms.size()) {
        const GElf_Sym& s = syms[symi].sym;
        r.symbol_is_section = GELF_ST_TYPE(s.st_info) == STT_SECTION;
        if (!r.symbol_is_section) r.symbol = syms[symi].name;
        r.symbol_section = s.st_shndx < count ? s.st_shndx : 0;
        r.symbol_value = s.st_value;
      }
      out.push_back(std::move(r));
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.offset < b.offset; });
  }
  return obj;
}

}  // namespace rfl::codecheck
