// tessera-recorder: the recording service and its key and file tools.
//
//   tessera-recorder run ...                                   the service (see run_command.h)
//   tessera-recorder keygen --keys FILE --id ID                add a KEK, make it active
//   tessera-recorder rewrap --keys FILE --store DIR            wrap every data key under the active
//   KEK tessera-recorder verify FILE --keys FILE --store DIR       check every chunk
//   tessera-recorder decrypt FILE --keys FILE --store DIR -o OUT
//   tessera-recorder sweep --store DIR --recordings [REGION=]DIR... [--now TIME]
//   tessera-recorder erase --identity NAME --store DIR --recordings [REGION=]DIR... [--dry-run]
//   decrypt, sweep and erase also take --audit FILE --audit-key PEM [--audit-key-id ID]
//   [--actor NAME]: their events are appended to that audit log (audit/audit_log.h).
//
// Exit status: 0 done, 1 failed (a bad chunk, a missing key...), 2 usage error.
#include <tessera/audit/audit_log.h>
#include <tessera/base/clock.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/retention.h>
#include <tessera/recorder/run_command.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using namespace tessera;
using namespace tessera::recorder;

constexpr const char* kUsage =
    "usage: tessera-recorder COMMAND [options]\n"
    "  run ...                                      the recording service\n"
    "  keygen --keys FILE --id ID                   create FILE (0600) or add a new "
    "key-encryption\n"
    "                                               key ID to it, and make ID the active key\n"
    "  rewrap --keys FILE --store DIR               wrap every recording key in DIR under the\n"
    "                                               active key (after keygen: key rotation)\n"
    "  verify FILE --keys FILE --store DIR          check every chunk of a recording; exit 1\n"
    "                                               naming the first bad one\n"
    "  decrypt FILE --keys FILE --store DIR -o OUT  write the plaintext container to OUT (never\n"
    "                                               overwritten)\n"
    "  sweep --store DIR --recordings [REGION=]DIR... [--now RFC3339]\n"
    "                                               delete expired recordings and their keys\n"
    "  erase --identity NAME --store DIR --recordings [REGION=]DIR... [--dry-run]\n"
    "                                               delete every recording NAME took part in\n"
    "  --recordings DIR without REGION= is the location of recordings with no region tag.\n"
    "  decrypt, sweep and erase take --audit FILE --audit-key PEM [--audit-key-id ID]\n"
    "  [--actor NAME]: their events (recording.decrypted, recording.deleted,\n"
    "  erasure.requested) are appended to that audit log; actor: --actor, else $USER.\n";

int Usage(const std::string& why) {
  std::fprintf(stderr, "tessera-recorder: %s\n%s", why.c_str(), kUsage);
  return 2;
}

int Fail(const std::string& what) {
  std::fprintf(stderr, "tessera-recorder: %s\n", what.c_str());
  return 1;
}

// Options of one subcommand: "--name value" pairs (repeatable where allowed), flags, and
// positional arguments.
struct Args {
  std::map<std::string, std::vector<std::string>> values;
  std::set<std::string> flags;
  std::vector<std::string> positional;

  std::optional<std::string> One(const std::string& name) const {
    auto it = values.find(name);
    if (it == values.end() || it->second.empty()) return std::nullopt;
    return it->second.back();
  }
};

// nullopt after printing the usage error (the caller exits 2).
std::optional<Args> Parse(int argc, char** argv, const std::set<std::string>& with_value,
                          const std::set<std::string>& repeatable,
                          const std::set<std::string>& flags, size_t positional) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.size() > 1 && a[0] == '-') {
      if (flags.count(a)) {
        args.flags.insert(a);
        continue;
      }
      if (!with_value.count(a)) {
        Usage(std::string(argv[0]) + ": unknown option " + a);
        return std::nullopt;
      }
      if (i + 1 >= argc) {
        Usage(std::string(argv[0]) + ": " + a + " needs a value");
        return std::nullopt;
      }
      auto& v = args.values[a];
      if (!v.empty() && !repeatable.count(a)) {
        Usage(std::string(argv[0]) + ": " + a + " given twice");
        return std::nullopt;
      }
      v.push_back(argv[++i]);
      continue;
    }
    args.positional.push_back(a);
  }
  if (args.positional.size() != positional) {
    Usage(std::string(argv[0]) + ": expected " + std::to_string(positional) +
          " file argument(s), got " + std::to_string(args.positional.size()));
    return std::nullopt;
  }
  return args;
}

bool Require(const Args& args, std::initializer_list<const char*> names, const char* command) {
  for (const char* name : names) {
    if (!args.One(name)) {
      Usage(std::string(command) + ": " + name + " is required");
      return false;
    }
  }
  return true;
}

// The wall clock, or a fixed time (sweep --now): what the sweeper compares expiries with.
class FixedWallClock : public Clock {
 public:
  explicit FixedWallClock(int64_t unix_s) : unix_s_(unix_s) {}
  int64_t NowUs() const override { return SystemClock().NowUs(); }
  NtpTime NowNtp() const override { return UnixUsToNtp(unix_s_ * 1'000'000); }

 private:
  int64_t unix_s_;
};

StatusOr<StorageLocations> Locations(const Args& args) {
  StorageLocations locations;
  auto it = args.values.find("--recordings");
  if (it == args.values.end()) return InvalidArgumentError("--recordings is required");
  for (const auto& spec : it->second) {
    const size_t eq = spec.find('=');
    const std::string region = eq == std::string::npos ? "" : spec.substr(0, eq);
    const std::string dir = eq == std::string::npos ? spec : spec.substr(eq + 1);
    if (dir.empty()) return InvalidArgumentError("--recordings " + spec + ": no directory");
    if (locations.directories().count(region)) {
      return InvalidArgumentError("--recordings: region \"" + region + "\" given twice");
    }
    locations.Set(region, dir);
  }
  return locations;
}

void PrintEvent(const nlohmann::json& event) { std::printf("%s\n", event.dump().c_str()); }

const std::set<std::string> kAuditOptions = {"--audit", "--audit-key", "--audit-key-id", "--actor"};

std::set<std::string> WithAudit(std::set<std::string> options) {
  options.insert(kAuditOptions.begin(), kAuditOptions.end());
  return options;
}

// The operator's audit log for decrypt, sweep and erase (--audit FILE), and who is acting.
struct CliAudit {
  std::unique_ptr<audit::AuditLog> log;  // null: no --audit
  std::string actor;

  void Append(audit::Event event) {
    if (!log) return;
    event.fields.erase("actor");
    nlohmann::ordered_json fields = nlohmann::ordered_json::object();
    fields["actor"] = actor;
    for (auto& [key, value] : event.fields.items()) fields[key] = value;
    event.fields = std::move(fields);
    log->Append(std::move(event));
  }
  // A sweeper's deletion event, printed and appended.
  void Deletion(const nlohmann::json& json) {
    PrintEvent(json);
    audit::Event e(json.value("event", std::string("recording.deleted")));
    for (const auto& [key, value] : json.items()) {
      if (key != "event") e.Set(key, nlohmann::ordered_json::parse(value.dump()));
    }
    Append(std::move(e));
  }
  // Everything appended is written and synced (and the chain sealed with a checkpoint).
  Status Close() {
    if (!log) return Status::Ok();
    const bool ok = log->Flush();
    log->Close();
    return ok ? Status::Ok()
              : InternalError(
                    "the audit log could not be written: some events are missing from "
                    "it (see the messages above)");
  }
};

// Exit code 0 and `out` set, or the code to exit with (2: usage, 1: the log cannot be opened).
int OpenAudit(const Args& args, const char* command, CliAudit& out) {
  const auto path = args.One("--audit");
  if (!path) {
    for (const char* o : {"--audit-key", "--audit-key-id"}) {
      if (args.One(o)) return Usage(std::string(command) + ": " + o + " needs --audit FILE");
    }
    return 0;
  }
  if (!args.One("--audit-key")) {
    return Usage(std::string(command) +
                 ": --audit needs --audit-key PEM (the checkpoints' key; tessera-audit keygen)");
  }
  audit::AuditLogOptions options;
  options.path = *path;
  options.key_file = *args.One("--audit-key");
  options.key_id = args.One("--audit-key-id").value_or("");
  auto log = audit::AuditLog::Open(std::move(options));
  if (!log.ok()) return Fail("--audit " + *path + ": " + log.status().message());
  out.log = std::move(*log);
  if (auto actor = args.One("--actor")) {
    out.actor = *actor;
  } else if (const char* user = std::getenv("USER"); user != nullptr && *user != '\0') {
    out.actor = user;
  } else {
    out.actor = "unknown";
  }
  return 0;
}

int Keygen(int argc, char** argv) {
  auto args = Parse(argc, argv, {"--keys", "--id"}, {}, {}, 0);
  if (!args) return 2;
  if (!Require(*args, {"--keys", "--id"}, "keygen")) return 2;
  const std::string path = *args->One("--keys");
  const std::string id = *args->One("--id");
  std::unique_ptr<LocalKeyRing> ring;
  auto loaded = LocalKeyRing::LoadFile(path);
  if (loaded.ok()) {
    ring = std::move(*loaded);
  } else if (loaded.status().code() == StatusCode::kNotFound) {
    ring = std::make_unique<LocalKeyRing>();
  } else {
    return Fail(loaded.status().message());
  }
  auto key = SecretKey::Random();
  if (!key.ok()) return Fail(key.status().message());
  Status s = ring->AddKey(id, *key);
  if (s.ok()) s = ring->SetActive(id);
  if (s.ok()) s = ring->Save(path);
  if (!s.ok()) return Fail(path + ": " + s.message());
  std::printf(
      "%s: key-encryption key \"%s\" added and active (%zu keys); run rewrap to move "
      "existing recordings onto it\n",
      path.c_str(), id.c_str(), ring->KeyIds().size());
  return 0;
}

int Rewrap(int argc, char** argv) {
  auto args = Parse(argc, argv, {"--keys", "--store"}, {}, {}, 0);
  if (!args) return 2;
  if (!Require(*args, {"--keys", "--store"}, "rewrap")) return 2;
  auto ring = LocalKeyRing::LoadFile(*args->One("--keys"));
  if (!ring.ok()) return Fail(ring.status().message());
  KeyStore store(*args->One("--store"));
  RewrapResult r = store.Rewrap(**ring);
  std::printf("rewrapped %zu recording keys onto \"%s\"; %zu were on it already\n", r.rewrapped,
              (*ring)->ActiveKeyId().c_str(), r.already_active);
  for (const auto& p : r.problems) std::fprintf(stderr, "tessera-recorder: %s\n", p.c_str());
  return r.problems.empty() ? 0 : 1;
}

void PrintSummary(const std::string& path, const VerifyReport& r) {
  std::printf(
      "%s: recording %s, room %s, region %s, %s, started %s\n"
      "  chunks: %llu good, plaintext bytes: %llu, final chunk: %s\n",
      path.c_str(), r.header.recording_id.c_str(), r.header.room.c_str(), r.header.region.c_str(),
      r.header.container.c_str(), FormatRfc3339(r.header.started_s).c_str(),
      static_cast<unsigned long long>(r.chunks), static_cast<unsigned long long>(r.plaintext_bytes),
      r.complete ? "yes (complete)" : "no");
}

int Verify(int argc, char** argv) {
  auto args = Parse(argc, argv, {"--keys", "--store"}, {}, {}, 1);
  if (!args) return 2;
  if (!Require(*args, {"--keys", "--store"}, "verify")) return 2;
  auto ring = LocalKeyRing::LoadFile(*args->One("--keys"));
  if (!ring.ok()) return Fail(ring.status().message());
  const KeyStore store(*args->One("--store"));
  const std::string& path = args->positional[0];
  auto report = VerifyRecording(path, store, **ring);
  if (!report.ok()) return Fail(report.status().message());
  PrintSummary(path, *report);
  if (report->problem) {
    return Fail(path + ": " + ChunkProblemName(report->problem->kind) + ": " +
                report->problem->message);
  }
  std::printf("%s: OK\n", path.c_str());
  return 0;
}

int Decrypt(int argc, char** argv) {
  auto args = Parse(argc, argv, WithAudit({"--keys", "--store", "-o"}), {}, {}, 1);
  if (!args) return 2;
  if (!Require(*args, {"--keys", "--store", "-o"}, "decrypt")) return 2;
  CliAudit audit_log;
  if (int rc = OpenAudit(*args, "decrypt", audit_log); rc != 0) return rc;
  auto ring = LocalKeyRing::LoadFile(*args->One("--keys"));
  if (!ring.ok()) return Fail(ring.status().message());
  const KeyStore store(*args->One("--store"));
  const std::string& path = args->positional[0];
  const std::string out = *args->One("-o");
  // The decryption is on record, written and synced, before any plaintext exists.
  audit::Event started("recording.decrypted");
  if (auto reader = ChunkFileReader::OpenFile(path); reader.ok()) {
    started.Set("recording", (*reader)->header().recording_id)
        .Set("room", (*reader)->header().room);
  }
  started.Set("file", path).Set("output", out).Set("result", "started");
  audit_log.Append(started);
  if (audit_log.log && !audit_log.log->Flush()) {
    return Fail(
        "--audit: the decryption could not be recorded in the audit log: nothing "
        "decrypted");
  }
  auto finished = [&](const std::string& result, const std::string& details) {
    audit::Event e = started;
    e.Set("result", result);
    if (!details.empty()) e.Set("details", details);
    audit_log.Append(std::move(e));
    Status s = audit_log.Close();
    if (!s.ok()) std::fprintf(stderr, "tessera-recorder: --audit: %s\n", s.message().c_str());
  };
  auto report = DecryptRecording(path, store, **ring, out);
  if (!report.ok()) {
    finished("failed", report.status().message());
    return Fail(report.status().message());
  }
  PrintSummary(path, *report);
  if (report->problem && !IsUncleanEnd(*report->problem)) {
    finished("failed", std::string(ChunkProblemName(report->problem->kind)) + ": " +
                           report->problem->message + "; output removed");
    return Fail(path + ": " + ChunkProblemName(report->problem->kind) + ": " +
                report->problem->message + "; nothing written (" + out + " removed)");
  }
  finished("ok", std::to_string(report->plaintext_bytes) + " bytes written" +
                     (report->problem ? "; the recording ended uncleanly" : ""));
  std::printf(
      "wrote %llu bytes of %s to %s (mode 0600)%s\n",
      static_cast<unsigned long long>(report->plaintext_bytes), report->header.container.c_str(),
      out.c_str(),
      report->problem ? "; the recording ended uncleanly: every complete chunk is there" : "");
  if (report->problem) {
    std::fprintf(stderr, "tessera-recorder: warning: %s\n", report->problem->message.c_str());
  }
  return 0;
}

int Sweep(int argc, char** argv) {
  auto args =
      Parse(argc, argv, WithAudit({"--store", "--recordings", "--now"}), {"--recordings"}, {}, 0);
  if (!args) return 2;
  if (!Require(*args, {"--store", "--recordings"}, "sweep")) return 2;
  CliAudit audit_log;
  if (int rc = OpenAudit(*args, "sweep", audit_log); rc != 0) return rc;
  auto locations = Locations(*args);
  if (!locations.ok()) return Usage("sweep: " + locations.status().message());
  std::optional<FixedWallClock> fixed;
  if (auto now = args->One("--now")) {
    auto t = ParseRfc3339(*now);
    if (!t) return Usage("sweep: --now " + *now + " is not an RFC 3339 time");
    fixed.emplace(*t);
  }
  const Clock& clock = fixed ? static_cast<const Clock&>(*fixed) : SystemClock();
  KeyStore store(*args->One("--store"));
  Sweeper sweeper(store, std::move(*locations), clock,
                  [&audit_log](const nlohmann::json& e) { audit_log.Deletion(e); });
  SweepResult r = sweeper.Sweep();
  std::printf("deleted %zu recordings expired by %s\n", r.deleted.size(),
              FormatRfc3339(UnixSeconds(clock)).c_str());
  if (Status s = audit_log.Close(); !s.ok()) r.problems.push_back("--audit: " + s.message());
  for (const auto& p : r.problems) std::fprintf(stderr, "tessera-recorder: %s\n", p.c_str());
  return r.problems.empty() ? 0 : 1;
}

int Erase(int argc, char** argv) {
  auto args = Parse(argc, argv, WithAudit({"--identity", "--store", "--recordings"}),
                    {"--recordings"}, {"--dry-run"}, 0);
  if (!args) return 2;
  if (!Require(*args, {"--identity", "--store", "--recordings"}, "erase")) return 2;
  CliAudit audit_log;
  if (int rc = OpenAudit(*args, "erase", audit_log); rc != 0) return rc;
  auto locations = Locations(*args);
  if (!locations.ok()) return Usage("erase: " + locations.status().message());
  const std::string identity = *args->One("--identity");
  KeyStore store(*args->One("--store"));
  Sweeper sweeper(store, std::move(*locations), SystemClock(),
                  [&audit_log](const nlohmann::json& e) { audit_log.Deletion(e); });
  const bool dry_run = args->flags.count("--dry-run") > 0;
  {
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    for (const auto& e : sweeper.FindByIdentity(identity)) ids.push_back(e.id);
    audit_log.Append(std::move(audit::Event("erasure.requested")
                                   .Set("identity", identity)
                                   .Set("dry_run", dry_run)
                                   .Set("recordings", std::move(ids))));
  }
  if (dry_run) {
    const auto found = sweeper.FindByIdentity(identity);
    for (const auto& e : found) {
      std::printf("%s room %s started %s\n", e.id.c_str(), e.room.c_str(),
                  FormatRfc3339(e.started_s).c_str());
    }
    std::printf("%zu recordings with \"%s\" (dry run: nothing deleted)\n", found.size(),
                identity.c_str());
    if (Status s = audit_log.Close(); !s.ok()) return Fail("--audit: " + s.message());
    return 0;
  }
  SweepResult r = sweeper.Erase(identity);
  std::printf("deleted %zu recordings with \"%s\"\n", r.deleted.size(), identity.c_str());
  if (Status s = audit_log.Close(); !s.ok()) r.problems.push_back("--audit: " + s.message());
  for (const auto& p : r.problems) std::fprintf(stderr, "tessera-recorder: %s\n", p.c_str());
  return r.problems.empty() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage("no command");
  const std::string command = argv[1];
  // Each subcommand sees argv[0] = its name.
  const int sub_argc = argc - 1;
  char** sub_argv = argv + 1;
  // --- The recording service: tessera::recorder::RunRecorder (run_command.h), implemented with
  // --- the media side. Everything below it is the offline key and file tooling.
  // RunRecorder takes the arguments after "run".
  if (command == "run") return tessera::recorder::RunRecorder(argc - 2, argv + 2);
  if (command == "keygen") return Keygen(sub_argc, sub_argv);
  if (command == "rewrap") return Rewrap(sub_argc, sub_argv);
  if (command == "verify") return Verify(sub_argc, sub_argv);
  if (command == "decrypt") return Decrypt(sub_argc, sub_argv);
  if (command == "sweep") return Sweep(sub_argc, sub_argv);
  if (command == "erase") return Erase(sub_argc, sub_argv);
  if (command == "--help" || command == "-h" || command == "help") {
    std::printf("%s", kUsage);
    return 0;
  }
  return Usage("unknown command " + command);
}
