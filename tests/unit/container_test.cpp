// The container image as far as it can be checked without a Docker engine
// (none on the development machines): images/lab/Containerfile and
// .dockerignore read as text. docker-compose.yml is checked by
// tests/integration/compose_test.cpp.
#include <algorithm>
#include <regex>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "lab/util/paths.h"

namespace rfl {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = RFL_LAB_SOURCE_DIR;

std::string Read(const fs::path& relative) {
  auto text = ReadFile(kSource / relative);
  EXPECT_TRUE(text) << relative;
  return text.value_or("");
}

// Instructions with continuation lines joined, comments dropped.
std::vector<std::string> Instructions(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream lines(text);
  std::string current;
  for (std::string line; std::getline(lines, line);) {
    if (current.empty() && (line.empty() || line.starts_with("#"))) continue;
    if (!line.empty() && line.back() == '\\') {
      current += line.substr(0, line.size() - 1);
      continue;
    }
    out.push_back(current + line);
    current.clear();
  }
  return out;
}

// The instructions of the last stage (after its FROM).
std::vector<std::string> FinalStage(const std::vector<std::string>& all) {
  auto from = std::find_if(all.rbegin(), all.rend(), [](const auto& i) { return i.starts_with("FROM "); });
  return {from.base() - 1, all.end()};
}

// Words of scripts/setup.sh's `packages=( … )` list.
std::set<std::string> SetupPackages() {
  std::string setup = Read("scripts/setup.sh");
  auto begin = setup.find("packages=(");
  auto end = setup.find("\n)", begin);
  EXPECT_NE(begin, std::string::npos);
  std::set<std::string> out;
  std::istringstream lines(setup.substr(begin + 10, end - begin - 10));
  for (std::string line; std::getline(lines, line);) {
    line = line.substr(0, line.find('#'));
    std::istringstream words(line);
    for (std::string w; words >> w;) out.insert(w);
  }
  return out;
}

TEST(Containerfile, BuildsLabAndAgentsInOneStageAndRunsFromAnother) {
  auto all = Instructions(Read("images/lab/Containerfile"));
  size_t froms = std::count_if(all.begin(), all.end(), [](const auto& i) { return i.starts_with("FROM "); });
  EXPECT_GE(froms, 2u) << "one stage with compilers, one to run";
  bool builds_both = std::any_of(all.begin(), all.end(), [](const auto& i) {
    return std::regex_search(i, std::regex(R"(cmake --build \S+ --target rfl-lab agents)"));
  });
  EXPECT_TRUE(builds_both) << "the image must build the guest agents rfl-lab puts in every initramfs";
  auto final_stage = FinalStage(all);
  bool agent_dir = false, from_build = false;
  for (const auto& i : final_stage) {
    if (i.find("RFL_LAB_AGENT_DIR=") != std::string::npos) agent_dir = true;
    if (i.starts_with("COPY --from=build")) from_build = true;
    // No compilers, browsers or test tools in the image that runs.
    for (const char* heavy : {"setup.sh", "g++", "chromium", "scipy", "cmake", "-dev "}) {
      EXPECT_EQ(i.find(heavy), std::string::npos) << "final stage: " << i;
    }
  }
  EXPECT_TRUE(agent_dir) << "the final stage must tell rfl-lab where the agents are";
  EXPECT_TRUE(from_build);
}

TEST(Containerfile, RunsAsAnUnprivilegedUser) {
  auto final_stage = FinalStage(Instructions(Read("images/lab/Containerfile")));
  std::string user;
  for (const auto& i : final_stage) {
    if (i.starts_with("USER ")) user = i.substr(5);
  }
  EXPECT_FALSE(user.empty()) << "no USER: the image runs as root";
  EXPECT_NE(user, "root");
  EXPECT_NE(user, "0");
}

TEST(Containerfile, RuntimeProgramsAreTheDevelopmentMachinesPackages) {
  // One list of what the lab needs (scripts/setup.sh); the image takes a
  // subset of it. Shared libraries come from ldd in the build stage.
  auto setup = SetupPackages();
  ASSERT_GT(setup.size(), 20u);
  size_t checked = 0;
  for (const auto& i : FinalStage(Instructions(Read("images/lab/Containerfile")))) {
    auto at = i.find("apt-get install");
    if (!i.starts_with("RUN ") || at == std::string::npos) continue;
    std::istringstream words(i.substr(at));
    for (std::string w; words >> w;) {
      if (w == "&&") break;
      if (w.starts_with("-") || w.starts_with("$(") || w.starts_with("/") || w.ends_with(")") || w == "apt-get" ||
          w == "install") {
        continue;
      }
      EXPECT_TRUE(setup.contains(w)) << w << " is installed in the image but not named in scripts/setup.sh";
      ++checked;
    }
  }
  EXPECT_GT(checked, 5u);
}

TEST(Dockerignore, KeepsBuildTreesAndHistoryOutButNotWhatTheImageCopies) {
  std::set<std::string> ignored;
  std::istringstream lines(Read(".dockerignore"));
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && !line.starts_with("#")) ignored.insert(line);
  }
  for (const char* must : {".git", "build"}) EXPECT_TRUE(ignored.contains(must)) << must;
  for (const auto& i : Instructions(Read("images/lab/Containerfile"))) {
    if (!i.starts_with("COPY ") || i.starts_with("COPY --from")) continue;
    std::istringstream words(i.substr(5));
    std::string source;
    words >> source;
    std::string top = source.substr(0, source.find('/'));
    EXPECT_FALSE(ignored.contains(top)) << i << " copies what .dockerignore leaves out";
  }
}

}  // namespace
}  // namespace rfl
