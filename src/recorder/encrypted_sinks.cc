// The process's sinks: each recording's container bytes go into its encrypted chunk file
// (chunk_file.h), under a fresh data key wrapped by the operator's active KEK and catalogued in
// the key store (key_store.h) with its room, region, times and expiry.
#include <spdlog/spdlog.h>
#include <tessera/recorder/chunk_file.h>
#include <tessera/recorder/key_ring.h>
#include <tessera/recorder/key_store.h>
#include <tessera/recorder/run_command.h>

#include <chrono>
#include <memory>
#include <utility>

namespace tessera::recorder {
namespace {

int64_t NowUnixS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The chunk writer, and the catalogue told when the recording ends.
class CataloguedSink : public ByteSink {
 public:
  CataloguedSink(std::unique_ptr<EncryptedChunkWriter> writer, std::shared_ptr<KeyStore> store,
                 std::string id)
      : writer_(std::move(writer)), store_(std::move(store)), id_(std::move(id)) {}

  Status Write(std::span<const uint8_t> bytes) override { return writer_->Write(bytes); }
  Status Flush() override { return writer_->Flush(); }
  Status Close() override {
    if (closed_) return Status::Ok();
    closed_ = true;
    Status s = writer_->Close();
    EntryUpdate update;
    update.ended_s = NowUnixS();
    if (Status u = store_->Update(id_, update); !u.ok()) {
      spdlog::warn("recorder: recording {}: its end time is not in the key store: {}", id_,
                   u.message());
    }
    return s;
  }

 private:
  std::unique_ptr<EncryptedChunkWriter> writer_;
  std::shared_ptr<KeyStore> store_;
  std::string id_;
  bool closed_ = false;
};

}  // namespace

StatusOr<SinkFactory> DefaultSinkFactory(const RecorderConfig& config) {
  if (config.key_file.empty()) {
    return InvalidArgumentError("key_file is required: recordings are written encrypted only");
  }
  if (config.key_store_dir.empty()) {
    return InvalidArgumentError("key_store_dir is required: each recording's data key lives there");
  }
  auto ring = LocalKeyRing::LoadFile(config.key_file);
  if (!ring.ok()) return ring.status();
  std::shared_ptr<const KeyWrapper> wrapper(std::move(ring.value()));
  if (wrapper->ActiveKeyId().empty()) {
    return InvalidArgumentError("key_file '" + config.key_file +
                                "' has no active key: make one with tessera-recorder keygen");
  }
  auto store = std::make_shared<KeyStore>(config.key_store_dir);
  const uint32_t default_days = config.retention_days;
  return SinkFactory([wrapper, store, default_days](
                         const RecordingInfo& info) -> StatusOr<std::unique_ptr<ByteSink>> {
    RecordingEntry entry;
    entry.id = info.id;
    entry.room = info.room;
    entry.profile = info.profile;
    entry.region = info.region;
    entry.started_s = info.started_unix_ms / 1000;
    // The recording's own retention (the MCU's room or request, capped by the service).
    entry.expires_s = ExpiresUnixS(info.started_unix_ms,
                                   info.retention_days ? info.retention_days : default_days);
    auto key = store->Create(entry, *wrapper);
    if (!key.ok()) return key.status();
    RecordingHeader header;
    header.recording_id = info.id;
    header.room = info.room;
    header.profile = info.profile;
    header.region = info.region;
    header.container = info.container;
    header.started_s = entry.started_s;
    header.kek_id = wrapper->ActiveKeyId();
    const std::string path = info.storage_dir + "/" + info.id + ".tsrec";
    auto writer = EncryptedChunkWriter::Create(path, header, *key);
    if (!writer.ok()) {
      // Nothing was written: the key goes too, so no entry promises a file.
      (void)store->Destroy(info.id);
      return writer.status();
    }
    spdlog::info("recorder: recording {} writes {} (key wrapped by {})", info.id, path,
                 header.kek_id);
    return std::unique_ptr<ByteSink>(new CataloguedSink(std::move(writer.value()), store, info.id));
  });
}

}  // namespace tessera::recorder
