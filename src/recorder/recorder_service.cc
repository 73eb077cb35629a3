#include <openssl/rand.h>
#include <spdlog/spdlog.h>
#include <tessera/base/time_format.h>
#include <tessera/control/problem.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/mcu_client.h>
#include <tessera/recorder/recorder_service.h>
#include <tessera/recorder/recording_session.h>
#include <tessera/srtp/srtp_suite.h>

#include <array>
#include <atomic>
#include <boost/asio/post.hpp>
#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

namespace tessera::recorder {
namespace {

// Leaving the MCU (DELETE) at shutdown: each has its request timeout (5 s); this bounds them all.
constexpr auto kShutdownWait = std::chrono::seconds(7);

StatusOr<std::string> NewRecordingId() {
  std::array<unsigned char, 16> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    return InternalError("recorder: the random generator failed; cannot name a recording");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (const unsigned char b : bytes) {
    id.push_back(kHex[b >> 4]);
    id.push_back(kHex[b & 0x0f]);
  }
  return id;
}

int64_t UnixMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

struct RecorderService::Recording {
  RecordingInfo info;
  std::unique_ptr<RecordingSession> session;
  std::shared_ptr<McuClient> client;
  std::set<std::string> participants;  // senders seen so far (in the catalogue entry too)
};

RecorderService::RecorderService(RecorderConfig config, std::string api_token,
                                 std::string mcu_token, SinkFactory sinks, Clock& clock)
    : config_(std::move(config)),
      api_token_(std::move(api_token)),
      mcu_token_(std::move(mcu_token)),
      sinks_(std::move(sinks)),
      clock_(clock),
      sweep_timer_(retention_io_) {
  if (!config_.key_store_dir.empty()) {
    store_.emplace(config_.key_store_dir);
    sweeper_.emplace(*store_, StorageLocations(config_.storage), clock_,
                     [this](const nlohmann::json& event) { AuditDeletion(event); });
    sweeper_->SetInProgress([this](const std::string& id) { return InProgress(id); });
  }
}

RecorderService::~RecorderService() { Shutdown(); }

namespace {

// A handler's exception must not end every recording: logged, and the thread goes on.
void RunLogged(boost::asio::io_context& io, const char* what) {
  for (;;) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("recorder: the {} thread caught: {}", what, e.what());
    } catch (...) {
      spdlog::error("recorder: the {} thread caught an unknown exception", what);
    }
  }
}

}  // namespace

void RecorderService::Start() {
  if (thread_.joinable()) return;
  work_.emplace(io_.get_executor());
  thread_ = std::thread([this] { RunLogged(io_, "media"); });
  retention_work_.emplace(retention_io_.get_executor());
  retention_thread_ = std::thread([this] { RunLogged(retention_io_, "retention"); });
  if (sweeper_ && config_.sweep_interval_s > 0) {
    // The first sweep at once: a recorder that was down for a while catches up at start.
    boost::asio::post(retention_io_, [this] {
      SweepResult r = SweepOnRetention();
      if (sweep_observer_) sweep_observer_(r);
      ArmSweep();
    });
  } else if (sweeper_) {
    spdlog::info(
        "recorder: sweep_interval_s is 0: expired recordings are deleted only by "
        "`tessera-recorder sweep`");
  }
}

template <class T>
T RecorderService::OnRetention(std::function<T()> work) {
  std::packaged_task<T()> task(std::move(work));
  std::future<T> result = task.get_future();
  boost::asio::post(retention_io_, [&task] { task(); });
  return result.get();
}

void RecorderService::ArmSweep() {
  sweep_timer_.expires_after(std::chrono::seconds(config_.sweep_interval_s));
  sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    SweepResult r = SweepOnRetention();
    if (sweep_observer_) sweep_observer_(r);
    ArmSweep();
  });
}

SweepResult RecorderService::SweepOnRetention() {
  SweepResult r = sweeper_->Sweep();
  if (!r.deleted.empty()) {
    spdlog::info("recorder: retention sweep deleted {} recordings", r.deleted.size());
  }
  for (const auto& id : r.in_progress) {
    spdlog::info(
        "recorder: recording {} has expired but is still being recorded: it is deleted "
        "by the first sweep after it stops",
        id);
  }
  for (const auto& p : r.problems) spdlog::warn("recorder: retention sweep: {}", p);
  return r;
}

StatusOr<SweepResult> RecorderService::SweepNow() {
  if (!sweeper_) {
    return FailedPreconditionError(
        "the recorder has no key store (key_store_dir): nothing to "
        "sweep");
  }
  if (!retention_thread_.joinable()) return FailedPreconditionError("the recorder is not running");
  return OnRetention<SweepResult>([this] { return SweepOnRetention(); });
}

bool RecorderService::InProgress(const std::string& id) const {
  std::lock_guard lock(active_mu_);
  return active_.count(id) > 0;
}

void RecorderService::Audit(audit::Event event) const {
  if (audit_) audit_(std::move(event));
}

void RecorderService::AuditDeletion(const nlohmann::json& event) const {
  audit::Event e(event.value("event", std::string("recording.deleted")));
  for (const auto& [key, value] : event.items()) {
    if (key != "event") e.Set(key, nlohmann::ordered_json::parse(value.dump()));
  }
  Audit(std::move(e));
}

StatusOr<ErasureResult> RecorderService::Erase(const std::string& identity, bool dry_run,
                                               const std::string& source) {
  if (identity.empty()) return InvalidArgumentError("identity: the person's name, not empty");
  if (!sweeper_) {
    return FailedPreconditionError(
        "the recorder has no key store (key_store_dir): nothing to "
        "erase");
  }
  if (!retention_thread_.joinable()) return FailedPreconditionError("the recorder is not running");
  return OnRetention<ErasureResult>([this, identity, dry_run, source] {
    ErasureResult out;
    std::vector<RecordingEntry> found = sweeper_->FindByIdentity(identity);
    std::map<std::string, RecordingEntry> by_id;
    nlohmann::ordered_json ids = nlohmann::ordered_json::array();
    nlohmann::ordered_json busy = nlohmann::ordered_json::array();
    for (auto& e : found) {
      if (InProgress(e.id)) {
        busy.push_back(e.id);
      } else {
        ids.push_back(e.id);
      }
      by_id.emplace(e.id, std::move(e));
    }
    // Asked for, before anything is deleted: the request is on record even if a deletion fails.
    audit::Event requested("erasure.requested");
    requested.Set("actor", "api").Set("identity", identity).Set("dry_run", dry_run);
    if (!source.empty()) requested.Set("source", source);
    requested.Set("recordings", ids).Set("in_progress", busy);
    Audit(std::move(requested));
    spdlog::info("recorder: erasure of \"{}\"{}: {} recordings, {} still being recorded", identity,
                 dry_run ? " (dry run)" : "", ids.size(), busy.size());
    if (dry_run) {
      for (auto& [id, e] : by_id) {
        if (InProgress(id)) {
          out.in_progress.push_back(id);
        } else {
          out.deleted.push_back(std::move(e));
        }
      }
      return out;
    }
    SweepResult r = sweeper_->Erase(identity);
    for (const auto& id : r.deleted) {
      auto it = by_id.find(id);
      if (it != by_id.end()) {
        out.deleted.push_back(it->second);
      } else {
        RecordingEntry e;
        e.id = id;
        out.deleted.push_back(std::move(e));
      }
    }
    out.in_progress = std::move(r.in_progress);
    out.problems = std::move(r.problems);
    return out;
  });
}

template <class T>
T RecorderService::OnMedia(std::function<T()> work) {
  std::packaged_task<T()> task(std::move(work));
  std::future<T> result = task.get_future();
  boost::asio::post(io_, [&task] { task(); });
  return result.get();
}

int64_t ExpiresUnixS(int64_t started_unix_ms, uint32_t retention_days) {
  return started_unix_ms / 1000 + int64_t{retention_days} * 86400;
}

StatusOr<RecordingInfo> RecorderService::StartRecording(const std::string& room,
                                                        const std::string& profile,
                                                        const std::string& region,
                                                        const std::string& wanted_id,
                                                        uint32_t retention_days) {
  RecordingInfo info;
  if (retention_days > 36500) {
    return InvalidArgumentError("retention_days: must be a whole number of days in 1..36500, got " +
                                std::to_string(retention_days));
  }
  if (wanted_id.empty()) {
    auto id = NewRecordingId();
    if (!id.ok()) return id.status();
    info.id = std::move(*id);
  } else if (!ValidRecordingId(wanted_id)) {
    return InvalidArgumentError(
        "id: 1 to 128 characters of A-Z a-z 0-9 . _ -, not starting "
        "with '.' (it names the recording's files)");
  } else {
    info.id = wanted_id;
  }
  info.room = room;
  info.profile = profile;
  info.region = region.empty() ? (config_.default_region.empty() ? config_.storage.begin()->first
                                                                 : config_.default_region)
                               : region;
  auto dir = config_.storage.find(info.region);
  if (dir == config_.storage.end()) {
    return InvalidArgumentError("region '" + info.region +
                                "' has no storage directory (storage: in the recorder's config)");
  }
  info.storage_dir = dir->second;
  info.container = config_.container;
  info.retention_days = retention_days ? retention_days : config_.retention_days;
  if (info.retention_days > config_.max_retention_days) {
    spdlog::warn(
        "recorder: recording {} of room {}: {} days of retention asked for, kept {} "
        "(max_retention_days)",
        info.id, room, info.retention_days, config_.max_retention_days);
    info.retention_days = config_.max_retention_days;
  }
  info.started_unix_ms = UnixMs();
  return OnMedia<StatusOr<RecordingInfo>>([this, info] { return StartOnMedia(info); });
}

StatusOr<RecordingInfo> RecorderService::StartOnMedia(RecordingInfo info) {
  if (!accepting_) return UnavailableError("the recorder is shutting down");
  if (recordings_.count(info.id)) {
    return Status(StatusCode::kAlreadyExists, "recording '" + info.id + "' exists already");
  }
  // In progress before its key store entry exists: the sweeper never sees it otherwise.
  {
    std::lock_guard lock(active_mu_);
    active_.insert(info.id);
  }
  auto started = StartSessionOnMedia(info);
  if (!started.ok()) {
    std::lock_guard lock(active_mu_);
    active_.erase(info.id);
  }
  return started;
}

StatusOr<RecordingInfo> RecorderService::StartSessionOnMedia(RecordingInfo info) {
  auto sink = sinks_(info);
  if (!sink.ok()) return sink.status();
  const auto suite = srtp::SrtpSuiteFromName(config_.srtp_suite);
  auto keys = GenerateSrtpKeys(suite.value_or(srtp::SrtpSuite::kAesCm128HmacSha1_80));
  if (!keys.ok()) return keys.status();

  RecordingSessionConfig sc;
  sc.name = info.id;
  sc.bind_address = config_.media_bind_address;
  sc.suite = keys->suite;
  sc.receive_key = keys->send_key;  // the MCU protects what it sends with send_key
  sc.send_key = keys->key;          // and takes ours with key
  sc.muxer.container = info.container;
  auto session = RecordingSession::Create(io_, sc, std::move(*sink), clock_);
  if (!session.ok()) return session.status();

  McuClientConfig mc;
  mc.url = config_.mcu_url;
  mc.token = mcu_token_;
  mc.room = info.room;
  mc.participant_name = "recorder-" + info.id;
  mc.media_address = config_.media_advertise_address;
  mc.audio_port = (*session)->audio_port();
  mc.video_port = (*session)->video_port();
  mc.audio_payload_type = sc.audio_payload_type;
  mc.audio_channels = sc.audio_channels;
  mc.video_codec = sc.video_codec;
  mc.video_payload_type = sc.video_payload_type;
  mc.profile = info.profile;
  mc.keys = std::move(*keys);
  RecordingSession* raw = session->get();
  auto client = McuClient::Create(
      io_, std::move(mc), [raw](std::string reason) { raw->NoteGap(std::move(reason)); },
      [this, id = info.id](std::vector<std::string> names) {
        AddParticipants(id, std::move(names));
      });
  if (!client.ok()) {
    (void)(*session)->Stop();
    return client.status();
  }
  auto rec = std::make_unique<Recording>();
  rec->info = info;
  rec->session = std::move(*session);
  rec->client = std::move(*client);
  std::weak_ptr<McuClient> weak = rec->client;
  rec->session->Start([weak](bool silent) {
    if (auto c = weak.lock()) c->OnSilence(silent);
  });
  rec->client->Start();
  spdlog::info("recording {} of room {} started (region {}, profile '{}')", info.id, info.room,
               info.region, info.profile);
  recordings_[info.id] = std::move(rec);
  Audit(std::move(audit::Event("recording.started")
                      .Set("actor", "api")
                      .Set("recording", info.id)
                      .Set("room", info.room)
                      .Set("region", info.region)
                      .Set("profile", info.profile)
                      .Set("container", info.container)));
  return info;
}

void RecorderService::AddParticipants(const std::string& id, std::vector<std::string> names) {
  auto it = recordings_.find(id);
  if (it == recordings_.end()) {
    // The last look at the room, as the recording stops: into the catalogue all the same (the
    // key store merges, so names it has already are not added twice).
    if (!store_ || names.empty()) return;
    EntryUpdate late;
    late.add_participants = std::move(names);
    if (Status s = store_->Update(id, late); !s.ok()) {
      spdlog::warn("recorder: recording {}: the last look at who appears in it is lost: {}", id,
                   s.message());
    }
    return;
  }
  Recording& rec = *it->second;
  EntryUpdate update;
  for (auto& name : names) {
    if (rec.participants.insert(name).second) update.add_participants.push_back(std::move(name));
  }
  if (update.add_participants.empty() || !store_) return;
  // Only when someone new appears: one small atomic file write, rare next to the media.
  if (Status s = store_->Update(id, update); !s.ok()) {
    spdlog::warn(
        "recorder: recording {}: who appears in it is not in the key store ({}); an "
        "erasure by identity will not find it: {}",
        id, JoinNames(update.add_participants), s.message());
    for (const auto& name : update.add_participants) rec.participants.erase(name);
    return;
  }
  spdlog::info("recorder: recording {}: {} appear in it", id, JoinNames(update.add_participants));
}

Status RecorderService::EndSession(Recording& rec, const std::string& reason) {
  Status s = rec.session->Stop();
  const RecordingStats stats = rec.session->stats();
  {
    std::lock_guard lock(active_mu_);
    active_.erase(rec.info.id);
  }
  spdlog::info("recording {} of room {} stopped{}", rec.info.id, rec.info.room,
               s.ok() ? "" : ": " + s.message());
  audit::Event e("recording.stopped");
  e.Set("actor", "api")
      .Set("recording", rec.info.id)
      .Set("room", rec.info.room)
      .Set("region", rec.info.region)
      .Set("reason", reason)
      .Set("bytes", stats.bytes_written)
      .Set("gaps", stats.gaps)
      .Set("duration_s", (UnixMs() - rec.info.started_unix_ms) / 1000)
      .Set("participants",
           std::vector<std::string>(rec.participants.begin(), rec.participants.end()))
      .Set("result", s.ok() ? "ok" : "failed");
  if (!s.ok()) e.Set("details", s.message());
  Audit(std::move(e));
  return s;
}

Status RecorderService::StopRecording(const std::string& id) {
  return OnMedia<Status>([this, id] { return StopOnMedia(id); });
}

Status RecorderService::StopOnMedia(const std::string& id) {
  auto it = recordings_.find(id);
  if (it == recordings_.end()) return NotFoundError("no recording '" + id + "'");
  std::unique_ptr<Recording> rec = std::move(it->second);
  recordings_.erase(it);
  // Leave first: no re-join (and no gap note) may follow the session's end.
  std::shared_ptr<McuClient> client = rec->client;
  client->Stop([client] {});
  return EndSession(*rec, "api");
}

std::vector<std::string> RecorderService::ListJson() {
  return OnMedia<std::vector<std::string>>([this] {
    std::vector<std::string> out;
    for (const auto& [id, rec] : recordings_) {
      const RecordingStats s = rec->session->stats();
      nlohmann::json j = {{"id", id},
                          {"room", rec->info.room},
                          {"profile", rec->info.profile},
                          {"region", rec->info.region},
                          {"started_unix_ms", rec->info.started_unix_ms},
                          {"retention_days", rec->info.retention_days},
                          {"expires", FormatRfc3339(ExpiresUnixS(rec->info.started_unix_ms,
                                                                 rec->info.retention_days))},
                          {"joined", rec->client->joined()},
                          {"joins", rec->client->joins()},
                          {"audio_frames", s.audio_frames},
                          {"video_frames", s.video_frames},
                          {"bytes_written", s.bytes_written},
                          {"gaps", s.gaps},
                          {"srtp_failures", s.srtp_failures},
                          {"malformed", s.malformed},
                          {"participants", rec->participants}};
      out.push_back(j.dump());
    }
    return out;
  });
}

void RecorderService::Shutdown() {
  if (!thread_.joinable()) return;
  // Retention first: no sweep runs while the recordings end. A sweep under way finishes.
  boost::asio::post(retention_io_, [this] { sweep_timer_.cancel(); });
  retention_work_.reset();
  retention_thread_.join();
  auto pending = std::make_shared<std::atomic<int>>(0);
  auto all_left = std::make_shared<std::promise<void>>();
  std::future<void> left = all_left->get_future();
  OnMedia<int>([this, pending, all_left] {
    accepting_ = false;
    *pending = static_cast<int>(recordings_.size()) + 1;
    auto one_done = [pending, all_left] {
      if (pending->fetch_sub(1) == 1) all_left->set_value();
    };
    for (auto& [id, rec] : recordings_) {
      std::shared_ptr<McuClient> client = rec->client;
      client->Stop([client, one_done] { one_done(); });
      Status s = EndSession(*rec, "shutdown");
      if (!s.ok()) spdlog::error("recording {}: {}", id, s.message());
    }
    recordings_.clear();
    one_done();
    return 0;
  });
  if (left.wait_for(kShutdownWait) != std::future_status::ready) {
    spdlog::warn("recorder: the MCU did not confirm every leave within {} s; stopping anyway",
                 kShutdownWait.count());
  }
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace tessera::recorder
