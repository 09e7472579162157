#include "lab/lava/job_definition.h"

#include <algorithm>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "lab/vm/arch_profile.h"
#include "lab/vm/domain_xml.h"

namespace rfl::lava {
namespace {

// LAVA runs its QEMU command through pexpect, which splits the string on
// spaces and honours quotes: a word must not carry either.
bool SafeWord(std::string_view w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::string_view("._,:=+/@%-").find(static_cast<char>(c)) != std::string_view::npos;
  });
}

void Timeout(YAML::Emitter& out, const char* key, std::chrono::seconds s) {
  out << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key << "seconds" << YAML::Value
      << s.count() << YAML::EndMap;
}

}  // namespace

std::vector<std::string> ExtraQemuOptions(const JobSpec& spec) {
  const vm::ArchProfile& p = vm::ProfileFor(spec.arch);
  std::vector<std::string> out;
  // arm64 and riscv64 take machine and CPU from the device type's context
  // variables; for x86_64 the template names neither.
  if (spec.arch == Arch::kX86_64) {
    out.push_back(fmt::format("-machine {}", p.machine));
    if (!spec.kvm) out.push_back("-cpu qemu64");  // libvirt's default model for TCG
  }
  out.push_back(fmt::format("-smp {}", spec.cpus));
  if (spec.timing == Timing::kIcount) {
    out.push_back("-rtc base=2020-01-01T00:00:00,clock=vm");  // vm::kIcountRtcStart
    out.push_back(fmt::format("{} {}", vm::kIcountArgs[0], vm::kIcountArgs[1]));
  } else {
    out.push_back("-rtc base=utc");
  }
  out.push_back("-no-reboot");  // libvirt's on_reboot=destroy: the guest's restart ends the boot
  out.push_back("-vga none");   // libvirt's domain has no display device either
  return out;
}

Result<std::string> JobDefinition(const JobSpec& spec) {
  if (spec.name.empty() || spec.kernel_url.empty()) return Fail("a LAVA job needs a name and a kernel URL");
  if (spec.kvm && spec.timing == Timing::kIcount) {
    return FailAs(Error::Kind::kInput, "icount timing needs TCG; it cannot be combined with KVM");
  }
  if (spec.kvm && spec.arch != Arch::kX86_64) {
    return FailAs(Error::Kind::kInput, "LAVA's qemu device type enables KVM for x86_64 guests only");
  }
  if (spec.memory_bytes % (1ull << 20) != 0 || spec.memory_bytes == 0) {
    return FailAs(Error::Kind::kInput, "LAVA's qemu device type takes memory in whole MiB, not {} bytes",
                  spec.memory_bytes);
  }
  if (spec.cpus < 1) return FailAs(Error::Kind::kInput, "cpus must be at least 1");
  std::string cmdline;
  for (std::string_view rest = spec.cmdline; !rest.empty();) {
    auto sp = rest.find(' ');
    std::string_view w = rest.substr(0, sp);
    rest = sp == std::string_view::npos ? std::string_view{} : rest.substr(sp + 1);
    if (w.empty()) continue;
    if (!SafeWord(w)) {
      return FailAs(Error::Kind::kInput,
                    "kernel command-line word '{}' cannot be passed through LAVA (it splits QEMU's command line "
                    "itself): use letters, digits and ._,:=+/@%- only",
                    w);
    }
    if (!cmdline.empty()) cmdline += ' ';
    cmdline += w;
  }
  const vm::ArchProfile& p = vm::ProfileFor(spec.arch);

  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "device_type" << YAML::Value << spec.device_type;
  out << YAML::Key << "job_name" << YAML::Value << spec.name;
  out << YAML::Key << "priority" << YAML::Value << "medium";
  out << YAML::Key << "visibility" << YAML::Value << "public";
  if (!spec.tags.empty()) out << YAML::Key << "tags" << YAML::Value << YAML::Flow << spec.tags;
  // The job: deployment and LAVA's own steps around the boot; a connection
  // may stay silent as long as the boot may run.
  out << YAML::Key << "timeouts" << YAML::Value << YAML::BeginMap;
  Timeout(out, "job", spec.boot_timeout + std::chrono::minutes(10));
  Timeout(out, "action", spec.boot_timeout);
  Timeout(out, "connection", spec.boot_timeout);
  out << YAML::EndMap;

  out << YAML::Key << "context" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "arch" << YAML::Value << std::string(ArchName(spec.arch));
  out << YAML::Key << "no_kvm" << YAML::Value << !spec.kvm;
  out << YAML::Key << "memory" << YAML::Value << spec.memory_bytes / (1ull << 20);
  if (spec.arch != Arch::kX86_64) {
    out << YAML::Key << "machine" << YAML::Value << std::string(p.machine);
    out << YAML::Key << "cpu" << YAML::Value << (p.cpu_model.empty() ? std::string("rv64") : std::string(p.cpu_model));
  }
  out << YAML::Key << "extra_options" << YAML::Value << ExtraQemuOptions(spec);
  out << YAML::EndMap;

  out << YAML::Key << "actions" << YAML::Value << YAML::BeginSeq;
  out << YAML::BeginMap << YAML::Key << "deploy" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "to" << YAML::Value << "tmpfs";
  Timeout(out, "timeout", std::chrono::minutes(5));
  out << YAML::Key << "images" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "kernel" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "image_arg" << YAML::Value << fmt::format("-kernel {{kernel}} -append \"{}\"", cmdline);
  out << YAML::Key << "url" << YAML::Value << spec.kernel_url;
  out << YAML::EndMap;
  if (spec.initrd_url) {
    out << YAML::Key << "initrd" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "image_arg" << YAML::Value << "-initrd {initrd}";
    out << YAML::Key << "url" << YAML::Value << *spec.initrd_url;
    out << YAML::EndMap;
  }
  out << YAML::EndMap << YAML::EndMap << YAML::EndMap;

  out << YAML::BeginMap << YAML::Key << "boot" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "method" << YAML::Value << "qemu";
  out << YAML::Key << "media" << YAML::Value << "tmpfs";
  Timeout(out, "timeout", spec.boot_timeout);
  out << YAML::Key << "prompts" << YAML::Value << YAML::BeginSeq << kAgentDonePrompt << YAML::EndSeq;
  out << YAML::EndMap << YAML::EndMap;
  out << YAML::EndSeq;
  out << YAML::EndMap;
  if (!out.good()) return Fail("writing the LAVA job: {}", out.GetLastError());
  return std::string(out.c_str()) + "\n";
}

}  // namespace rfl::lava
