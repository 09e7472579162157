#include "lab/vm/domain_xml.h"

#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace rfl::vm {

std::string JoinCmdline(const ArchProfile& profile, const std::vector<std::string>& words) {
  bool has_console = false;
  for (const auto& w : words) {
    if (w.starts_with("console=")) has_console = true;
  }
  std::string out;
  if (!has_console) out = fmt::format("console={}", profile.console);
  for (const auto& w : words) {
    if (w.empty()) continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

namespace {

void Text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}

}  // namespace

Result<std::string> BuildDomainXml(const DomainSpec& spec) {
  if (spec.profile == nullptr) return Fail("domain {}: no arch profile", spec.name);
  if (spec.name.empty()) return Fail("domain without a name");
  if (spec.kernel.empty()) return Fail("domain {}: no kernel", spec.name);
  if (spec.console_path.empty()) return Fail("domain {}: no console path", spec.name);
  if (spec.icount && spec.accel == ResolvedAccel::kKvm) {
    return FailAs(Error::Kind::kInput, "icount timing needs TCG; it cannot be combined with KVM");
  }
  if (spec.cpus < 1) return FailAs(Error::Kind::kInput, "cpus must be at least 1");
  const ArchProfile& p = *spec.profile;

  pugi::xml_document doc;
  pugi::xml_node domain = doc.append_child("domain");
  domain.append_attribute("type").set_value(spec.accel == ResolvedAccel::kKvm ? "kvm" : "qemu");
  if (spec.icount) {
    domain.append_attribute("xmlns:qemu").set_value("http://libvirt.org/schemas/domain/qemu/1.0");
  }
  Text(domain, "name", spec.name);
  pugi::xml_node memory = domain.append_child("memory");
  memory.append_attribute("unit").set_value("KiB");
  memory.text().set(static_cast<unsigned long long>(spec.memory_bytes / 1024));
  domain.append_child("vcpu").text().set(spec.cpus);

  pugi::xml_node os = domain.append_child("os");
  pugi::xml_node type = os.append_child("type");
  type.append_attribute("arch").set_value(std::string(p.libvirt_arch).c_str());
  type.append_attribute("machine").set_value(std::string(p.machine).c_str());
  type.text().set("hvm");
  if (spec.firmware) {
    pugi::xml_node loader = os.append_child("loader");
    loader.append_attribute("type").set_value("rom");
    loader.text().set(spec.firmware->c_str());
  }
  Text(os, "kernel", spec.kernel.string());
  if (spec.initrd) Text(os, "initrd", spec.initrd->string());
  Text(os, "cmdline", spec.cmdline);

  if (p.acpi) domain.append_child("features").append_child("acpi");
  if (spec.accel == ResolvedAccel::kKvm) {
    domain.append_child("cpu").append_attribute("mode").set_value("host-passthrough");
  } else if (!p.cpu_model.empty()) {
    pugi::xml_node cpu = domain.append_child("cpu");
    cpu.append_attribute("mode").set_value("custom");
    cpu.append_attribute("match").set_value("exact");
    cpu.append_attribute("check").set_value("none");
    pugi::xml_node model = cpu.append_child("model");
    model.append_attribute("fallback").set_value("forbid");
    model.text().set(std::string(p.cpu_model).c_str());
  }
  pugi::xml_node clock = domain.append_child("clock");
  if (spec.icount) {
    // icount: the guest's RTC starts at a fixed date and runs on guest time
    // (-rtc base=2020-01-01,clock=vm). On the host's clock the kernel's
    // CMOS read at boot waits for the update-in-progress bit a different
    // number of instructions each boot, and later boots fell into one of two
    // timings (binder round trip 24.5 or 22.2 us in an A/A run).
    clock.append_attribute("offset").set_value("absolute");
    clock.append_attribute("start").set_value(kIcountRtcStart);
    pugi::xml_node rtc = clock.append_child("timer");
    rtc.append_attribute("name").set_value("rtc");
    rtc.append_attribute("track").set_value("guest");
  } else {
    clock.append_attribute("offset").set_value("utc");
  }
  // The guest's own end (power-off, restart, crash) ends the boot.
  Text(domain, "on_poweroff", "destroy");
  Text(domain, "on_reboot", "destroy");
  Text(domain, "on_crash", "destroy");

  pugi::xml_node devices = domain.append_child("devices");
  Text(devices, "emulator", spec.emulator.string());
  pugi::xml_node serial = devices.append_child("serial");
  serial.append_attribute("type").set_value("file");
  pugi::xml_node source = serial.append_child("source");
  source.append_attribute("path").set_value(spec.console_path.c_str());
  source.append_attribute("append").set_value("off");
  serial.append_child("target").append_attribute("port").set_value(0);
  if (spec.agent_socket) {
    pugi::xml_node channel = devices.append_child("channel");
    channel.append_attribute("type").set_value("unix");
    pugi::xml_node csource = channel.append_child("source");
    // QEMU connects to the lab's listening socket at start: nothing the
    // agent sends can be lost before the lab attaches.
    csource.append_attribute("mode").set_value("connect");
    csource.append_attribute("path").set_value(spec.agent_socket->c_str());
    pugi::xml_node target = channel.append_child("target");
    target.append_attribute("type").set_value("virtio");
    target.append_attribute("name").set_value("org.rfllab.agent.0");
    if (p.virtio_mmio) {
      // libvirt would put the port's controller on PCI; a virtio-mmio address
      // makes it QEMU's virtio-serial-device on the virt machine's transports.
      pugi::xml_node controller = devices.append_child("controller");
      controller.append_attribute("type").set_value("virtio-serial");
      controller.append_attribute("index").set_value(0);
      controller.append_child("address").append_attribute("type").set_value("virtio-mmio");
    }
  }
  pugi::xml_node usb = devices.append_child("controller");
  usb.append_attribute("type").set_value("usb");
  usb.append_attribute("model").set_value("none");
  devices.append_child("memballoon").append_attribute("model").set_value("none");

  if (spec.icount) {
    pugi::xml_node cmd = domain.append_child("qemu:commandline");
    for (const char* arg : kIcountArgs) {
      cmd.append_child("qemu:arg").append_attribute("value").set_value(arg);
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default | pugi::format_no_declaration);
  return out.str();
}

}  // namespace rfl::vm
