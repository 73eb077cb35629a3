// RFC 4571 framing for ICE-TCP: frames cut from a stream however the reads split it.
#include <gtest/gtest.h>
#include <tessera/webrtc/tcp_framing.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <span>
#include <utility>
#include <vector>

namespace tessera::webrtc {
namespace {

std::vector<uint8_t> Packet(size_t size, uint8_t seed) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = static_cast<uint8_t>(seed + i);
  return p;
}

std::vector<std::vector<uint8_t>> DrainAll(TcpFrameReader& reader) {
  std::vector<std::vector<uint8_t>> out;
  while (auto frame = reader.Next()) out.emplace_back(frame->begin(), frame->end());
  return out;
}

TEST(FrameForTcp, PrefixesTheLengthBigEndian) {
  const std::vector<uint8_t> packet = Packet(300, 1);
  const std::vector<uint8_t> frame = FrameForTcp(packet);
  ASSERT_EQ(frame.size(), 302u);
  EXPECT_EQ(frame[0], 0x01);
  EXPECT_EQ(frame[1], 0x2c);
  EXPECT_TRUE(std::equal(packet.begin(), packet.end(), frame.begin() + 2));
  EXPECT_EQ(FrameForTcp({}), (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(FrameForTcp(Packet(65535, 0)).size(), 65537u);
  EXPECT_TRUE(FrameForTcp(Packet(65536, 0)).empty());
}

TEST(TcpFrameReader, CutsFramesHoweverTheStreamIsSplit) {
  std::vector<std::vector<uint8_t>> packets;
  std::vector<uint8_t> stream;
  for (uint8_t i = 0; i < 20; ++i) {
    packets.push_back(Packet(1 + i * 37, i));
    const auto frame = FrameForTcp(packets.back());
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  std::mt19937 rng(4571);
  for (int round = 0; round < 50; ++round) {
    TcpFrameReader reader;
    std::vector<std::vector<uint8_t>> got;
    size_t pos = 0;
    while (pos < stream.size()) {
      const size_t n = std::min<size_t>(stream.size() - pos, 1 + rng() % 200);
      ASSERT_TRUE(reader.Append(std::span<const uint8_t>(stream).subspan(pos, n)));
      pos += n;
      for (auto& frame : DrainAll(reader)) got.push_back(std::move(frame));
    }
    EXPECT_EQ(got, packets);
    EXPECT_EQ(reader.buffered(), 0u);
    EXPECT_EQ(reader.frames(), packets.size());
  }
}

TEST(TcpFrameReader, WaitsForTheRestOfAFrame) {
  TcpFrameReader reader;
  const uint8_t head[] = {0x00};
  ASSERT_TRUE(reader.Append(head));
  EXPECT_FALSE(reader.Next());
  const uint8_t rest[] = {0x03, 0xaa, 0xbb};
  ASSERT_TRUE(reader.Append(rest));
  EXPECT_FALSE(reader.Next());
  EXPECT_EQ(reader.buffered(), 4u);
  const uint8_t last[] = {0xcc};
  ASSERT_TRUE(reader.Append(last));
  auto frame = reader.Next();
  ASSERT_TRUE(frame);
  EXPECT_EQ(std::vector<uint8_t>(frame->begin(), frame->end()),
            (std::vector<uint8_t>{0xaa, 0xbb, 0xcc}));
  EXPECT_FALSE(reader.failed());
}

TEST(TcpFrameReader, SkipsZeroLengthFrames) {
  TcpFrameReader reader;
  const uint8_t stream[] = {0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x42, 0x00, 0x00};
  ASSERT_TRUE(reader.Append(stream));
  auto all = DrainAll(reader);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], (std::vector<uint8_t>{0x42}));
  EXPECT_EQ(reader.empty_frames(), 3u);
}

TEST(TcpFrameReader, AFrameOverTheLimitFailsTheStream) {
  TcpFrameReader::Limits limits;
  limits.max_frame_size = 1500;
  TcpFrameReader reader(limits);
  const uint8_t stream[] = {0x05, 0xdd, 0x01, 0x02};  // 1501 bytes announced
  ASSERT_TRUE(reader.Append(stream));
  EXPECT_FALSE(reader.Next());
  EXPECT_TRUE(reader.failed());
  EXPECT_FALSE(reader.Append(stream));
  EXPECT_EQ(reader.buffered(), 0u);
}

TEST(TcpFrameReader, BuffersAtMostTheLimit) {
  TcpFrameReader::Limits limits;
  limits.max_buffered = 1000;
  TcpFrameReader reader(limits);
  const std::vector<uint8_t> chunk(600, 0xff);  // a frame of 65535 that never completes
  ASSERT_TRUE(reader.Append(chunk));
  EXPECT_FALSE(reader.Next());
  EXPECT_FALSE(reader.Append(chunk));
  EXPECT_TRUE(reader.failed());
}

TEST(TcpFrameReader, GarbageNeverCrashes) {
  std::mt19937 rng(6544);
  for (int round = 0; round < 200; ++round) {
    TcpFrameReader::Limits limits;
    limits.max_frame_size = 1 + rng() % 2000;
    TcpFrameReader reader(limits);
    for (int i = 0; i < 20; ++i) {
      std::vector<uint8_t> bytes(rng() % 300);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng() % 8);  // mostly short lengths
      if (!reader.Append(bytes)) break;
      for (auto frame = reader.Next(); frame; frame = reader.Next()) {
        EXPECT_FALSE(frame->empty());
        EXPECT_LE(frame->size(), limits.max_frame_size);
      }
    }
  }
}

}  // namespace
}  // namespace tessera::webrtc
