// docker-compose.yml: Debian's docker-compose (v1) must accept it, and what it
// resolves must keep every port on loopback and mount files that exist.
#include <fstream>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "lab/util/process.h"

namespace rfl {
namespace {

namespace fs = std::filesystem;

Result<ProcessResult> ComposeConfig(const fs::path& file) {
  Command cmd;
  cmd.argv = {"docker-compose", "-f", file.string(), "config"};
  cmd.cwd = file.parent_path();
  cmd.timeout = std::chrono::seconds(60);
  return DefaultRunner().Run(cmd);
}

TEST(Compose, DockerComposeConfigAcceptsTheFile) {
  if (!FindProgram("docker-compose")) GTEST_SKIP() << "docker-compose not installed (scripts/setup.sh test)";
  auto r = ComposeConfig(fs::path(RFL_LAB_SOURCE_DIR) / "docker-compose.yml");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->ok()) << r->Describe() << "\n" << r->output;
  // The output may carry a deprecation warning before the YAML.
  auto start = r->output.find("services:");
  ASSERT_NE(start, std::string::npos) << r->output;
  YAML::Node resolved = YAML::Load(r->output.substr(start));
  auto services = resolved["services"];
  for (const char* name : {"lab", "prometheus", "pushgateway", "alertmanager", "grafana"}) {
    ASSERT_TRUE(services[name]) << name;
  }
  // Every host Prometheus scrapes or sends alerts to is a service of the file.
  YAML::Node prom = YAML::LoadFile((fs::path(RFL_LAB_SOURCE_DIR) / "exporters/prometheus/prometheus.yml").string());
  std::vector<std::string> targets;
  for (const auto& job : prom["scrape_configs"]) {
    for (const auto& sc : job["static_configs"]) {
      for (const auto& t : sc["targets"]) targets.push_back(t.as<std::string>());
    }
  }
  ASSERT_TRUE(prom["alerting"]) << "prometheus.yml sends alerts nowhere";
  for (const auto& am : prom["alerting"]["alertmanagers"]) {
    for (const auto& sc : am["static_configs"]) {
      for (const auto& t : sc["targets"]) targets.push_back(t.as<std::string>());
    }
  }
  for (const auto& t : targets) {
    EXPECT_TRUE(services[t.substr(0, t.find(':'))]) << "prometheus.yml names " << t << ", not a compose service";
  }
  EXPECT_EQ(services["lab"]["build"]["dockerfile"].as<std::string>(), "images/lab/Containerfile");
  EXPECT_TRUE(fs::exists(fs::path(RFL_LAB_SOURCE_DIR) / "images/lab/Containerfile"));
  // serve has no privilege; the runner has exactly what mmdebstrap and
  // bubblewrap need, and /dev/kvm.
  EXPECT_FALSE(services["lab"]["devices"]);
  EXPECT_FALSE(services["lab"]["user"]) << "lab runs as the image's unprivileged user";
  EXPECT_EQ(services["lab"]["cap_drop"][0].as<std::string>(), "ALL");
  ASSERT_TRUE(services["runner"]);
  EXPECT_EQ(services["runner"]["devices"][0].as<std::string>().substr(0, 20), "/dev/kvm:/dev/kvm");
  EXPECT_EQ(services["runner"]["cap_add"][0].as<std::string>(), "SYS_ADMIN");
  EXPECT_EQ(services["runner"]["profiles"][0].as<std::string>(), "run") << "the runner must not start with up";
  for (const auto& service : services) {
    for (const auto& port : service.second["ports"]) {
      EXPECT_TRUE(port.as<std::string>().starts_with("127.0.0.1:")) << service.first << ": " << port;
    }
    for (const auto& volume : service.second["volumes"]) {
      auto spec = volume.as<std::string>();
      if (spec.starts_with("/")) {
        auto source = spec.substr(0, spec.find(':'));
        EXPECT_TRUE(fs::exists(source)) << service.first << " mounts missing " << source;
      }
    }
  }
}

TEST(Compose, DockerComposeConfigRejectsABrokenFile) {
  if (!FindProgram("docker-compose")) GTEST_SKIP() << "docker-compose not installed (scripts/setup.sh test)";
  // The check above is only worth something if docker-compose says no to a
  // wrong file: a service with an unknown key.
  std::string tmpl = (fs::temp_directory_path() / "rfl-compose-XXXXXX").string();
  fs::path dir = mkdtemp(tmpl.data());
  {
    std::ofstream out(dir / "docker-compose.yml");
    out << "version: \"3.8\"\nservices:\n  lab:\n    image: rfl-lab\n    devicez: [/dev/kvm]\n";
  }
  auto r = ComposeConfig(dir / "docker-compose.yml");
  fs::remove_all(dir);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->ok()) << r->output;
}

}  // namespace
}  // namespace rfl
