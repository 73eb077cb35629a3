// The audit log's writer. Append only queues; one thread builds the lines (seq, prev, hash),
// writes each batch with one write() and fdatasyncs it, and only then moves the chain head on, so
// a failed write can be undone by cutting the file back to its last synced size.
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <tessera/audit/audit_log.h>
#include <tessera/base/metrics.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "audit/line.h"
#include "audit/syslog.h"

namespace tessera::audit {
namespace {

constexpr int64_t kNtpUnixOffsetSeconds = 2'208'988'800LL;

// Wall-clock milliseconds since the Unix epoch, from the clock's NTP time (era 1 after 2036).
int64_t UnixMs(const Clock& clock) {
  const NtpTime t = clock.NowNtp();
  int64_t seconds = static_cast<int64_t>(t.seconds);
  if (seconds < kNtpUnixOffsetSeconds) seconds += int64_t{1} << 32;
  return (seconds - kNtpUnixOffsetSeconds) * 1000 +
         static_cast<int64_t>((uint64_t{t.fraction} * 1000) >> 32);
}

// The names a line's envelope uses: never event fields.
bool Reserved(const std::string& key) {
  static const std::set<std::string> kNames = {"seq", "time",   "prev", "type", "event",
                                               "alg", "key_id", "sig",  "hash"};
  return kNames.count(key) > 0;
}

Status WriteAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return UnavailableError(std::strerror(n < 0 ? errno : EIO));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

// Reads `size` bytes at `offset`.
bool ReadAt(int fd, uint64_t offset, size_t size, std::string& out) {
  out.assign(size, '\0');
  size_t got = 0;
  while (got < size) {
    const ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

// "20261206T204501.123Z": a file-name-friendly time.
std::string CompactTime(int64_t unix_ms) {
  std::string t = FormatRfc3339Ms(unix_ms);
  t.erase(std::remove_if(t.begin(), t.end(), [](char c) { return c == '-' || c == ':'; }), t.end());
  return t;
}

void SyncDirectoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

struct AuditLog::Impl {
  struct Drops {
    uint64_t queue_full = 0;
    uint64_t write_failed = 0;
    int64_t first_ms = 0;
    uint64_t total() const { return queue_full + write_failed; }
  };

  Impl()
      : dropped_counter(GlobalMetrics().GetCounter("tessera_audit_events_dropped_total")),
        write_errors(GlobalMetrics().GetCounter("tessera_audit_write_errors_total")),
        forward_errors(GlobalMetrics().GetCounter("tessera_audit_forward_errors_total")) {}

  // --- set up by Open, then the writer thread's alone ---
  AuditLogOptions options;
  const Clock* clock = nullptr;
  std::shared_ptr<const CheckpointSigner> signer;
  std::string key_id;
  int fd = -1;
  std::unique_ptr<SyslogForwarder> syslog;
  uint64_t seq = 0;               // the last line's
  std::string prev{kZeroHash};    // the last line's hash
  uint64_t good_size = 0;         // the file's size after the last synced write
  uint32_t since_checkpoint = 0;  // event lines after the last checkpoint
  int64_t first_unsealed_us = 0;  // when the first of them was written (clock->NowUs)

  // --- shared, under mu ---
  mutable std::mutex mu;
  std::condition_variable wake;     // the writer waits here
  std::condition_variable flushed;  // Flush waits here
  std::deque<Event> queue;
  Drops drops;
  uint64_t dropped_total = 0;
  bool paused = false;
  bool stopping = false;
  bool closed = false;
  bool write_failed = false;  // since the last Flush
  uint64_t flush_requested = 0;
  uint64_t flush_done = 0;
  std::thread writer;

  Counter& dropped_counter;
  Counter& write_errors;
  Counter& forward_errors;

  bool CheckpointDue() const {
    return since_checkpoint > 0 &&
           clock->NowUs() - first_unsealed_us >= int64_t{options.checkpoint_interval_s} * 1'000'000;
  }

  // One batch: the queued events, then the drop report, then a checkpoint when one is due (or
  // `final`). The chain head moves on only when the batch is written and synced.
  bool WriteBatch(const std::deque<Event>& events, const Drops& batch_drops, bool final);
  void Run();
};

bool AuditLog::Impl::WriteBatch(const std::deque<Event>& events, const Drops& batch_drops,
                                bool final) {
  uint64_t next_seq = seq;
  std::string head = prev;
  uint32_t since = since_checkpoint;
  int64_t first_unsealed = first_unsealed_us;
  std::string out;
  struct Written {
    size_t offset, size;
    std::string time;
    std::string event;
  };
  std::vector<Written> lines;

  const auto append_line = [&](std::string prefix, std::string time, std::string event) {
    SealedLine sealed = Seal(std::move(prefix));
    lines.push_back({out.size(), sealed.text.size() - 1, std::move(time), std::move(event)});
    out += sealed.text;
    head = std::move(sealed.hash);
  };
  const auto checkpoint = [&] {
    const int64_t ms = UnixMs(*clock);
    const uint64_t s = next_seq + 1;
    StatusOr<std::string> sig = signer->Sign(CheckpointMessage(s, FormatRfc3339Ms(ms), head));
    if (!sig.ok()) {
      write_errors.Add();
      spdlog::error("audit: {}: checkpoint {} not written: {}", options.path, s,
                    sig.status().message());
      return;
    }
    std::string prefix = EnvelopePrefix(s, ms, head, "checkpoint");
    prefix += ",\"alg\":\"";
    prefix += SignatureAlgName(signer->alg());
    prefix += "\",\"key_id\":" + JsonText(key_id) + ",\"sig\":\"" + *sig + "\"";
    next_seq = s;
    append_line(std::move(prefix), FormatRfc3339Ms(ms), "checkpoint");
    since = 0;
  };
  const auto event = [&](const Event& e) {
    const int64_t ms = e.unix_ms ? e.unix_ms : UnixMs(*clock);
    const uint64_t s = next_seq + 1;
    std::string prefix = EnvelopePrefix(s, ms, head, "event");
    prefix += ",\"event\":" + JsonText(e.name);
    const size_t bare = prefix.size();
    for (const auto& [key, value] : e.fields.items()) {
      if (Reserved(key)) continue;
      prefix += ',' + JsonText(key) + ':' + JsonText(value);
    }
    if (prefix.size() + kHashSuffixSize + 1 > kMaxLineBytes) {
      // Never a line the verifier would call garbage: the fields go, the event stays.
      prefix.resize(bare);
      prefix += ",\"truncated\":true";
    }
    next_seq = s;
    append_line(std::move(prefix), FormatRfc3339Ms(ms), e.name);
    if (since++ == 0) first_unsealed = clock->NowUs();
    if (since >= options.checkpoint_every) checkpoint();
  };

  for (const Event& e : events) event(e);
  if (batch_drops.total() > 0) {
    Event d("audit.dropped");
    d.Set("count", batch_drops.total())
        .Set("queue_full", batch_drops.queue_full)
        .Set("write_failed", batch_drops.write_failed);
    d.unix_ms = batch_drops.first_ms;
    event(d);
  }
  if (since > 0 && (final || clock->NowUs() - first_unsealed >=
                                 int64_t{options.checkpoint_interval_s} * 1'000'000)) {
    checkpoint();
  }
  if (out.empty()) return true;

  Status s = WriteAll(fd, out);
  if (s.ok() && ::fdatasync(fd) != 0) s = UnavailableError(std::strerror(errno));
  if (!s.ok()) {
    write_errors.Add();
    // Undo: the chain on disk stays what it was, so the next batch links to it.
    const bool cut = ::ftruncate(fd, static_cast<off_t>(good_size)) == 0;
    spdlog::error(
        "audit: {}: writing {} line(s) failed ({}){}; they are counted as dropped", options.path,
        lines.size(), s.message(),
        cut ? "" : " and the file could not be cut back: check it with tessera-audit verify");
    return false;
  }
  good_size += out.size();
  seq = next_seq;
  prev = std::move(head);
  since_checkpoint = since;
  first_unsealed_us = first_unsealed;
  for (const Written& w : lines) {
    GlobalMetrics().GetCounter("tessera_audit_events_total", {{"event", w.event}}).Add();
    if (syslog && !syslog->Send(w.time, std::string_view(out).substr(w.offset, w.size))) {
      forward_errors.Add();
    }
  }
  return true;
}

void AuditLog::Impl::Run() {
  std::unique_lock lock(mu);
  for (;;) {
    for (;;) {
      if (stopping) break;
      if (!paused && (!queue.empty() || drops.total() > 0 || flush_requested > flush_done ||
                      CheckpointDue())) {
        break;
      }
      if (!paused && since_checkpoint > 0) {
        const int64_t left_us = int64_t{options.checkpoint_interval_s} * 1'000'000 -
                                (clock->NowUs() - first_unsealed_us);
        wake.wait_for(lock, std::chrono::microseconds(std::max<int64_t>(left_us, 1000)));
      } else {
        wake.wait(lock);
      }
    }
    std::deque<Event> batch;
    batch.swap(queue);
    const Drops batch_drops = drops;
    drops = {};
    const uint64_t ticket = flush_requested;
    const bool final = stopping;
    lock.unlock();
    const bool ok = WriteBatch(batch, batch_drops, final);
    lock.lock();
    if (!ok) {
      write_failed = true;
      const uint64_t lost = batch.size();
      dropped_total += lost;
      dropped_counter.Add(lost);
      drops.write_failed += batch_drops.write_failed + lost;
      drops.queue_full += batch_drops.queue_full;
      if (drops.first_ms == 0) {
        drops.first_ms = batch_drops.first_ms ? batch_drops.first_ms : UnixMs(*clock);
      }
    }
    flush_done = ticket;
    flushed.notify_all();
    if (final) return;
    // A disk that refused a write gets a second before the next try, not a busy loop.
    if (!ok) wake.wait_for(lock, std::chrono::seconds(1), [this] { return stopping; });
  }
}

StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(AuditLogOptions options) {
  auto impl = std::make_unique<Impl>();
  Impl& m = *impl;
  if (options.path.empty()) return InvalidArgumentError("audit: no path for the audit log");
  if (options.checkpoint_every == 0 || options.checkpoint_interval_s == 0 ||
      options.queue_capacity == 0) {
    return InvalidArgumentError(
        "audit: checkpoint_every, checkpoint_interval_s and the queue capacity must be above 0");
  }
  m.clock = options.clock ? options.clock : &SystemClock();
  if (options.signer) {
    m.signer = options.signer;
  } else {
    auto signer = CheckpointSigner::Load(options.key_file);
    if (!signer.ok()) return signer.status();
    m.signer = std::move(*signer);
  }
  m.key_id = options.key_id.empty() ? m.signer->Fingerprint() : options.key_id;
  if (!options.syslog.empty()) {
    auto forwarder = SyslogForwarder::Create(options.syslog);
    if (!forwarder.ok()) return forwarder.status();
    m.syslog = std::move(*forwarder);
  }
  const std::string path = options.path;  // a copy: options moves into m below
  struct stat before {};
  const bool created = ::stat(path.c_str(), &before) != 0;
  m.fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (m.fd < 0) {
    return UnavailableError(path + ": cannot open the audit log: " + std::strerror(errno));
  }
  m.options = std::move(options);
  // From here on ~Impl does not close fd: the AuditLog does (Close); until then, by hand.
  const auto fail = [&m](Status s) {
    ::close(m.fd);
    m.fd = -1;
    return s;
  };
  if (::flock(m.fd, LOCK_EX | LOCK_NB) != 0) {
    return fail(FailedPreconditionError(
        path + ": another process holds the audit log open for writing (one writer per file)"));
  }
  if (created) SyncDirectoryOf(path);
  struct stat st {};
  if (::fstat(m.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    return fail(InvalidArgumentError(path + ": not a regular file"));
  }
  uint64_t size = static_cast<uint64_t>(st.st_size);

  // The tail: a torn last line goes aside; the last whole line is where the chain resumes.
  std::string tail;
  const size_t window = static_cast<size_t>(std::min<uint64_t>(size, 2 * kMaxLineBytes + 2));
  if (window > 0 && !ReadAt(m.fd, size - window, window, tail)) {
    return fail(UnavailableError(path + ": cannot read the audit log: " + std::strerror(errno)));
  }
  uint64_t torn_bytes = 0;
  std::string torn_file;
  if (!tail.empty() && tail.back() != '\n') {
    const size_t nl = tail.rfind('\n');
    if (nl == std::string::npos && window < size) {
      return fail(FailedPreconditionError(
          path +
          ": its last line is longer than any the log writes: not an audit log? Check it "
          "with tessera-audit verify, or move it aside to start a new one"));
    }
    const size_t keep = nl == std::string::npos ? 0 : nl + 1;
    torn_bytes = tail.size() - keep;
    torn_file = path + ".torn-" + CompactTime(UnixMs(*m.clock));
    const int tf = ::open(torn_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    const bool saved =
        tf >= 0 && WriteAll(tf, std::string_view(tail).substr(keep)).ok() && ::fsync(tf) == 0;
    if (tf >= 0) ::close(tf);
    if (!saved) {
      return fail(UnavailableError(path + ": its last line is torn and could not be saved to " +
                                   torn_file + ": " + std::strerror(errno)));
    }
    size -= torn_bytes;
    tail.resize(keep);
    if (::ftruncate(m.fd, static_cast<off_t>(size)) != 0 || ::fsync(m.fd) != 0) {
      return fail(
          UnavailableError(path + ": cannot cut off its torn last line: " + std::strerror(errno)));
    }
    spdlog::warn(
        "audit: {}: its last line was torn ({} bytes, a crash while writing?); moved to {}", path,
        torn_bytes, torn_file);
  }
  if (!tail.empty()) {
    tail.pop_back();  // the '\n'
    const size_t start = tail.rfind('\n');
    if (start == std::string::npos && tail.size() < size - 1) {
      return fail(FailedPreconditionError(path + ": its last line is longer than any the log "
                                                 "writes; check it with tessera-audit verify"));
    }
    const std::string_view last =
        std::string_view(tail).substr(start == std::string::npos ? 0 : start + 1);
    std::string why;
    const std::optional<Envelope> e = ParseEnvelope(last, &why);
    if (!e || Sha256Hex(e->hashed) != e->hash) {
      return fail(FailedPreconditionError(
          path + ": its last line is not a sound audit line (" +
          (e ? std::string("its hash does not match its content") : why) +
          "); check the file with tessera-audit verify, and move it aside to start a new chain"));
    }
    m.seq = e->seq;
    m.prev = std::string(e->hash);
  }
  m.good_size = size;

  Event opened("audit.opened");
  opened.Set("resumed_seq", m.seq)
      .Set("checkpoint_alg", SignatureAlgName(m.signer->alg()))
      .Set("checkpoint_key_id", m.key_id)
      .Set("pid", static_cast<int64_t>(::getpid()));
  if (torn_bytes > 0) opened.Set("torn_bytes", torn_bytes).Set("torn_file", torn_file);
  if (!m.WriteBatch({std::move(opened)}, {}, /*final=*/false)) {
    return fail(
        UnavailableError(path + ": cannot write to the audit log: " + std::strerror(errno)));
  }
  MetricsRegistry& metrics = GlobalMetrics();
  metrics.Describe("tessera_audit_events_total", "Audit log lines written, by event");
  metrics.Describe("tessera_audit_events_dropped_total",
                   "Audit events lost to a full queue or a failed write (each gap is logged as "
                   "an audit.dropped line)");
  metrics.Describe("tessera_audit_write_errors_total",
                   "Failed writes or syncs of the audit log, and checkpoints not signed");
  metrics.Describe("tessera_audit_forward_errors_total", "Audit lines the syslog socket refused");
  spdlog::info("audit: {} at seq {} (checkpoints {} key {}){}", path, m.seq,
               SignatureAlgName(m.signer->alg()), m.key_id,
               m.syslog ? ", forwarded to syslog " + m.options.syslog : std::string());
  m.writer = std::thread([&m] { m.Run(); });
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(impl)));
}

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AuditLog::~AuditLog() { Close(); }

bool AuditLog::Append(Event event) {
  Impl& m = *impl_;
  if (event.unix_ms == 0) event.unix_ms = UnixMs(*m.clock);
  std::lock_guard lock(m.mu);
  if (m.closed) return false;
  if (m.queue.size() >= m.options.queue_capacity) {
    if (m.drops.total() == 0) m.drops.first_ms = event.unix_ms;
    ++m.drops.queue_full;
    ++m.dropped_total;
    m.dropped_counter.Add();
    return false;
  }
  m.queue.push_back(std::move(event));
  m.wake.notify_one();
  return true;
}

bool AuditLog::Flush() {
  Impl& m = *impl_;
  std::unique_lock lock(m.mu);
  if (m.closed) return !std::exchange(m.write_failed, false);
  const uint64_t ticket = ++m.flush_requested;
  m.wake.notify_one();
  m.flushed.wait(lock, [&m, ticket] { return m.flush_done >= ticket || m.closed; });
  return !std::exchange(m.write_failed, false);
}

void AuditLog::Pause() {
  std::lock_guard lock(impl_->mu);
  impl_->paused = true;
}

void AuditLog::Resume() {
  std::lock_guard lock(impl_->mu);
  impl_->paused = false;
  impl_->wake.notify_one();
}

void AuditLog::Close() {
  Impl& m = *impl_;
  {
    std::lock_guard lock(m.mu);
    if (m.closed) return;
    m.closed = true;  // Append refuses from now on; the writer drains what is queued
    m.stopping = true;
    m.paused = false;
    m.wake.notify_one();
  }
  if (m.writer.joinable()) m.writer.join();
  m.flushed.notify_all();
  if (m.fd >= 0) {
    ::close(m.fd);  // also releases the lock
    m.fd = -1;
  }
}

uint64_t AuditLog::Dropped() const {
  std::lock_guard lock(impl_->mu);
  return impl_->dropped_total;
}

}  // namespace tessera::audit
