#include "lab/results/store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

#include "lab/util/paths.h"

namespace rfl::results {
namespace {

using nlohmann::json;

// Migration i takes the schema from version i to i + 1. Never edit a shipped
// migration; append a new one and bump kStoreSchemaVersion.
constexpr const char* kMigrations[] = {
    R"sql(
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  scenario_name TEXT NOT NULL,
  scenario_text TEXT NOT NULL,
  scenario_hash TEXT NOT NULL,
  lab_version TEXT NOT NULL,
  host TEXT NOT NULL,
  timing TEXT NOT NULL,
  baseline TEXT NOT NULL,
  noise REAL NOT NULL,
  alpha REAL NOT NULL,
  repeat_min INTEGER NOT NULL,
  repeat_max INTEGER NOT NULL,
  started_unix REAL NOT NULL,
  ended_unix REAL,
  status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'interrupted', 'failed')),
  message TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_scenario ON runs (scenario_name, id);
CREATE TABLE variants (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  expect TEXT NOT NULL CHECK (expect IN ('pass', 'build-failure', 'boot-failure')),
  rustflags TEXT NOT NULL,
  kconfig TEXT NOT NULL,
  PRIMARY KEY (run_id, name)
);
CREATE TABLE builds (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  variants TEXT NOT NULL,
  arch TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  kernel TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('built', 'cache-hit', 'failed', 'expected-failure')),
  failure_class TEXT NOT NULL,
  failure_excerpt TEXT NOT NULL,
  rustc_version TEXT NOT NULL,
  bindgen_version TEXT NOT NULL,
  clang_version TEXT NOT NULL,
  effective_flags TEXT NOT NULL,
  duration_seconds REAL NOT NULL,
  sizes TEXT NOT NULL,
  artifact_dir TEXT NOT NULL,
  UNIQUE (run_id, key)
);
CREATE TABLE boots (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  build_id INTEGER REFERENCES builds (id) ON DELETE SET NULL,
  build_key TEXT NOT NULL,
  variant TEXT NOT NULL,
  arch TEXT NOT NULL,
  toolchain TEXT NOT NULL,
  kernel TEXT NOT NULL,
  repetition INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  accel TEXT NOT NULL,
  timing TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('passed', 'build-failed', 'boot-timeout', 'kernel-panic',
    'oops', 'rust-panic', 'warning', 'hang', 'init-failed', 'workload-failed', 'agent-lost')),
  evidence TEXT NOT NULL,
  console_path TEXT NOT NULL,
  started_unix REAL NOT NULL,
  ended_unix REAL NOT NULL
);
CREATE INDEX boots_by_run ON boots (run_id, id);
CREATE TABLE samples (
  id INTEGER PRIMARY KEY,
  boot_id INTEGER NOT NULL REFERENCES boots (id) ON DELETE CASCADE,
  workload TEXT NOT NULL,
  metric TEXT NOT NULL,
  unit TEXT NOT NULL,
  value REAL NOT NULL,
  labels TEXT NOT NULL
);
CREATE INDEX samples_by_boot ON samples (boot_id);
CREATE INDEX samples_by_metric ON samples (workload, metric);
)sql",
    // 2: how each workload of a boot ended (passed, failed, or skipped — by
    // the agent, or by the lab because the kernel lacks what it needs).
    R"sql(
CREATE TABLE workload_runs (
  id INTEGER PRIMARY KEY,
  boot_id INTEGER NOT NULL REFERENCES boots (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('passed', 'failed', 'skipped')),
  reason TEXT NOT NULL,
  duration_seconds REAL NOT NULL
);
CREATE INDEX workload_runs_by_boot ON workload_runs (boot_id);
)sql",
    // 3: the title of the kernel report that decided a boot's outcome
    // ("WARNING in foo"); '' when none did, and for the boots stored before.
    R"sql(
ALTER TABLE boots ADD COLUMN title TEXT NOT NULL DEFAULT '';
)sql",
    // 4: the code-check stage's verdicts per rustc flag (a JSON array of
    // CodeCheckRecord); '[]' for failed builds and the builds stored before.
    R"sql(
ALTER TABLE builds ADD COLUMN code_checks TEXT NOT NULL DEFAULT '[]';
)sql",
    // 5: exactly which kernel a build had ("7.3.4" and the source id, e.g.
    // "debian:linux-source-7.3=7.3.4-1~bpo13+1"); '' for the builds before.
    R"sql(
ALTER TABLE builds ADD COLUMN kernel_version TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN source_id TEXT NOT NULL DEFAULT '';
)sql",
    // 6: what each workload set up for its samples (AttributeSet: labels as
    // LabelsKey, values as a JSON object of strings), for the parity check.
    R"sql(
CREATE TABLE workload_attributes (
  id INTEGER PRIMARY KEY,
  boot_id INTEGER NOT NULL REFERENCES boots (id) ON DELETE CASCADE,
  workload TEXT NOT NULL,
  labels TEXT NOT NULL,
  attrs TEXT NOT NULL
);
CREATE INDEX workload_attributes_by_boot ON workload_attributes (boot_id);
)sql",
    // 7: every KUnit test case of a boot (TestCaseResult), not only counts.
    R"sql(
CREATE TABLE test_cases (
  id INTEGER PRIMARY KEY,
  boot_id INTEGER NOT NULL REFERENCES boots (id) ON DELETE CASCADE,
  workload TEXT NOT NULL,
  suite TEXT NOT NULL,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  diagnostics TEXT NOT NULL
);
CREATE INDEX test_cases_by_boot ON test_cases (boot_id);
)sql",
    // 8: where a boot ran when not on this machine (LAVA's "<worker>/<device>");
    // '' for local boots and the boots stored before.
    R"sql(
ALTER TABLE boots ADD COLUMN worker TEXT NOT NULL DEFAULT '';
)sql",
    // 9: the corner of the scenario's matrix the command line limited a run
    // to ("--kernel 7.3 --arch x86_64"); '' for a whole run and the runs before.
    R"sql(
ALTER TABLE runs ADD COLUMN corner TEXT NOT NULL DEFAULT '';
)sql",
    // 10: the ABI checks a scenario asked for (`abi_checks:`), one row per
    // flag × toolchain × arch: the whole check as JSON (AbiCheckFromJson).
    R"sql(
CREATE TABLE abi_checks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  toolchain TEXT NOT NULL,
  arch TEXT NOT NULL,
  flag TEXT NOT NULL,
  result TEXT NOT NULL,
  UNIQUE (run_id, toolchain, arch, flag)
);
)sql",
    // 11: where the run's boots ran: the backend (`libvirt` | `lava`) and
    // its URI (the libvirt connection, the LAVA server); '' for the runs
    // before.
    R"sql(
ALTER TABLE runs ADD COLUMN backend TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN backend_uri TEXT NOT NULL DEFAULT '';
)sql",
};
static_assert(std::size(kMigrations) == kStoreSchemaVersion);

// RAII over sqlite3_stmt with typed binds; columns are read by index.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
      error_ = sqlite3_errmsg(db);
      stmt_ = nullptr;
    }
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  bool ok() const { return stmt_ != nullptr; }
  const std::string& error() const { return error_; }

  Statement& Bind(int i, std::string_view v) {
    // A default string_view has a null data(): bind "" rather than NULL.
    sqlite3_bind_text(stmt_, i, v.data() ? v.data() : "", static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, double v) {
    sqlite3_bind_double(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  Statement& Bind(int i, int v) { return Bind(i, static_cast<int64_t>(v)); }
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Statement& BindNull(int i) {
    sqlite3_bind_null(stmt_, i);
    return *this;
  }

  // SQLITE_ROW → true, SQLITE_DONE → false, anything else → error.
  Result<bool> Step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Fail("SQLite: {}", sqlite3_errmsg(db_));
  }
  Status Run() {
    auto r = Step();
    if (!r) return std::unexpected(r.error());
    return {};
  }

  std::string Text(int col) const {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  int64_t Int(int col) const { return sqlite3_column_int64(stmt_, col); }
  double Real(int col) const { return sqlite3_column_double(stmt_, col); }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string error_;
};

json ToJson(const std::map<std::string, std::string>& m) {
  json j = json::object();
  for (const auto& [k, v] : m) j[k] = v;
  return j;
}

std::map<std::string, std::string> StringMapFromJson(const std::string& text) {
  std::map<std::string, std::string> out;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      out[it.key()] = it.value().is_string() ? it.value().get<std::string>() : it.value().dump();
    }
  }
  return out;
}

std::vector<std::string> StringListFromJson(const std::string& text) {
  std::vector<std::string> out;
  json j = json::parse(text, nullptr, false);
  if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) out.push_back(e.get<std::string>());
    }
  }
  return out;
}

class SqliteStore final : public Store {
 public:
  SqliteStore(sqlite3* db, std::filesystem::path path, bool read_only = false)
      : db_(db), path_(std::move(path)), read_only_(read_only) {}
  ~SqliteStore() override { sqlite3_close_v2(db_); }
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Status Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errmsg(db_);
      sqlite3_free(err);
      return Fail("SQLite ({}): {}", path_.string(), msg);
    }
    return {};
  }

  Result<std::unique_ptr<Statement>> Prepare(const char* sql) {
    auto s = std::make_unique<Statement>(db_, sql);
    if (!s->ok()) return Fail("SQLite ({}): preparing statement: {}", path_.string(), s->error());
    return s;
  }

  Status Migrate() {
    if (auto s = Exec("PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;");
        !s) {
      return s;
    }
    auto version = UserVersion();
    if (!version) return std::unexpected(version.error());
    if (*version > kStoreSchemaVersion) {
      return Fail("results store {} has schema version {}, newer than this rfl-lab supports ({}); "
                  "use a newer rfl-lab",
                  path_.string(), *version, kStoreSchemaVersion);
    }
    for (int v = *version; v < kStoreSchemaVersion; ++v) {
      // BEGIN IMMEDIATE: two labs opening one new store do not both migrate.
      if (auto s = Exec("BEGIN IMMEDIATE"); !s) return s;
      // Re-read inside the lock: another process may have migrated meanwhile.
      auto now = UserVersion();
      if (!now) {
        (void)Exec("ROLLBACK");
        return std::unexpected(now.error());
      }
      if (*now > v) {
        if (auto s = Exec("COMMIT"); !s) return s;
        v = *now - 1;
        continue;
      }
      auto s = Exec(kMigrations[v]);
      if (s) s = Exec(fmt::format("PRAGMA user_version = {}", v + 1).c_str());
      if (!s) {
        (void)Exec("ROLLBACK");
        return std::unexpected(s.error().Wrap(fmt::format("migrating the store to schema {}", v + 1)));
      }
      if (auto c = Exec("COMMIT"); !c) return c;
    }
    return {};
  }

  // A read-only store is read as it is: never migrated, so an older schema
  // is read without the tables it lacks.
  Status CheckReadable() {
    auto version = UserVersion();
    if (!version) return std::unexpected(version.error());
    if (*version == 0) return FailAs(Error::Kind::kInput, "{} is not an rfl-lab results store", path_.string());
    if (*version > kStoreSchemaVersion) {
      return Fail("results store {} has schema version {}, newer than this rfl-lab supports ({}); "
                  "use a newer rfl-lab",
                  path_.string(), *version, kStoreSchemaVersion);
    }
    schema_version_ = *version;
    return {};
  }

  Status Writable() const {
    if (read_only_) return Fail("results store {} was opened read-only", path_.string());
    return {};
  }

  Result<int> UserVersion() {
    auto q = Prepare("PRAGMA user_version");
    if (!q) return std::unexpected(q.error());
    auto row = (*q)->Step();
    if (!row) return std::unexpected(row.error());
    return static_cast<int>((*q)->Int(0));
  }

  Result<int64_t> BeginRun(const RunInfo& info) override {
    if (auto w = Writable(); !w) return std::unexpected(w.error());
    if (auto s = Exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
    auto r = BeginRunLocked(info);
    if (!r) {
      (void)Exec("ROLLBACK");
      return r;
    }
    if (auto s = Exec("COMMIT"); !s) return std::unexpected(s.error());
    return r;
  }

  Result<int64_t> BeginRunLocked(const RunInfo& info) {
    auto st = Prepare(
        "INSERT INTO runs (scenario_name, scenario_text, scenario_hash, lab_version, host, timing, "
        "baseline, noise, alpha, repeat_min, repeat_max, started_unix, corner, backend, backend_uri, status) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,'running')");
    if (!st) return std::unexpected(st.error());
    auto& s = **st;
    s.Bind(1, info.scenario_name).Bind(2, info.scenario_text).Bind(3, info.scenario_hash);
    s.Bind(4, info.lab_version).Bind(5, info.host).Bind(6, info.timing).Bind(7, info.baseline);
    s.Bind(8, info.noise).Bind(9, info.alpha).Bind(10, info.repeat_min).Bind(11, info.repeat_max);
    s.Bind(12, info.started_unix > 0 ? info.started_unix : NowUnix()).Bind(13, info.corner);
    s.Bind(14, info.backend).Bind(15, info.backend_uri);
    if (auto r = s.Run(); !r) return std::unexpected(r.error().Wrap("recording the run"));
    int64_t run_id = sqlite3_last_insert_rowid(db_);
    int position = 0;
    for (const auto& v : info.variants) {
      auto vs = Prepare(
          "INSERT INTO variants (run_id, position, name, expect, rustflags, kconfig) VALUES (?,?,?,?,?,?)");
      if (!vs) return std::unexpected(vs.error());
      (*vs)->Bind(1, run_id).Bind(2, position++).Bind(3, v.name).Bind(4, ExpectName(v.expect));
      (*vs)->Bind(5, json(v.rustflags).dump()).Bind(6, ToJson(v.kconfig).dump());
      if (auto r = (*vs)->Run(); !r) return std::unexpected(r.error().Wrap("recording variant " + v.name));
    }
    return run_id;
  }

  Result<int64_t> RecordBuild(int64_t run_id, const BuildRecord& b) override {
    if (auto w = Writable(); !w) return std::unexpected(w.error());
    json sizes = json::object();
    for (const auto& [object, sections] : b.sizes) {
      for (const auto& [section, bytes] : sections) sizes[object][section] = bytes;
    }
    auto st = Prepare(
        "INSERT INTO builds (run_id, key, variants, arch, toolchain, kernel, outcome, failure_class, "
        "failure_excerpt, rustc_version, bindgen_version, clang_version, effective_flags, "
        "duration_seconds, sizes, artifact_dir, code_checks, kernel_version, source_id) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT (run_id, key) DO UPDATE SET variants = excluded.variants, arch = excluded.arch, "
        "toolchain = excluded.toolchain, kernel = excluded.kernel, outcome = excluded.outcome, "
        "failure_class = excluded.failure_class, failure_excerpt = excluded.failure_excerpt, "
        "rustc_version = excluded.rustc_version, bindgen_version = excluded.bindgen_version, "
        "clang_version = excluded.clang_version, effective_flags = excluded.effective_flags, "
        "duration_seconds = excluded.duration_seconds, sizes = excluded.sizes, "
        "artifact_dir = excluded.artifact_dir, code_checks = excluded.code_checks, "
        "kernel_version = excluded.kernel_version, source_id = excluded.source_id RETURNING id");
    if (!st) return std::unexpected(st.error());
    auto& s = **st;
    s.Bind(1, run_id).Bind(2, b.key).Bind(3, json(b.variants).dump()).Bind(4, b.arch);
    s.Bind(5, b.toolchain).Bind(6, b.kernel).Bind(7, BuildOutcomeName(b.outcome));
    s.Bind(8, b.failure_class).Bind(9, b.failure_excerpt).Bind(10, b.rustc_version);
    s.Bind(11, b.bindgen_version).Bind(12, b.clang_version).Bind(13, b.effective_flags);
    json checks = json::array();
    for (const auto& c : b.code_checks) checks.push_back(ToJson(c));
    s.Bind(14, b.duration_seconds).Bind(15, sizes.dump()).Bind(16, b.artifact_dir).Bind(17, checks.dump());
    s.Bind(18, b.kernel_version).Bind(19, b.source_id);
    auto row = s.Step();
    if (!row) return std::unexpected(row.error().Wrap("recording build " + b.key));
    if (!*row) return Fail("recording build {}: no id returned", b.key);
    return s.Int(0);
  }

  Result<int64_t> RecordAbiCheck(int64_t run_id, const AbiCheckRecord& c) override {
    if (auto w = Writable(); !w) return std::unexpected(w.error());
    auto st = Prepare(
        "INSERT INTO abi_checks (run_id, toolchain, arch, flag, result) VALUES (?,?,?,?,?) "
        "ON CONFLICT (run_id, toolchain, arch, flag) DO UPDATE SET result = excluded.result RETURNING id");
    if (!st) return std::unexpected(st.error());
    auto& s = **st;
    s.Bind(1, run_id).Bind(2, c.toolchain).Bind(3, c.arch).Bind(4, c.flag).Bind(5, c.detail.dump());
    auto row = s.Step();
    if (!row) return std::unexpected(row.error().Wrap("recording the ABI check of " + c.flag));
    if (!*row) return Fail("recording the ABI check of {}: no id returned", c.flag);
    return s.Int(0);
  }

  Result<int64_t> RecordBoot(int64_t run_id, const BootRecord& boot) override {
    if (auto w = Writable(); !w) return std::unexpected(w.error());
    // One transaction per boot: its samples are all there or none are.
    if (auto s = Exec("BEGIN IMMEDIATE"); !s) return std::unexpected(s.error());
    auto r = RecordBootLocked(run_id, boot);
    if (!r) {
      (void)Exec("ROLLBACK");
      return std::unexpected(r.error().Wrap(
          fmt::format("recording boot {} rep {} attempt {}", boot.variant, boot.repetition, boot.attempt)));
    }
    if (auto s = Exec("COMMIT"); !s) return std::unexpected(s.error());
    return r;
  }

  Result<int64_t> RecordBootLocked(int64_t run_id, const BootRecord& boot) {
    auto st = Prepare(
        "INSERT INTO boots (run_id, build_id, build_key, variant, arch, toolchain, kernel, repetition, "
        "attempt, accel, timing, outcome, evidence, console_path, started_unix, ended_unix, title, worker) "
        "VALUES (?, (SELECT id FROM builds WHERE run_id = ? AND key = ?), ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (!st) return std::unexpected(st.error());
    auto& s = **st;
    s.Bind(1, run_id).Bind(2, run_id).Bind(3, boot.build_key).Bind(4, boot.build_key);
    s.Bind(5, boot.variant).Bind(6, boot.arch).Bind(7, boot.toolchain).Bind(8, boot.kernel);
    s.Bind(9, boot.repetition).Bind(10, boot.attempt).Bind(11, boot.accel).Bind(12, boot.timing);
    s.Bind(13, BootOutcomeName(boot.outcome)).Bind(14, boot.evidence).Bind(15, boot.console_path);
    s.Bind(16, boot.started_unix).Bind(17, boot.ended_unix).Bind(18, boot.title).Bind(19, boot.worker);
    if (auto r = s.Run(); !r) return std::unexpected(r.error());
    int64_t boot_id = sqlite3_last_insert_rowid(db_);
    auto ins = Prepare("INSERT INTO samples (boot_id, workload, metric, unit, value, labels) VALUES (?,?,?,?,?,?)");
    if (!ins) return std::unexpected(ins.error());
    for (const auto& sample : boot.samples) {
      auto& i = **ins;
      i.Reset();
      i.Bind(1, boot_id).Bind(2, sample.workload).Bind(3, sample.metric).Bind(4, sample.unit);
      i.Bind(5, sample.value).Bind(6, LabelsKey(sample.labels));
      if (auto r = i.Run(); !r) return std::unexpected(r.error().Wrap("sample " + sample.metric));
    }
    auto wl = Prepare("INSERT INTO workload_runs (boot_id, name, status, reason, duration_seconds) VALUES (?,?,?,?,?)");
    if (!wl) return std::unexpected(wl.error());
    for (const auto& w : boot.workloads) {
      auto& i = **wl;
      i.Reset();
      i.Bind(1, boot_id).Bind(2, w.name).Bind(3, w.status).Bind(4, w.reason).Bind(5, w.duration_s);
      if (auto r = i.Run(); !r) return std::unexpected(r.error().Wrap("workload " + w.name));
    }
    auto at = Prepare("INSERT INTO workload_attributes (boot_id, workload, labels, attrs) VALUES (?,?,?,?)");
    if (!at) return std::unexpected(at.error());
    for (const auto& a : boot.attributes) {
      auto& i = **at;
      i.Reset();
      i.Bind(1, boot_id).Bind(2, a.workload).Bind(3, LabelsKey(a.labels)).Bind(4, LabelsKey(a.values));
      if (auto r = i.Run(); !r) return std::unexpected(r.error().Wrap("attributes of " + a.workload));
    }
    auto tc = Prepare(
        "INSERT INTO test_cases (boot_id, workload, suite, name, status, reason, diagnostics) VALUES (?,?,?,?,?,?,?)");
    if (!tc) return std::unexpected(tc.error());
    for (const auto& t : boot.test_cases) {
      auto& i = **tc;
      i.Reset();
      i.Bind(1, boot_id).Bind(2, t.workload).Bind(3, t.suite).Bind(4, t.name).Bind(5, t.status);
      i.Bind(6, t.reason).Bind(7, t.diagnostics);
      if (auto r = i.Run(); !r) return std::unexpected(r.error().Wrap("test case " + t.suite + "/" + t.name));
    }
    return boot_id;
  }

  Status FinishRun(int64_t run_id, RunStatus status, std::string_view message) override {
    if (auto w = Writable(); !w) return std::unexpected(w.error());
    auto st = Prepare("UPDATE runs SET status = ?, message = ?, ended_unix = ? WHERE id = ?");
    if (!st) return std::unexpected(st.error());
    (*st)->Bind(1, RunStatusName(status)).Bind(2, message).Bind(3, NowUnix()).Bind(4, run_id);
    if (auto r = (*st)->Run(); !r) return r;
    if (sqlite3_changes(db_) == 0) return FailAs(Error::Kind::kNotFound, "no run {} in the store", run_id);
    return {};
  }

  // A read-only store of an older schema has no corner or backend column.
  std::string RunColumns() const {
    return fmt::format(
        "SELECT r.id, r.scenario_name, r.scenario_text, r.scenario_hash, r.lab_version, r.host, r.timing, "
        "r.baseline, r.noise, r.alpha, r.repeat_min, r.repeat_max, r.started_unix, "
        "COALESCE(r.ended_unix, 0), r.status, r.message, "
        "(SELECT COUNT(*) FROM boots b WHERE b.run_id = r.id), "
        "(SELECT COUNT(*) FROM boots b WHERE b.run_id = r.id AND b.outcome != 'passed'), "
        "(SELECT COUNT(*) FROM builds b WHERE b.run_id = r.id), {}, {} FROM runs r ",
        schema_version_ >= 9 ? "r.corner" : "''", schema_version_ >= 11 ? "r.backend, r.backend_uri" : "'', ''");
  }

  static RunSummary ReadRun(const Statement& s) {
    RunSummary r;
    r.id = s.Int(0);
    r.info.scenario_name = s.Text(1);
    r.info.scenario_text = s.Text(2);
    r.info.scenario_hash = s.Text(3);
    r.info.lab_version = s.Text(4);
    r.info.host = s.Text(5);
    r.info.timing = s.Text(6);
    r.info.baseline = s.Text(7);
    r.info.noise = s.Real(8);
    r.info.alpha = s.Real(9);
    r.info.repeat_min = static_cast<int>(s.Int(10));
    r.info.repeat_max = static_cast<int>(s.Int(11));
    r.info.started_unix = s.Real(12);
    r.ended_unix = s.Real(13);
    r.status = ParseRunStatus(s.Text(14)).value_or(RunStatus::kFailed);
    r.message = s.Text(15);
    r.boots = static_cast<int>(s.Int(16));
    r.failed_boots = static_cast<int>(s.Int(17));
    r.builds = static_cast<int>(s.Int(18));
    r.info.corner = s.Text(19);
    r.info.backend = s.Text(20);
    r.info.backend_uri = s.Text(21);
    return r;
  }

  Result<std::vector<RunSummary>> ListRuns(std::optional<std::string> scenario, int limit) override {
    std::string sql = RunColumns() + (scenario ? "WHERE r.scenario_name = ? " : "") +
                      "ORDER BY r.id DESC LIMIT ?";
    auto st = Prepare(sql.c_str());
    if (!st) return std::unexpected(st.error());
    int i = 1;
    if (scenario) (*st)->Bind(i++, *scenario);
    (*st)->Bind(i, limit);
    std::vector<RunSummary> out;
    while (true) {
      auto row = (*st)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(ReadRun(**st));
    }
    return out;
  }

  Result<std::optional<int64_t>> LatestRun(std::optional<std::string> scenario, bool completed_only) override {
    std::string sql = "SELECT id FROM runs WHERE 1 = 1";
    if (scenario) sql += " AND scenario_name = ?";
    if (completed_only) sql += " AND status = 'completed'";
    sql += " ORDER BY id DESC LIMIT 1";
    auto st = Prepare(sql.c_str());
    if (!st) return std::unexpected(st.error());
    if (scenario) (*st)->Bind(1, *scenario);
    auto row = (*st)->Step();
    if (!row) return std::unexpected(row.error());
    if (!*row) return std::optional<int64_t>{};
    return std::optional<int64_t>{(*st)->Int(0)};
  }

  Result<std::vector<RunSummary>> LatestRunPerScenario(bool completed_only) override {
    std::string sql = RunColumns() + "WHERE r.id IN (SELECT MAX(id) FROM runs " +
                      (completed_only ? "WHERE status = 'completed' " : "") +
                      "GROUP BY scenario_name) ORDER BY r.scenario_name";
    auto st = Prepare(sql.c_str());
    if (!st) return std::unexpected(st.error());
    std::vector<RunSummary> out;
    while (true) {
      auto row = (*st)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      out.push_back(ReadRun(**st));
    }
    return out;
  }

  Result<RunData> LoadRun(int64_t run_id) override {
    // One read transaction: a consistent snapshot while a run is writing.
    if (auto s = Exec("BEGIN"); !s) return std::unexpected(s.error());
    auto r = LoadRunLocked(run_id);
    (void)Exec("COMMIT");
    return r;
  }

  Result<RunData> LoadRunLocked(int64_t run_id) {
    RunData data;
    {
      auto st = Prepare((RunColumns() + "WHERE r.id = ?").c_str());
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      auto row = (*st)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) return FailAs(Error::Kind::kNotFound, "no run {} in the store {}", run_id, path_.string());
      data.run = ReadRun(**st);
    }
    {
      auto st = Prepare("SELECT name, expect, rustflags, kconfig FROM variants WHERE run_id = ? ORDER BY position");
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto& s = **st;
        VariantInfo v;
        v.name = s.Text(0);
        v.expect = ParseExpect(s.Text(1)).value_or(Expect::kPass);
        v.rustflags = StringListFromJson(s.Text(2));
        v.kconfig = StringMapFromJson(s.Text(3));
        data.run.info.variants.push_back(std::move(v));
      }
    }
    {
      // A store read as it is may predate code checks (schema < 4) and
      // exact kernel versions (schema < 5).
      auto st = Prepare(fmt::format(
          "SELECT id, key, variants, arch, toolchain, kernel, outcome, failure_class, failure_excerpt, "
          "rustc_version, bindgen_version, clang_version, effective_flags, duration_seconds, sizes, "
          "artifact_dir, {}, {} FROM builds WHERE run_id = ? ORDER BY id",
          schema_version_ >= 4 ? "code_checks" : "'[]'",
          schema_version_ >= 5 ? "kernel_version, source_id" : "'', ''").c_str());
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto& s = **st;
        BuildRecord b;
        b.id = s.Int(0);
        b.key = s.Text(1);
        b.variants = StringListFromJson(s.Text(2));
        b.arch = s.Text(3);
        b.toolchain = s.Text(4);
        b.kernel = s.Text(5);
        b.outcome = ParseBuildOutcome(s.Text(6)).value_or(BuildOutcome::kFailed);
        b.failure_class = s.Text(7);
        b.failure_excerpt = s.Text(8);
        b.rustc_version = s.Text(9);
        b.bindgen_version = s.Text(10);
        b.clang_version = s.Text(11);
        b.effective_flags = s.Text(12);
        b.duration_seconds = s.Real(13);
        json sizes = json::parse(s.Text(14), nullptr, false);
        if (sizes.is_object()) {
          for (auto o = sizes.begin(); o != sizes.end(); ++o) {
            if (!o.value().is_object()) continue;
            for (auto sec = o.value().begin(); sec != o.value().end(); ++sec) {
              if (sec.value().is_number_integer()) b.sizes[o.key()][sec.key()] = sec.value().get<int64_t>();
            }
          }
        }
        b.artifact_dir = s.Text(15);
        json checks = json::parse(s.Text(16), nullptr, false);
        if (checks.is_array()) {
          for (const auto& c : checks) b.code_checks.push_back(CodeCheckFromJson(c));
        }
        b.kernel_version = s.Text(17);
        b.source_id = s.Text(18);
        data.builds.push_back(std::move(b));
      }
    }
    std::map<int64_t, size_t> boot_index;
    {
      // A store read as it is may predate titles (schema < 3): they read as ''.
      std::string sql = fmt::format(
          "SELECT id, build_key, variant, arch, toolchain, kernel, repetition, attempt, accel, timing, "
          "outcome, evidence, console_path, started_unix, ended_unix, {}, {} FROM boots WHERE run_id = ? ORDER BY id",
          schema_version_ >= 3 ? "title" : "''", schema_version_ >= 8 ? "worker" : "''");
      auto st = Prepare(sql.c_str());
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto& s = **st;
        BootRecord b;
        b.id = s.Int(0);
        b.build_key = s.Text(1);
        b.variant = s.Text(2);
        b.arch = s.Text(3);
        b.toolchain = s.Text(4);
        b.kernel = s.Text(5);
        b.repetition = static_cast<int>(s.Int(6));
        b.attempt = static_cast<int>(s.Int(7));
        b.accel = s.Text(8);
        b.timing = s.Text(9);
        b.outcome = ParseBootOutcome(s.Text(10)).value_or(BootOutcome::kAgentLost);
        b.evidence = s.Text(11);
        b.console_path = s.Text(12);
        b.started_unix = s.Real(13);
        b.ended_unix = s.Real(14);
        b.title = s.Text(15);
        b.worker = s.Text(16);
        boot_index[b.id] = data.boots.size();
        data.boots.push_back(std::move(b));
      }
    }
    // The rows of a per-boot table (first column: boot_id), each handed to
    // `take` with its boot.
    auto each_boot_row = [&](const char* sql, auto take) -> Status {
      auto st = Prepare(sql);
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) return {};
        auto it = boot_index.find((*st)->Int(0));
        if (it != boot_index.end()) take(**st, data.boots[it->second]);
      }
    };
    if (auto st = each_boot_row(
            "SELECT s.boot_id, s.workload, s.metric, s.unit, s.value, s.labels FROM samples s "
            "JOIN boots b ON b.id = s.boot_id WHERE b.run_id = ? ORDER BY s.id",
            [](Statement& r, BootRecord& b) {
              b.samples.push_back(Sample{r.Text(1), r.Text(2), r.Text(3), r.Real(4), StringMapFromJson(r.Text(5))});
            });
        !st) {
      return std::unexpected(st.error());
    }
    if (schema_version_ >= 2) {
      if (auto st = each_boot_row(
              "SELECT w.boot_id, w.name, w.status, w.reason, w.duration_seconds FROM workload_runs w "
              "JOIN boots b ON b.id = w.boot_id WHERE b.run_id = ? ORDER BY w.id",
              [](Statement& r, BootRecord& b) {
                b.workloads.push_back(WorkloadRun{r.Text(1), r.Text(2), r.Text(3), r.Real(4)});
              });
          !st) {
        return std::unexpected(st.error());
      }
    }
    if (schema_version_ >= 6) {
      if (auto st = each_boot_row(
              "SELECT a.boot_id, a.workload, a.labels, a.attrs FROM workload_attributes a "
              "JOIN boots b ON b.id = a.boot_id WHERE b.run_id = ? ORDER BY a.id",
              [](Statement& r, BootRecord& b) {
                b.attributes.push_back(
                    AttributeSet{r.Text(1), StringMapFromJson(r.Text(2)), StringMapFromJson(r.Text(3))});
              });
          !st) {
        return std::unexpected(st.error());
      }
    }
    if (schema_version_ >= 7) {
      if (auto st = each_boot_row(
              "SELECT t.boot_id, t.workload, t.suite, t.name, t.status, t.reason, t.diagnostics FROM test_cases t "
              "JOIN boots b ON b.id = t.boot_id WHERE b.run_id = ? ORDER BY t.id",
              [](Statement& r, BootRecord& b) {
                b.test_cases.push_back(
                    TestCaseResult{r.Text(1), r.Text(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6)});
              });
          !st) {
        return std::unexpected(st.error());
      }
    }
    if (schema_version_ >= 10) {
      auto st = Prepare("SELECT toolchain, arch, flag, result FROM abi_checks WHERE run_id = ? ORDER BY id");
      if (!st) return std::unexpected(st.error());
      (*st)->Bind(1, run_id);
      while (true) {
        auto row = (*st)->Step();
        if (!row) return std::unexpected(row.error());
        if (!*row) break;
        auto& s = **st;
        AbiCheckRecord c = AbiCheckFromJson(json::parse(s.Text(3), nullptr, false));
        // The row's key columns are what the run asked for, whatever the JSON says.
        c.toolchain = s.Text(0);
        c.arch = s.Text(1);
        c.flag = s.Text(2);
        data.abi_checks.push_back(std::move(c));
      }
    }
    return data;
  }

  Result<std::vector<BootCount>> CountBoots(std::optional<std::string> scenario,
                                            std::optional<int64_t> up_to_run) override {
    std::string sql = fmt::format(
        "SELECT r.scenario_name, b.arch, b.toolchain, b.kernel, b.variant, b.outcome, COUNT(*), {} "
        "FROM boots b JOIN runs r ON r.id = b.run_id WHERE 1 = 1{}{} "
        "GROUP BY r.scenario_name, b.arch, b.toolchain, b.kernel, b.variant, b.outcome "
        "ORDER BY r.scenario_name, b.arch, b.toolchain, b.kernel, b.variant, b.outcome",
        schema_version_ >= 3 ? "SUM(b.title != '')" : "0", scenario ? " AND r.scenario_name = ?" : "",
        up_to_run ? " AND r.id <= ?" : "");
    auto st = Prepare(sql.c_str());
    if (!st) return std::unexpected(st.error());
    int i = 1;
    if (scenario) (*st)->Bind(i++, *scenario);
    if (up_to_run) (*st)->Bind(i++, *up_to_run);
    std::vector<BootCount> out;
    while (true) {
      auto row = (*st)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      auto& s = **st;
      auto outcome = ParseBootOutcome(s.Text(5));
      if (!outcome) continue;  // the schema's CHECK allows only known names
      out.push_back(BootCount{s.Text(0), s.Text(1), s.Text(2), s.Text(3), s.Text(4), *outcome, s.Int(6), s.Int(7)});
    }
    return out;
  }

  Result<std::vector<SampleRow>> QuerySamples(const SampleQuery& q) override {
    std::string sql =
        "SELECT r.id, b.id, r.scenario_name, b.arch, b.toolchain, b.kernel, b.variant, b.repetition, "
        "b.started_unix, s.workload, s.metric, s.unit, s.value, s.labels FROM samples s "
        "JOIN boots b ON b.id = s.boot_id JOIN runs r ON r.id = b.run_id WHERE 1 = 1";
    std::vector<std::string> binds;
    auto add = [&](const std::optional<std::string>& v, const char* clause) {
      if (v) {
        sql += clause;
        binds.push_back(*v);
      }
    };
    add(q.scenario, " AND r.scenario_name = ?");
    add(q.arch, " AND b.arch = ?");
    add(q.toolchain, " AND b.toolchain = ?");
    add(q.kernel, " AND b.kernel = ?");
    add(q.variant, " AND b.variant = ?");
    add(q.workload, " AND s.workload = ?");
    add(q.metric, " AND s.metric = ?");
    if (q.labels) add(LabelsKey(*q.labels), " AND s.labels = ?");
    if (q.run_id) add(std::to_string(*q.run_id), " AND r.id = CAST(? AS INTEGER)");
    if (q.passed_boots_only) sql += " AND b.outcome = 'passed'";
    sql += " ORDER BY b.id, s.id LIMIT ?";
    auto st = Prepare(sql.c_str());
    if (!st) return std::unexpected(st.error());
    int i = 1;
    for (const auto& b : binds) (*st)->Bind(i++, b);
    (*st)->Bind(i, q.limit);
    std::vector<SampleRow> out;
    while (true) {
      auto row = (*st)->Step();
      if (!row) return std::unexpected(row.error());
      if (!*row) break;
      auto& s = **st;
      SampleRow r;
      r.run_id = s.Int(0);
      r.boot_id = s.Int(1);
      r.scenario = s.Text(2);
      r.arch = s.Text(3);
      r.toolchain = s.Text(4);
      r.kernel = s.Text(5);
      r.variant = s.Text(6);
      r.repetition = static_cast<int>(s.Int(7));
      r.boot_started_unix = s.Real(8);
      r.sample = Sample{s.Text(9), s.Text(10), s.Text(11), s.Real(12), StringMapFromJson(s.Text(13))};
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  sqlite3* db_;
  std::filesystem::path path_;
  bool read_only_ = false;
  int schema_version_ = kStoreSchemaVersion;
};

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::filesystem::path& path) {
  if (path.has_parent_path()) {
    if (auto s = EnsureDir(path.parent_path()); !s) return std::unexpected(s.error());
  }
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Fail("opening results store {}: {}", path.string(), msg);
  }
  // Another lab (or an exporter) may hold the write lock for a moment.
  sqlite3_busy_timeout(db, 10000);
  auto store = std::make_unique<SqliteStore>(db, path);
  if (auto s = store->Migrate(); !s) return std::unexpected(s.error().Wrap("opening results store " + path.string()));
  return std::unique_ptr<Store>(std::move(store));
}

namespace {

// A path as a SQLite URI ("file:" + percent-encoded path).
std::string FileUri(const std::filesystem::path& path, std::string_view query) {
  std::string out = "file:";
  for (unsigned char c : path.string()) {
    if (std::isalnum(c) || c == '/' || c == '.' || c == '_' || c == '-' || c == '~') out += static_cast<char>(c);
    else out += fmt::format("%{:02X}", c);
  }
  return out + "?" + std::string(query);
}

Result<std::unique_ptr<SqliteStore>> OpenUri(const std::filesystem::path& path, std::string_view query) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(FileUri(path, query).c_str(), &db,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);
    return Fail("opening results store {} read-only: {}", path.string(), msg);
  }
  sqlite3_busy_timeout(db, 10000);
  auto store = std::make_unique<SqliteStore>(db, path, /*read_only=*/true);
  if (auto st = store->CheckReadable(); !st) return std::unexpected(st.error());
  return store;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStoreReadOnly(const std::filesystem::path& path) {
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return FailAs(Error::Kind::kNotFound, "no results store at {} (`rfl-lab run` makes one; --store names another)",
                  path.string());
  }
  if (!std::filesystem::is_regular_file(status)) {
    return FailAs(Error::Kind::kInput, "{} is not a results store: not a regular file", path.string());
  }
  auto store = OpenUri(path, "mode=ro");
  // A WAL store in a directory this user cannot write (a copy from someone
  // else, chmod 444) cannot get its shared-memory file: read it as immutable.
  if (!store && store.error().kind != Error::Kind::kInput) store = OpenUri(path, "immutable=1");
  if (!store) return std::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

std::filesystem::path DefaultStorePath(const std::filesystem::path& state_dir) {
  return state_dir / "results.sqlite3";
}

Result<int64_t> ResolveRun(Store& store, std::string_view spec) {
  if (spec.empty() || spec == "latest") {
    auto latest = store.LatestRun();
    if (!latest) return std::unexpected(latest.error());
    if (!*latest) return FailAs(Error::Kind::kNotFound, "the results store has no runs yet");
    return **latest;
  }
  if (std::all_of(spec.begin(), spec.end(), [](char c) { return c >= '0' && c <= '9'; }) && spec.size() < 18) {
    return std::stoll(std::string(spec));
  }
  auto latest = store.LatestRun(std::string(spec));
  if (!latest) return std::unexpected(latest.error());
  if (!*latest) {
    return FailAs(Error::Kind::kNotFound, "no run '{}': give a run id (see `rfl-lab runs`), 'latest' or a scenario name",
                  spec);
  }
  return **latest;
}

std::string LabelsKey(const std::map<std::string, std::string>& labels) { return ToJson(labels).dump(); }

std::map<std::string, std::string> LabelsFromKey(const std::string& key) {
  std::map<std::string, std::string> out;
  json j = json::parse(key, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [k, v] : j.items()) out[k] = v.is_string() ? v.get<std::string>() : v.dump();
  return out;
}

}  // namespace rfl::results
