#include "base/json_log_formatter.h"

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace tessera {
namespace {

const std::string kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string Escaped(std::string_view in) {
  spdlog::memory_buf_t out;
  AppendJsonEscaped(in, out);
  return std::string(out.data(), out.size());
}

std::string Formatted(JsonLogFormatter& formatter, const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t out;
  formatter.format(msg, out);
  return std::string(out.data(), out.size());
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(AppendJsonEscaped, CopiesPlainTextAndWellFormedUtf8AsTheyAre) {
  EXPECT_EQ(Escaped(""), "");
  EXPECT_EQ(Escaped("room ward: 3 participants"), "room ward: 3 participants");
  // 2-, 3- and 4-byte sequences, the edges of the ranges included: U+0080, U+07FF, U+0800,
  // U+D7FF, U+E000, U+FFFF, U+10000, U+10FFFF.
  const std::string utf8 =
      "caf\xC3\xA9 \xC2\x80\xDF\xBF \xE0\xA0\x80\xED\x9F\xBF\xEE\x80\x80\xEF\xBF\xBF "
      "\xF0\x90\x80\x80\xF4\x8F\xBF\xBF";
  EXPECT_EQ(Escaped(utf8), utf8);
}

TEST(AppendJsonEscaped, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Escaped(R"(say "hi" to C:\tmp)"), R"(say \"hi\" to C:\\tmp)");
  EXPECT_EQ(Escaped("a\nb\tc\rd\be\ff"), R"(a\nb\tc\rd\be\ff)");
  EXPECT_EQ(Escaped(std::string_view("\x01\x1F\x7F\0", 4)), R"(\u0001\u001f\u007f\u0000)");
}

TEST(AppendJsonEscaped, ReplacesEachIllFormedUtf8SubsequenceWithOneReplacementCharacter) {
  const std::string& r = kReplacement;
  const std::string quote = "\\\"";  // \" as escaped
  // FF is never in UTF-8; 80 is a continuation byte without a lead byte.
  EXPECT_EQ(Escaped(std::string("a\xFF") + "b"), "a" + r + "b");
  EXPECT_EQ(Escaped(std::string("\x80") + "x"), r + "x");
  // Sequences cut short, by the end or by another character: one U+FFFD for what was there.
  EXPECT_EQ(Escaped("x\xC3"), "x" + r);
  EXPECT_EQ(Escaped(std::string("\xE2\x82") + "x"), r + "x");
  EXPECT_EQ(Escaped(std::string("\xF0\x9F\x8E") + "\""), r + quote);
  // Overlong forms, a UTF-16 surrogate (U+D800) and a code point above U+10FFFF: every byte.
  EXPECT_EQ(Escaped("\xC0\xAF"), r + r);
  EXPECT_EQ(Escaped("\xE0\x80\xAF"), r + r + r);
  EXPECT_EQ(Escaped("\xED\xA0\x80"), r + r + r);
  EXPECT_EQ(Escaped("\xF4\x90\x80\x80"), r + r + r + r);
}

TEST(JsonLogFormatter, WritesTheDocumentedObjectWithUtcMilliseconds) {
  JsonLogFormatter formatter;
  // 2026-12-06T11:27:18.505Z
  const std::chrono::system_clock::time_point time{std::chrono::milliseconds(1796556438505)};
  spdlog::details::log_msg msg(time, spdlog::source_loc{}, "tessera", spdlog::level::info,
                               "room ward: started");
  msg.thread_id = 29580;
  EXPECT_EQ(Formatted(formatter, msg),
            "{\"time\":\"2026-12-06T11:27:18.505Z\",\"level\":\"info\",\"thread\":29580,"
            "\"logger\":\"tessera\",\"message\":\"room ward: started\"}\n");

  // Another second, then the first again: the date cached per second follows the records.
  msg.time = time + std::chrono::milliseconds(86'400'000 + 495);
  EXPECT_NE(Formatted(formatter, msg).find("\"time\":\"2026-12-07T11:27:19.000Z\""),
            std::string::npos);
  msg.time = time + std::chrono::milliseconds(1);
  EXPECT_NE(Formatted(formatter, msg).find("\"time\":\"2026-12-06T11:27:18.506Z\""),
            std::string::npos);
}

TEST(JsonLogFormatter, EachLineOfALoggerParsesBackToTheMessage) {
  std::ostringstream os;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(os);
  sink->set_formatter(std::make_unique<JsonLogFormatter>());
  spdlog::logger logger("tessera", sink);
  logger.set_level(spdlog::level::trace);

  const std::string hostile =
      std::string("say \"hi\"\nsecond line\tcolumn \x01 ") + "bad \xFF" + " end \\ done";
  logger.info("{}", hostile);
  logger.warn("participant {} left", "cam");
  logger.flush();

  const std::vector<std::string> lines = Lines(os.str());
  ASSERT_EQ(lines.size(), 2u) << os.str();
  // parse() throws on anything that is not one valid JSON value in valid UTF-8.
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  const nlohmann::json second = nlohmann::json::parse(lines[1]);

  EXPECT_EQ(first.at("message").get<std::string>(),
            "say \"hi\"\nsecond line\tcolumn \x01 bad " + kReplacement + " end \\ done");
  EXPECT_EQ(first.at("level").get<std::string>(), "info");
  EXPECT_EQ(first.at("logger").get<std::string>(), "tessera");
  EXPECT_TRUE(first.at("thread").is_number_unsigned());
  const std::string time = first.at("time").get<std::string>();
  ASSERT_EQ(time.size(), 24u) << time;  // 2026-12-06T11:27:18.505Z
  EXPECT_EQ(time[10], 'T');
  EXPECT_EQ(time[19], '.');
  EXPECT_EQ(time.back(), 'Z');

  EXPECT_EQ(second.at("message").get<std::string>(), "participant cam left");
  EXPECT_EQ(second.at("level").get<std::string>(), "warning");
  EXPECT_EQ(first.size(), 5u);
  EXPECT_EQ(second.size(), 5u);
}

TEST(JsonLogFormatter, CloneFormatsTheSame) {
  JsonLogFormatter formatter;
  const std::unique_ptr<spdlog::formatter> copy = formatter.clone();
  spdlog::details::log_msg msg(std::chrono::system_clock::time_point{}, spdlog::source_loc{},
                               "tessera", spdlog::level::err, "boom");
  msg.thread_id = 7;
  spdlog::memory_buf_t out;
  copy->format(msg, out);
  EXPECT_EQ(std::string(out.data(), out.size()), Formatted(formatter, msg));
  EXPECT_EQ(std::string(out.data(), out.size()),
            "{\"time\":\"1970-01-01T00:00:00.000Z\",\"level\":\"error\",\"thread\":7,"
            "\"logger\":\"tessera\",\"message\":\"boom\"}\n");
}

}  // namespace
}  // namespace tessera
