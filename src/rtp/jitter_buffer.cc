#include <tessera/rtp/h264_sprop.h>
#include <tessera/rtp/jitter_buffer.h>

#include <algorithm>
#include <iterator>
#include <utility>

namespace tessera::rtp {

VideoJitterBuffer::VideoJitterBuffer(Config config, Codec codec, Clock& clock)
    : config_{std::max<size_t>(config.max_packets, 1), config.max_wait_us,
              std::move(config.h264_parameter_sets)},
      codec_(codec),
      clock_(clock) {}

VideoJitterBuffer::InsertResult VideoJitterBuffer::Insert(JitterPacket packet) {
  Slot slot;
  slot.timestamp = packet.timestamp;
  slot.marker = packet.marker;
  slot.arrival_us = packet.arrival_us;
  slot.payload = std::move(packet.payload);
  return AddSlot(unwrapper_.Unwrap(packet.seq), std::move(slot));
}

VideoJitterBuffer::InsertResult VideoJitterBuffer::InsertPadding(uint16_t seq, int64_t arrival_us) {
  Slot slot;
  slot.padding = true;
  slot.arrival_us = arrival_us;
  return AddSlot(unwrapper_.Unwrap(seq), std::move(slot));
}

VideoJitterBuffer::InsertResult VideoJitterBuffer::OnTimer() {
  InsertResult result;
  const int64_t now_us = clock_.NowUs();
  // Whatever Process left is blocked behind missing data; give up the oldest while it is stale.
  while (!packets_.empty() && now_us - FindHeadGroup().oldest_arrival_us >= config_.max_wait_us) {
    GiveUpHead(GiveUpCause::kTimeout);
    Process(result);
  }
  return Finish(std::move(result));
}

VideoJitterBuffer::InsertResult VideoJitterBuffer::AddSlot(int64_t seq, Slot slot) {
  InsertResult result;
  const bool padding = slot.padding;
  // Padding carries no media, so dropping it is not counted.
  if (cursor_ && seq < *cursor_) {
    if (!padding) {
      ++stats_.packets_too_late;
      CountDrop(DropReason::kTooLate, 1);
      result.dropped = DropReason::kTooLate;
    }
    return Finish(std::move(result));
  }
  auto [it, inserted] = packets_.try_emplace(seq, std::move(slot));
  if (!inserted) {
    if (!padding) {
      ++stats_.packets_duplicate;
      CountDrop(DropReason::kDuplicate, 1);
      result.dropped = DropReason::kDuplicate;
    }
    return Finish(std::move(result));
  }
  // The new packet can complete its own frame, or make the next packet a known frame start.
  TryComplete(it);
  if (auto next = std::next(it); next != packets_.end() && next->first == seq + 1) {
    TryComplete(next);
  }
  Process(result);
  while (packets_.size() > config_.max_packets) {
    GiveUpHead(GiveUpCause::kBufferFull);
    Process(result);
  }
  return Finish(std::move(result));
}

bool VideoJitterBuffer::IsKnownFirst(PacketMap::const_iterator it) const {
  const Slot& slot = it->second;
  // The previous packet, when held, decides: frame_start only says a packet *can* begin a frame
  // (an H.264 IDR slice may follow SPS/PPS packets of the same frame).
  if (it != packets_.begin()) {
    const auto prev = std::prev(it);
    if (prev->first == it->first - 1) {
      return prev->second.padding || prev->second.marker ||
             prev->second.timestamp != slot.timestamp;
    }
  }
  if (cursor_ && it->first == *cursor_) {
    return cursor_prev_ends_frame_ || cursor_prev_timestamp_ != slot.timestamp;
  }
  return slot.payload.frame_start;
}

void VideoJitterBuffer::TryComplete(PacketMap::const_iterator it) {
  if (it->second.padding) return;
  const uint32_t timestamp = it->second.timestamp;
  auto first = it;
  while (!IsKnownFirst(first)) {
    // Not a known start: the previous packet must be present (then it has the same timestamp,
    // no marker and is not padding) and part of this frame.
    if (first == packets_.begin()) return;
    const auto prev = std::prev(first);
    if (prev->first != first->first - 1) return;
    first = prev;
  }
  auto last = it;
  while (!last->second.marker) {
    const auto next = std::next(last);
    if (next == packets_.end() || next->first != last->first + 1 || next->second.padding ||
        next->second.timestamp != timestamp) {
      return;
    }
    last = next;
  }
  if (complete_.contains(first->first)) return;
  // A packet taken for a frame start on its own (frame_start, previous packet unknown) can turn
  // out to continue an earlier packet of the same frame once that one arrives: the longer frame
  // replaces the shorter.
  complete_.erase(complete_.upper_bound(first->first), complete_.upper_bound(last->first));
  CompleteFrame frame;
  frame.last = last->first;
  bool has_sps = false;
  bool has_pps = false;
  for (auto p = first;; ++p) {
    const DepacketizedPayload& payload = p->second.payload;
    frame.keyframe |= payload.keyframe;
    frame.has_parameter_sets |= payload.has_parameter_sets;
    has_sps |= payload.has_sps;
    has_pps |= payload.has_pps;
    if (p == last) break;
  }
  frame.has_parameter_sets |= has_sps && has_pps;
  complete_.emplace(first->first, frame);
}

bool VideoJitterBuffer::IsRestartPoint(const CompleteFrame& frame) const {
  return frame.keyframe && (codec_ != Codec::kH264 || frame.has_parameter_sets ||
                            parameter_sets_seen_ || !config_.h264_parameter_sets.empty());
}

void VideoJitterBuffer::Process(InsertResult& result) {
  for (;;) {
    while (cursor_ && !packets_.empty() && packets_.begin()->first == *cursor_ &&
           packets_.begin()->second.padding) {
      packets_.erase(packets_.begin());
      SetCursor(*cursor_ + 1, 0, true);
    }
    if (complete_.empty()) return;
    const auto next = complete_.begin();
    if (cursor_ && next->first == *cursor_) {
      if (!waiting_for_keyframe_ || IsRestartPoint(next->second)) {
        Emit(next, result);
      } else {
        DropFrameUndecodable(next);
      }
      continue;
    }
    // Blocked behind missing data (or nothing released yet): a restart point skips the gap.
    const auto restart = std::find_if(complete_.begin(), complete_.end(),
                                      [this](const auto& f) { return IsRestartPoint(f.second); });
    if (restart == complete_.end()) {
      // A complete frame that cannot be decoded for want of a keyframe: we joined mid-stream or
      // lost the keyframe, so ask for one now rather than wait.
      if (waiting_for_keyframe_) keyframe_request_due_ = true;
      return;
    }
    DropBefore(restart->first);
    Emit(restart, result);
  }
}

void VideoJitterBuffer::Emit(FrameMap::iterator frame, InsertResult& result) {
  const int64_t first = frame->first;
  const CompleteFrame info = frame->second;
  const auto begin = packets_.find(first);
  const auto end = packets_.upper_bound(info.last);

  EncodedFrame out;
  out.codec = codec_;
  out.rtp_timestamp = begin->second.timestamp;
  out.keyframe = info.keyframe;
  out.first_seq = static_cast<uint16_t>(first);
  out.last_seq = static_cast<uint16_t>(info.last);
  if (codec_ == Codec::kVp9 || codec_ == Codec::kAv1) {
    // VP9 layer frames may need joining into a superframe, AV1 fragments into OBUs.
    std::vector<const DepacketizedPayload*> parts;
    for (auto p = begin; p != end; ++p) parts.push_back(&p->second.payload);
    out.data = AssembleFrame(codec_, parts);
  } else if (std::next(begin) == end) {
    out.data = std::move(begin->second.payload.data);  // single-packet frame: no copy
  } else {
    size_t bytes = 0;
    for (auto p = begin; p != end; ++p) bytes += p->second.payload.data.size();
    out.data.reserve(bytes);
    for (auto p = begin; p != end; ++p) {
      const std::vector<uint8_t>& data = p->second.payload.data;
      out.data.insert(out.data.end(), data.begin(), data.end());
    }
  }
  if (codec_ == Codec::kH264 && info.keyframe && !info.has_parameter_sets &&
      !parameter_sets_seen_ && !config_.h264_parameter_sets.empty()) {
    // An IDR the decoder cannot start at without the SDP's SPS and PPS: they go first, as a
    // sender that repeats them in band would have put them.
    h264::PrependParameterSets(out.data, config_.h264_parameter_sets);
    ++stats_.keyframes_given_parameter_sets;
  }
  out.receive_time_us = begin->second.arrival_us;
  for (auto p = begin; p != end; ++p) {
    const DepacketizedPayload& payload = p->second.payload;
    out.receive_time_us = std::max(out.receive_time_us, p->second.arrival_us);
    if (payload.width != 0 && payload.height != 0) {
      out.width = payload.width;
      out.height = payload.height;
    }
  }

  packets_.erase(begin, end);
  complete_.erase(frame);
  parameter_sets_seen_ |= info.has_parameter_sets;
  waiting_for_keyframe_ = false;
  keyframe_request_due_ = false;
  ++stats_.frames_emitted;
  SetCursor(info.last + 1, out.rtp_timestamp, true);
  result.frames.push_back(std::move(out));
}

void VideoJitterBuffer::DropFrameUndecodable(FrameMap::iterator frame) {
  keyframe_request_due_ = true;
  const int64_t last = frame->second.last;
  const auto begin = packets_.find(frame->first);
  const auto end = packets_.upper_bound(last);
  const uint32_t timestamp = begin->second.timestamp;
  const auto packets = static_cast<uint64_t>(std::distance(begin, end));
  packets_.erase(begin, end);
  complete_.erase(frame);
  ++stats_.frames_dropped_undecodable;
  CountDrop(DropReason::kUndecodable, packets);
  SetCursor(last + 1, timestamp, true);
}

void VideoJitterBuffer::DropBefore(int64_t seq) {
  // Sequence numbers between the cursor and seq are skipped, held or not.
  bool lost = cursor_ && *cursor_ < seq;
  uint64_t given_up = 0;
  auto it = packets_.begin();
  while (it != packets_.end() && it->first < seq) {
    if (const auto frame = complete_.find(it->first); frame != complete_.end()) {
      const auto end = packets_.upper_bound(frame->second.last);
      CountDrop(DropReason::kUndecodable, static_cast<uint64_t>(std::distance(it, end)));
      ++stats_.frames_dropped_undecodable;
      complete_.erase(frame);
      it = packets_.erase(it, end);
      continue;
    }
    if (!it->second.padding) ++given_up;
    it = packets_.erase(it);
  }
  if (given_up > 0) {
    stats_.packets_given_up += given_up;
    CountDrop(DropReason::kUndecodable, given_up);
    lost = true;
  }
  if (lost) ++stats_.losses_given_up;
}

VideoJitterBuffer::HeadGroup VideoJitterBuffer::FindHeadGroup() const {
  const auto head = packets_.begin();
  HeadGroup group{head->first, head->second.arrival_us};
  if (const auto frame = complete_.find(head->first); frame != complete_.end()) {
    group.last = frame->second.last;
    for (auto p = head; p != packets_.end() && p->first <= group.last; ++p) {
      group.oldest_arrival_us = std::min(group.oldest_arrival_us, p->second.arrival_us);
    }
    return group;
  }
  if (head->second.padding || head->second.marker) return group;
  // An incomplete frame: the following packets of its timestamp up to the next known start,
  // across holes.
  for (auto p = std::next(head); p != packets_.end(); ++p) {
    if (p->second.padding || p->second.timestamp != head->second.timestamp ||
        complete_.contains(p->first) || IsKnownFirst(p)) {
      break;
    }
    group.last = p->first;
    group.oldest_arrival_us = std::min(group.oldest_arrival_us, p->second.arrival_us);
    if (p->second.marker) break;
  }
  return group;
}

void VideoJitterBuffer::GiveUpHead(GiveUpCause cause) {
  const HeadGroup group = FindHeadGroup();
  const auto begin = packets_.begin();
  const auto end = packets_.upper_bound(group.last);
  const Slot& last = std::prev(end)->second;
  const uint32_t last_timestamp = last.timestamp;
  const bool last_ends_frame = last.marker || last.padding;
  const bool skipped_gap = cursor_ && begin->first > *cursor_;
  const bool complete = complete_.erase(begin->first) > 0;
  uint64_t media = 0;
  for (auto p = begin; p != end; ++p) media += p->second.padding ? 0 : 1;
  packets_.erase(begin, end);

  if (media > 0) {
    if (cause == GiveUpCause::kBufferFull) {
      stats_.packets_buffer_full += media;
      CountDrop(DropReason::kBufferFull, media);
    } else if (complete) {
      ++stats_.frames_dropped_undecodable;
      CountDrop(DropReason::kUndecodable, media);
    } else {
      stats_.packets_given_up += media;
      CountDrop(DropReason::kUndecodable, media);
    }
  }
  if (skipped_gap || (media > 0 && !complete)) ++stats_.losses_given_up;
  if (skipped_gap || media > 0) {
    waiting_for_keyframe_ = true;
    keyframe_request_due_ = true;
  }
  // When the given-up frame's tail is missing and the next packet held starts a frame, the hole
  // in between is that tail: give it up with the frame rather than as a separate loss.
  const auto next = packets_.begin();
  if (!last_ends_frame && next != packets_.end() && !next->second.padding &&
      (complete_.contains(next->first) || next->second.payload.frame_start)) {
    SetCursor(next->first, last_timestamp, true);
    return;
  }
  SetCursor(group.last + 1, last_timestamp, last_ends_frame);
}

void VideoJitterBuffer::SetCursor(int64_t seq, uint32_t prev_timestamp, bool prev_ends_frame) {
  cursor_ = seq;
  cursor_prev_timestamp_ = prev_timestamp;
  cursor_prev_ends_frame_ = prev_ends_frame;
  // The packet at the cursor may now be a known frame start.
  if (const auto it = packets_.find(seq); it != packets_.end()) TryComplete(it);
}

void VideoJitterBuffer::CountDrop(DropReason reason, uint64_t packets) {
  if (drop_counters_ != nullptr && packets > 0) drop_counters_->Add(reason, packets);
}

VideoJitterBuffer::InsertResult VideoJitterBuffer::Finish(InsertResult result) {
  // At stream start the first keyframe is simply awaited; a request is due only once something
  // was lost or dropped for want of one.
  result.keyframe_needed = waiting_for_keyframe_ && keyframe_request_due_;
  if (!result.keyframe_needed) {
    keyframe_request_counted_ = false;
  } else if (!keyframe_request_counted_) {
    keyframe_request_counted_ = true;
    ++stats_.keyframe_requests;
  }
  return result;
}

}  // namespace tessera::rtp
