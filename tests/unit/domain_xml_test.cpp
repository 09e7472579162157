// Domain XML: built with pugixml, so hostile paths and command lines are
// escaped by the library and come back unchanged when parsed.
#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "lab/vm/domain_xml.h"

namespace rfl::vm {
namespace {

DomainSpec Spec(Arch arch = Arch::kX86_64) {
  DomainSpec s;
  s.name = "rfl-lab-test-1";
  s.profile = &ProfileFor(arch);
  s.emulator = "/usr/bin/qemu-system-x86_64";
  s.kernel = "/k/bzImage";
  s.initrd = "/k/initrd.cpio.gz";
  s.cmdline = "console=ttyS0 quiet";
  s.console_path = "/state/console.log";
  s.agent_socket = "/tmp/rfl-vm-x/agent.sock";
  return s;
}

pugi::xml_document Parse(const std::string& xml) {
  pugi::xml_document doc;
  auto ok = doc.load_string(xml.c_str());
  EXPECT_TRUE(ok) << ok.description() << "\n" << xml;
  return doc;
}

TEST(DomainXml, HostilePathsAndCommandLineRoundTrip) {
  DomainSpec s = Spec();
  s.kernel = "/tmp/a<b&c'd\"e>/bzImage";
  s.initrd = "/tmp/]]>&amp;/initrd";
  s.cmdline = "console=ttyS0 rfl.x=\"<&'>\" </cmdline><cmdline>injected";
  s.console_path = "/tmp/<console>&.log";
  auto xml = BuildDomainXml(s);
  ASSERT_TRUE(xml) << xml.error().message;
  EXPECT_EQ(xml->find("<cmdline>injected"), std::string::npos);
  auto doc = Parse(*xml);
  auto os = doc.child("domain").child("os");
  EXPECT_STREQ(os.child("kernel").text().get(), "/tmp/a<b&c'd\"e>/bzImage");
  EXPECT_STREQ(os.child("initrd").text().get(), "/tmp/]]>&amp;/initrd");
  EXPECT_STREQ(os.child("cmdline").text().get(), "console=ttyS0 rfl.x=\"<&'>\" </cmdline><cmdline>injected");
  EXPECT_EQ(std::distance(os.children("cmdline").begin(), os.children("cmdline").end()), 1);
  EXPECT_STREQ(doc.child("domain").child("devices").child("serial").child("source").attribute("path").value(),
               "/tmp/<console>&.log");
}

TEST(DomainXml, EveryLifecycleActionDestroys) {
  auto doc = Parse(*BuildDomainXml(Spec()));
  auto d = doc.child("domain");
  EXPECT_STREQ(d.child("on_poweroff").text().get(), "destroy");
  EXPECT_STREQ(d.child("on_reboot").text().get(), "destroy");
  EXPECT_STREQ(d.child("on_crash").text().get(), "destroy");
}

TEST(DomainXml, AgentChannelConnectsToTheLabSocket) {
  auto doc = Parse(*BuildDomainXml(Spec()));
  auto ch = doc.child("domain").child("devices").child("channel");
  EXPECT_STREQ(ch.attribute("type").value(), "unix");
  EXPECT_STREQ(ch.child("source").attribute("mode").value(), "connect");
  EXPECT_STREQ(ch.child("source").attribute("path").value(), "/tmp/rfl-vm-x/agent.sock");
  EXPECT_STREQ(ch.child("target").attribute("name").value(), "org.rfllab.agent.0");
}

TEST(DomainXml, NoAgentSocketNoChannel) {
  DomainSpec s = Spec();
  s.agent_socket.reset();
  auto doc = Parse(*BuildDomainXml(s));
  EXPECT_FALSE(doc.child("domain").child("devices").child("channel"));
}

TEST(DomainXml, IcountGoesThroughQemuCommandlinePassthrough) {
  DomainSpec s = Spec();
  s.icount = true;
  auto doc = Parse(*BuildDomainXml(s));
  auto d = doc.child("domain");
  EXPECT_STREQ(d.attribute("xmlns:qemu").value(), "http://libvirt.org/schemas/domain/qemu/1.0");
  std::vector<std::string> args;
  for (auto a : d.child("qemu:commandline").children("qemu:arg")) args.push_back(a.attribute("value").value());
  EXPECT_EQ(args, (std::vector<std::string>{"-icount", "shift=0,align=off,sleep=off"}));
}

// icount: nothing in the guest may follow the host's clock, the RTC included.
TEST(DomainXml, IcountStartsTheRtcAtAFixedDateOnGuestTime) {
  DomainSpec s = Spec();
  s.icount = true;
  auto doc = Parse(*BuildDomainXml(s));
  auto clock = doc.child("domain").child("clock");
  EXPECT_STREQ(clock.attribute("offset").value(), "absolute");
  EXPECT_STREQ(clock.attribute("start").value(), "1577836800");
  auto rtc = clock.find_child_by_attribute("timer", "name", "rtc");
  ASSERT_TRUE(rtc);
  EXPECT_STREQ(rtc.attribute("track").value(), "guest");
}

TEST(DomainXml, WallTimingKeepsTheHostsDate) {
  auto doc = Parse(*BuildDomainXml(Spec()));
  auto clock = doc.child("domain").child("clock");
  EXPECT_STREQ(clock.attribute("offset").value(), "utc");
  EXPECT_FALSE(clock.child("timer"));
}

TEST(DomainXml, WallTimingHasNoPassthrough) {
  auto doc = Parse(*BuildDomainXml(Spec()));
  EXPECT_FALSE(doc.child("domain").child("qemu:commandline"));
}

TEST(DomainXml, IcountWithKvmIsRejected) {
  DomainSpec s = Spec();
  s.icount = true;
  s.accel = ResolvedAccel::kKvm;
  auto xml = BuildDomainXml(s);
  ASSERT_FALSE(xml);
  EXPECT_EQ(xml.error().kind, Error::Kind::kInput);
}

TEST(DomainXml, KvmUsesKvmDomainAndHostCpu) {
  DomainSpec s = Spec();
  s.accel = ResolvedAccel::kKvm;
  auto doc = Parse(*BuildDomainXml(s));
  EXPECT_STREQ(doc.child("domain").attribute("type").value(), "kvm");
  EXPECT_STREQ(doc.child("domain").child("cpu").attribute("mode").value(), "host-passthrough");
}

TEST(DomainXml, X86UsesQ35WithAcpi) {
  auto doc = Parse(*BuildDomainXml(Spec()));
  auto type = doc.child("domain").child("os").child("type");
  EXPECT_STREQ(type.attribute("arch").value(), "x86_64");
  EXPECT_STREQ(type.attribute("machine").value(), "q35");
  EXPECT_TRUE(doc.child("domain").child("features").child("acpi"));
  EXPECT_STREQ(doc.child("domain").attribute("type").value(), "qemu");
}

TEST(DomainXml, Arm64UsesVirtWithCpuMax) {
  auto doc = Parse(*BuildDomainXml(Spec(Arch::kArm64)));
  auto d = doc.child("domain");
  EXPECT_STREQ(d.child("os").child("type").attribute("arch").value(), "aarch64");
  EXPECT_STREQ(d.child("os").child("type").attribute("machine").value(), "virt");
  EXPECT_STREQ(d.child("cpu").child("model").text().get(), "max");
}

TEST(DomainXml, Riscv64BootsThroughFirmware) {
  DomainSpec s = Spec(Arch::kRiscv64);
  s.firmware = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin";
  auto doc = Parse(*BuildDomainXml(s));
  auto loader = doc.child("domain").child("os").child("loader");
  EXPECT_STREQ(loader.attribute("type").value(), "rom");
  EXPECT_STREQ(loader.text().get(), "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin");
  EXPECT_STREQ(doc.child("domain").child("os").child("type").attribute("machine").value(), "virt");
}

// arm64 and riscv64: the agent's port on virtio-mmio (their kernels have no
// PCI); x86_64's stays where libvirt puts it (PCI).
TEST(DomainXml, VirtMachinesPutTheAgentPortOnVirtioMmio) {
  for (Arch arch : {Arch::kArm64, Arch::kRiscv64}) {
    auto doc = Parse(*BuildDomainXml(Spec(arch)));
    auto c = doc.child("domain").child("devices").find_child_by_attribute("controller", "type", "virtio-serial");
    ASSERT_TRUE(c) << ArchName(arch);
    EXPECT_STREQ(c.child("address").attribute("type").value(), "virtio-mmio") << ArchName(arch);
  }
  auto x86 = Parse(*BuildDomainXml(Spec(Arch::kX86_64)));
  EXPECT_FALSE(x86.child("domain").child("devices").find_child_by_attribute("controller", "type", "virtio-serial"));
  DomainSpec no_agent = Spec(Arch::kArm64);
  no_agent.agent_socket.reset();
  auto bare = Parse(*BuildDomainXml(no_agent));
  EXPECT_FALSE(bare.child("domain").child("devices").find_child_by_attribute("controller", "type", "virtio-serial"));
}

TEST(DomainXml, MemoryAndCpus) {
  DomainSpec s = Spec();
  s.memory_bytes = 768ull << 20;
  s.cpus = 2;
  auto doc = Parse(*BuildDomainXml(s));
  EXPECT_EQ(doc.child("domain").child("memory").text().as_ullong(), 768ull * 1024);
  EXPECT_STREQ(doc.child("domain").child("memory").attribute("unit").value(), "KiB");
  EXPECT_EQ(doc.child("domain").child("vcpu").text().as_int(), 2);
}

TEST(DomainXml, CmdlineGetsTheArchConsoleUnlessOneIsGiven) {
  EXPECT_EQ(JoinCmdline(ProfileFor(Arch::kArm64), {"quiet"}), "console=ttyAMA0 quiet");
  EXPECT_EQ(JoinCmdline(ProfileFor(Arch::kX86_64), {"console=hvc0", "x"}), "console=hvc0 x");
  EXPECT_EQ(JoinCmdline(ProfileFor(Arch::kRiscv64), {}), "console=ttyS0");
}

}  // namespace
}  // namespace rfl::vm
