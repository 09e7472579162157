#pragma once
// How a guest is run: the acceleration asked for and the timing mode. Core
// types shared by the scenario model, the VM layer and the results.
#include <optional>
#include <string_view>

namespace rfl {

// Acceleration as asked (`auto` is resolved by vm/accel.h).
enum class Accel { kAuto, kKvm, kTcg };
std::string_view AccelName(Accel a);  // "auto", "kvm", "tcg"
std::optional<Accel> ParseAccel(std::string_view s);

// wall: real clocks; icount: guest time counts instructions (reproducible).
enum class Timing { kIcount, kWall };
std::string_view TimingName(Timing t);  // "icount", "wall"
std::optional<Timing> ParseTiming(std::string_view s);

}  // namespace rfl
