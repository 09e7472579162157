#pragma once
// Content keys: SHA-256 over a canonical byte string (OpenSSL libcrypto).
#include <filesystem>
#include <string>
#include <string_view>

#include "lab/util/result.h"

namespace rfl {

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

// Lower-case hex SHA-256 of a file's bytes.
Result<std::string> Sha256File(const std::filesystem::path& path);

// `bytes` random bytes from the system's CSPRNG (OpenSSL RAND_bytes) as
// lower-case hex: names nobody can guess (published artifact URLs).
std::string RandomHex(size_t bytes);

// Incremental hasher for keys built from several fields; each field is
// length-prefixed so ("ab","c") and ("a","bc") differ.
class KeyHasher {
 public:
  KeyHasher& Add(std::string_view field);
  std::string Hex() const;  // full digest
  std::string Short() const { return Hex().substr(0, 16); }

 private:
  std::string buffer_;
};

}  // namespace rfl
