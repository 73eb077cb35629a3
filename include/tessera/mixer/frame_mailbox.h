// The hand-over point between an input's decode strand and its room's mixer: the decoder puts
// every picture it decodes, the mixer reads the latest one at each tick. Latest wins: a picture
// the mixer never saw before the next one arrived is dropped and counted, so a fast sender cannot
// queue work for the mixer.
#pragma once

#include <tessera/codec/picture.h>
#include <tessera/mixer/frame.h>

#include <cstdint>
#include <memory>
#include <mutex>

namespace tessera::mixer {

// One decoded picture as the mixer sees it: in host memory (CPU decoders) or in a hardware
// device's memory (hardware decoders of a GPU room).
struct MailboxFrame {
  codec::Picture picture;
  // Clock::NowUs() when the last packet of its encoded frame arrived (for the latency figures).
  int64_t receive_time_us = 0;
  // Clock::NowUs() when the decoder put it.
  int64_t put_time_us = 0;
  // Counts puts: a mixer that remembers the sequence it last showed knows whether this is new.
  uint64_t sequence = 0;

  bool has_picture() const { return static_cast<bool>(picture); }
  int width() const { return picture.width(); }
  int height() const { return picture.height(); }
  void ClearPicture() { picture.Reset(); }
};

// Runs on: any thread. Put() from the decode strand, Latest() from the room's mixer; a mutex
// guards one shared_ptr swap, never pixel work.
class FrameMailbox {
 public:
  // A decoder's picture, in whatever memory it decoded into (a hardware decoder's stays on the
  // device).
  void Put(codec::Picture picture, int64_t receive_time_us, int64_t now_us) {
    std::lock_guard lock(mu_);
    if (latest_.has_picture() && !taken_) ++overwritten_;
    latest_.picture = std::move(picture);
    latest_.receive_time_us = receive_time_us;
    latest_.put_time_us = now_us;
    ++latest_.sequence;
    taken_ = false;
  }

  // The latest picture (it stays in the mailbox: a tile keeps showing it until a newer one comes).
  // Empty picture when nothing was ever put or after Clear().
  MailboxFrame Latest() {
    std::lock_guard lock(mu_);
    taken_ = true;
    return latest_;
  }

  // Forgets the picture (the input left or its stream was reset); the sequence keeps counting.
  void Clear() {
    std::lock_guard lock(mu_);
    latest_.ClearPicture();
    taken_ = true;
  }

  // Pictures replaced before the mixer read them.
  uint64_t overwritten() const {
    std::lock_guard lock(mu_);
    return overwritten_;
  }

 private:
  mutable std::mutex mu_;
  MailboxFrame latest_;
  bool taken_ = true;
  uint64_t overwritten_ = 0;
};

}  // namespace tessera::mixer
