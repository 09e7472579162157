#pragma once
// Result<T>: the error channel for operations that can fail (processes, files,
// libvirt, SQLite). User-input problems go through scenario::Diagnostics
// instead. Built on std::expected so checking is explicit and cheap.
#include <expected>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace rfl {

// Why an operation failed, in words a user can act on. `kind` lets callers
// map failures to exit codes without parsing text.
struct Error {
  enum class Kind {
    kInternal,     // the lab could not work (missing tool, I/O, libvirt)
    kInput,        // the user's input is wrong
    kCancelled,    // Ctrl-C or a deadline
    kTimeout,      // a wait ran past its limit
    kNotFound,
  };
  Kind kind = Kind::kInternal;
  std::string message;

  // Prefixes context: Error{"No such file"}.Wrap("reading plan") →
  // "reading plan: No such file".
  Error Wrap(std::string_view context) const {
    return Error{kind, fmt::format("{}: {}", context, message)};
  }
};

template <typename T>
using Result = std::expected<T, Error>;

// A Result for operations that return nothing.
using Status = std::expected<void, Error>;

template <typename... Args>
[[nodiscard]] std::unexpected<Error> Fail(fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected(Error{Error::Kind::kInternal, fmt::format(f, std::forward<Args>(args)...)});
}

template <typename... Args>
[[nodiscard]] std::unexpected<Error> FailAs(Error::Kind kind, fmt::format_string<Args...> f,
                                            Args&&... args) {
  return std::unexpected(Error{kind, fmt::format(f, std::forward<Args>(args)...)});
}

inline std::unexpected<Error> Fail(Error e) { return std::unexpected(std::move(e)); }

}  // namespace rfl
