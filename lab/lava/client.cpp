#include "lab/lava/client.h"

#include <curl/curl.h>

#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lab/util/paths.h"

namespace rfl::lava {
namespace {

using nlohmann::json;

// Responses larger than this are refused (a job log is read in pages).
constexpr size_t kMaxResponseBytes = 64u << 20;

struct Response {
  long status = 0;
  std::string body;
};

size_t Append(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxResponseBytes) return 0;  // curl reports a write error
  body->append(data, size * n);
  return size * n;
}

struct CurlDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

std::string Str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

class RestClient final : public LavaApi {
 public:
  RestClient(std::string url, std::optional<std::string> token) : base_(std::move(url)), token_(std::move(token)) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    while (!base_.empty() && base_.back() == '/') base_.pop_back();
  }

  Result<int64_t> Submit(const std::string& definition) override {
    auto r = Request("POST", "/api/v0.2/jobs/", json{{"definition", definition}}.dump());
    if (!r) return std::unexpected(r.error());
    auto j = JsonOf(*r, "submitting a job");
    if (!j) return std::unexpected(j.error());
    if (r->status != 201 && r->status != 200) {
      return FailAs(Error::Kind::kInput, "LAVA refused the job (HTTP {}): {}", r->status, Str(*j, "message"));
    }
    auto ids = j->find("job_ids");
    if (ids == j->end() || !ids->is_array() || ids->empty() || !(*ids)[0].is_number_integer()) {
      return Fail("LAVA accepted the job but named no job id: {}", r->body.substr(0, 200));
    }
    return (*ids)[0].get<int64_t>();
  }

  Result<JobState> State(int64_t job) override {
    auto r = Request("GET", fmt::format("/api/v0.2/jobs/{}/", job));
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return Fail("LAVA job {}: HTTP {}", job, r->status);
    auto j = JsonOf(*r, "reading a job");
    if (!j) return std::unexpected(j.error());
    JobState s;
    s.state = Str(*j, "state");
    s.health = Str(*j, "health");
    s.actual_device = Str(*j, "actual_device");
    s.failure_comment = Str(*j, "failure_comment");
    if (s.state.empty()) return Fail("LAVA job {}: the answer has no state", job);
    return s;
  }

  Result<std::string> Logs(int64_t job, size_t start) override {
    auto r = Request("GET", fmt::format("/api/v0.2/jobs/{}/logs/?start={}", job, start));
    if (!r) return std::unexpected(r.error());
    if (r->status == 404) return std::string();  // no entries past `start` yet (or no log yet)
    if (r->status != 200) return Fail("LAVA job {} log: HTTP {}", job, r->status);
    return std::move(r->body);
  }

  Status Cancel(int64_t job) override {
    auto r = Request("GET", fmt::format("/api/v0.2/jobs/{}/cancel/", job));
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return Fail("cancelling LAVA job {}: HTTP {}", job, r->status);
    return {};
  }

  Result<std::string> WorkerOf(const std::string& device) override {
    auto r = Request("GET", fmt::format("/api/v0.2/devices/{}/", device));
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return Fail("LAVA device {}: HTTP {}", device, r->status);
    auto j = JsonOf(*r, "reading a device");
    if (!j) return std::unexpected(j.error());
    return Str(*j, "worker_host");
  }

  std::string Url() const override { return base_ + "/"; }

  Result<std::string> Version() {
    auto r = Request("GET", "/api/v0.2/system/version/");
    if (!r) return std::unexpected(r.error());
    if (r->status != 200) return Fail("{} does not answer as a LAVA server (HTTP {})", Url(), r->status);
    auto j = JsonOf(*r, "reading the version");
    if (!j) return std::unexpected(j.error());
    return "LAVA " + Str(*j, "version");
  }

 private:
  Result<Response> Request(const char* method, const std::string& path, const std::string& body = {}) {
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) return Fail("libcurl could not start");
    Response out;
    std::string url = base_ + path;
    std::unique_ptr<curl_slist, SlistDeleter> headers;
    auto add = [&](const std::string& h) { headers.reset(curl_slist_append(headers.release(), h.c_str())); };
    add("Accept: application/json, application/yaml");
    if (token_) add("Authorization: Token " + *token_);
    if (!body.empty()) add("Content-Type: application/json");
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, Append);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &out.body);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 10L);
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 60L);
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    if (std::string_view(method) == "POST") {
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    CURLcode rc = curl_easy_perform(curl.get());
    if (rc != CURLE_OK) return Fail("LAVA {} {}: {}", method, url, curl_easy_strerror(rc));
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &out.status);
    if (out.status == 401 || out.status == 403) {
      return FailAs(Error::Kind::kInput, "LAVA {} refused the request (HTTP {}): check the token", Url(), out.status);
    }
    return out;
  }

  static Result<json> JsonOf(const Response& r, std::string_view what) {
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Fail("{}: LAVA answered HTTP {} with something that is not a JSON object: {}", what, r.status,
                  r.body.substr(0, 200));
    }
    return j;
  }

  std::string base_;
  std::optional<std::string> token_;
};

}  // namespace

Result<std::unique_ptr<LavaApi>> OpenLavaApi(const std::string& url, std::optional<std::string> token,
                                             std::string* version) {
  if (!url.starts_with("http://") && !url.starts_with("https://")) {
    return FailAs(Error::Kind::kInput, "LAVA URL '{}' must start with http:// or https://", url);
  }
  auto client = std::make_unique<RestClient>(url, std::move(token));
  auto v = client->Version();
  if (!v) return std::unexpected(v.error());
  if (version) *version = *v;
  return std::unique_ptr<LavaApi>(std::move(client));
}

Result<std::string> ReadTokenFile(const std::string& path) {
  auto text = ReadFile(path);
  if (!text) return std::unexpected(text.error().Wrap("reading the LAVA token file"));
  std::string t = *text;
  auto b = t.find_first_not_of(" \t\r\n");
  auto e = t.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) return FailAs(Error::Kind::kInput, "LAVA token file {} is empty", path);
  t = t.substr(b, e - b + 1);
  if (t.find_first_of(" \t\r\n") != std::string::npos) {
    return FailAs(Error::Kind::kInput, "LAVA token file {} has more than one line", path);
  }
  return t;
}

}  // namespace rfl::lava
