// vm helpers that need no VM: the KVM probe guest image, connection URIs,
// the embedded driver's qemu.conf.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>

#include <unistd.h>

#include "lab/util/paths.h"
#include "lab/vm/accel.h"
#include "lab/vm/hypervisor.h"

namespace rfl::vm {
namespace {

uint32_t Le32(const std::string& s, size_t off) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(s[off + i]);
  return v;
}

TEST(ProbeGuest, IsAValidMultibootImageThatPrintsTheMarker) {
  std::string img = ProbeGuestImage();
  EXPECT_EQ(Le32(img, 0), 0x1BADB002u);
  EXPECT_EQ(static_cast<uint32_t>(Le32(img, 0) + Le32(img, 4) + Le32(img, 8)), 0u) << "checksum";
  EXPECT_EQ(Le32(img, 4) & 0x00010000u, 0x00010000u) << "address fields valid";
  EXPECT_EQ(Le32(img, 0x1c), 0x100020u) << "entry right after the header";
  EXPECT_NE(img.find(std::string(kProbeMarker) + "\n"), std::string::npos);
}

TEST(ConnectUri, DefaultIsTheEmbeddedDriverUnderTheStateDir) {
  EXPECT_EQ(DefaultConnectUri("/var/lib/rfl lab"), "qemu:///embed?root=/var/lib/rfl%20lab/libvirt");
}

TEST(EmbeddedRoot, WritesTheQemuConfTheEmbeddedDriverNeeds) {
  auto root = std::filesystem::temp_directory_path() / ("rfl-vm-test-" + std::to_string(::getpid()));
  ASSERT_TRUE(PrepareEmbeddedRoot(root));
  auto conf = ReadFile(root / "etc" / "qemu.conf");
  ASSERT_TRUE(conf);
  EXPECT_NE(conf->find("user = \"root\""), std::string::npos);
  EXPECT_NE(conf->find("group = \"root\""), std::string::npos);
  EXPECT_NE(conf->find("namespaces = []"), std::string::npos);
  EXPECT_NE(conf->find("stdio_handler = \"file\""), std::string::npos);
  EXPECT_NE(conf->find("remember_owner = 0"), std::string::npos) << "no xattrs, no XATTR timestamp warnings";
  EXPECT_NE(conf->find("cgroup_controllers = []"), std::string::npos) << "no cpuset groups to start empty";
  EXPECT_TRUE(PrepareEmbeddedRoot(root)) << "idempotent";
  std::filesystem::remove_all(root);
}

}  // namespace
}  // namespace rfl::vm
