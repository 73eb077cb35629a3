#include <tessera/net/source_latch.h>

namespace tessera::net {

void SourceLatch::SetSignalled(const Endpoint& peer) {
  if (peer == signalled_) return;
  signalled_ = peer;
  // The peer moved (or went on hold): whatever was learnt about its old source is void.
  latched_.reset();
  candidate_.reset();
}

SourceLatch::Verdict SourceLatch::OnRtp(const Endpoint& from, uint32_t ssrc, uint16_t seq,
                                        int64_t now_us) {
  if (latched_ && from == *latched_) {
    latched_heard_us_ = now_us;
    return Verdict::kLatched;
  }
  if (SignalledAddressKnown() && signalled_.port() != 0 && from == signalled_) {
    Latch(from, now_us);
    return Verdict::kSignalled;
  }
  if (!latched_) {
    Latch(from, now_us);
    return Verdict::kFirst;
  }
  // Another source while one is latched: watched as the candidate, never taken before it has met
  // the move rule.
  if (!candidate_ || candidate_->from != from) {
    if (candidate_ && now_us - candidate_->last_us < config_.candidate_idle_us) {
      return Verdict::kRejected;  // one candidate at a time: a second source cannot reset it
    }
    candidate_ = Candidate{from, ssrc, seq, 1, now_us};
  } else if (ssrc == candidate_->ssrc && seq == static_cast<uint16_t>(candidate_->seq + 1)) {
    candidate_->seq = seq;
    ++candidate_->consecutive;
    candidate_->last_us = now_us;
  } else {
    candidate_->ssrc = ssrc;
    candidate_->seq = seq;
    candidate_->consecutive = 1;
    candidate_->last_us = now_us;
  }
  if (candidate_->consecutive >= config_.move_after_packets &&
      now_us - latched_heard_us_ >= config_.move_after_silence_us) {
    Latch(from, now_us);
    return Verdict::kMoved;
  }
  return Verdict::kRejected;
}

SourceLatch::Verdict SourceLatch::OnAuthenticated(const Endpoint& from, int64_t now_us) {
  if (latched_ && from == *latched_) {
    latched_heard_us_ = now_us;
    return Verdict::kLatched;
  }
  const bool first = !latched_;
  Latch(from, now_us);
  return first ? Verdict::kFirst : Verdict::kMoved;
}

bool SourceLatch::AcceptsRtcpFrom(const boost::asio::ip::address& address) const {
  if (latched_ && latched_->address() == address) return true;
  if (SignalledAddressKnown()) return signalled_.address() == address;
  return !latched_;
}

void SourceLatch::Latch(const Endpoint& from, int64_t now_us) {
  if (latched_ && *latched_ != from) ++moves_;
  latched_ = from;
  latched_heard_us_ = now_us;
  candidate_.reset();
}

}  // namespace tessera::net
