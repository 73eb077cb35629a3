#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <tessera/audit/audit_log.h>
#include <tessera/audit/keys.h>
#include <tessera/audit/verify.h>
#include <tessera/base/metrics.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "audit/line.h"
#include "audit/syslog.h"

namespace tessera::audit {
namespace {

namespace fs = std::filesystem;

// Thread-safe, moved by hand: the writer thread and the test read it.
class TestClock : public Clock {
 public:
  int64_t NowUs() const override { return us_.load(); }
  NtpTime NowNtp() const override { return UnixUsToNtp(1'767'225'600'000'000LL + us_.load()); }
  void AdvanceS(int64_t s) { us_ += s * 1'000'000; }

 private:
  std::atomic<int64_t> us_{1'000'000};
};

class AuditLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "tessera-audit-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "audit.log").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  static std::vector<uint8_t> HmacKey(char fill) { return std::vector<uint8_t>(32, fill); }

  AuditLogOptions Options() {
    AuditLogOptions o;
    o.path = path_;
    o.signer = std::shared_ptr<const CheckpointSigner>(
        CheckpointSigner::FromHmacKey(HmacKey('k')).value());
    o.key_id = "test";
    o.clock = &clock_;
    return o;
  }

  std::unique_ptr<AuditLog> OpenLog(AuditLogOptions o) {
    auto log = AuditLog::Open(std::move(o));
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    return log.ok() ? std::move(*log) : nullptr;
  }

  std::unique_ptr<CheckpointVerifier> HmacVerifier(char fill = 'k') {
    return CheckpointVerifier::FromHmacKey(HmacKey(fill)).value();
  }

  static Event Request(const std::string& actor, int status) {
    Event e("api.request");
    e.Set("actor", actor).Set("role", "admin").Set("source", "192.0.2.7");
    e.Set("method", "POST").Set("path", "/v1/rooms").Set("status", status);
    return e;
  }

  // A log of `events` api.request lines (after audit.opened), closed: its lines.
  std::vector<std::string> WriteLog(int events, uint32_t checkpoint_every = 1000) {
    AuditLogOptions o = Options();
    o.checkpoint_every = checkpoint_every;
    auto log = OpenLog(std::move(o));
    for (int i = 0; i < events; ++i)
      EXPECT_TRUE(log->Append(Request("user" + std::to_string(i), 201)));
    log->Close();
    return ReadLines();
  }

  std::string ReadFile(const std::string& path) const {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::vector<std::string> ReadLines() const {
    std::vector<std::string> out;
    std::istringstream in(ReadFile(path_));
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }
  static std::string Join(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    return out;
  }

  TestClock clock_;
  fs::path dir_;
  std::string path_;
};

// What someone who can write the file but holds no key can do: give a line new content, then fix
// its hash and every later line's prev and hash, so the chain alone looks sound again.
void Rechain(std::vector<std::string>& lines, size_t from) {
  std::string prev = from == 0 ? std::string(kZeroHash) : "";
  if (from > 0) {
    const std::string& before = lines[from - 1];
    prev = before.substr(before.size() - 66, 64);
  }
  for (size_t i = from; i < lines.size(); ++i) {
    std::string prefix = lines[i].substr(0, lines[i].size() - kHashSuffixSize);
    const size_t at = prefix.find("\"prev\":\"") + 8;
    prefix.replace(at, 64, prev);
    SealedLine sealed = Seal(prefix);
    sealed.text.pop_back();
    lines[i] = sealed.text;
    prev = sealed.hash;
  }
}

size_t FirstCheckpoint(const std::vector<std::string>& lines) {
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].find("\"type\":\"checkpoint\"") != std::string::npos) return i;
  }
  return lines.size();
}

TEST_F(AuditLogTest, WritesLinesInTheDocumentedFormat) {
  const std::vector<std::string> lines = WriteLog(1);
  ASSERT_EQ(lines.size(), 3u);  // audit.opened, the request, the closing checkpoint
  EXPECT_THAT(lines[1],
              ::testing::MatchesRegex(
                  R"(\{"seq":2,"time":"2026-01-01T00:00:01\.000Z","prev":"[0-9a-f]{64}",)"
                  R"("type":"event","event":"api\.request","actor":"user0","role":"admin",)"
                  R"("source":"192\.0\.2\.7","method":"POST","path":"/v1/rooms","status":201,)"
                  R"("hash":"[0-9a-f]{64}"\})"));
  // The hash covers the bytes before ,"hash": and the next line links to it.
  const size_t cut = lines[1].find(",\"hash\":\"");
  EXPECT_EQ(lines[1].substr(cut + 9, 64), Sha256Hex(lines[1].substr(0, cut)));
  EXPECT_NE(lines[2].find("\"prev\":\"" + lines[1].substr(cut + 9, 64) + "\""), std::string::npos);
  EXPECT_THAT(lines[2], ::testing::HasSubstr(
                            R"("type":"checkpoint","alg":"hmac-sha256","key_id":"test","sig":")"));
  const VerifyResult r = VerifyText(Join(lines), HmacVerifier().get());
  ASSERT_TRUE(r.ok()) << r.bad->ToString();
  EXPECT_EQ(r.summary.lines, 3u);
  EXPECT_EQ(r.summary.checkpoints, 1u);
  EXPECT_EQ(r.summary.unsealed_lines, 0u);
}

TEST_F(AuditLogTest, ChainResumesAcrossReopen) {
  WriteLog(3);
  const size_t first = ReadLines().size();  // opened + 3 + checkpoint = 5
  auto log = OpenLog(Options());
  ASSERT_TRUE(log->Append(Request("again", 200)));
  log->Close();
  const std::vector<std::string> lines = ReadLines();
  ASSERT_EQ(lines.size(), first + 3);
  const auto reopened = nlohmann::json::parse(lines[first]);
  EXPECT_EQ(reopened["event"], "audit.opened");
  EXPECT_EQ(reopened["seq"], first + 1);
  EXPECT_EQ(reopened["resumed_seq"], first);
  const auto r = VerifyFile(path_, HmacVerifier().get());
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->ok()) << r->bad->ToString();
  EXPECT_EQ(r->summary.last_seq, first + 3);
  EXPECT_EQ(r->summary.checkpoints, 2u);
}

TEST_F(AuditLogTest, AChangedLineIsCaughtAtThatLine) {
  std::vector<std::string> lines = WriteLog(8);
  const size_t at = lines[4].find("user3");
  ASSERT_NE(at, std::string::npos);
  lines[4].replace(at, 5, "userX");
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 5u);
  EXPECT_EQ(r.bad->seq, 5u);
  EXPECT_EQ(r.bad->finding, Finding::kChanged);
  EXPECT_EQ(r.bad->ToString(), "line 5 (seq 5): changed: its hash does not match its content");
  EXPECT_EQ(r.summary.lines, 4u);
}

TEST_F(AuditLogTest, ALineRewrittenWithAFreshHashBreaksTheNextLink) {
  std::vector<std::string> lines = WriteLog(8);
  lines[4].replace(lines[4].find("user3"), 5, "userX");
  lines[4] = Seal(lines[4].substr(0, lines[4].size() - kHashSuffixSize)).text;
  lines[4].pop_back();
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 6u);
  EXPECT_EQ(r.bad->finding, Finding::kBrokenLink);
}

TEST_F(AuditLogTest, ADeletedLineIsCaughtAtThatLine) {
  std::vector<std::string> lines = WriteLog(8);
  lines.erase(lines.begin() + 4);  // seq 5
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 5u);
  EXPECT_EQ(r.bad->seq, 6u);
  EXPECT_EQ(r.bad->finding, Finding::kDeleted);
  EXPECT_THAT(r.bad->detail, ::testing::HasSubstr("from 4 to 6"));
}

TEST_F(AuditLogTest, AnInsertedLineIsCaughtAtThatLine) {
  std::vector<std::string> lines = WriteLog(8);
  lines.insert(lines.begin() + 6, lines[2]);  // a copy of line 3 as line 7
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 7u);
  EXPECT_EQ(r.bad->seq, 3u);
  EXPECT_EQ(r.bad->finding, Finding::kInserted);
  EXPECT_EQ(r.bad->detail, "a copy of line 3");
}

TEST_F(AuditLogTest, ReorderedLinesAreCaughtAtTheFirstOutOfPlace) {
  std::vector<std::string> lines = WriteLog(8);
  std::swap(lines[4], lines[5]);  // seq 5 and 6
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 5u);
  EXPECT_EQ(r.bad->seq, 6u);
  EXPECT_EQ(r.bad->finding, Finding::kReordered);
  EXPECT_THAT(r.bad->detail, ::testing::HasSubstr("at line 6"));
}

TEST_F(AuditLogTest, GarbageIsCaughtAtItsLine) {
  std::vector<std::string> lines = WriteLog(3);
  lines.insert(lines.begin() + 2, "hello");
  const VerifyResult r = VerifyText(Join(lines), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, 3u);
  EXPECT_FALSE(r.bad->seq.has_value());
  EXPECT_EQ(r.bad->finding, Finding::kGarbage);
}

TEST_F(AuditLogTest, ARechainedRewriteIsCaughtByTheCheckpointSignature) {
  std::vector<std::string> lines = WriteLog(8, /*checkpoint_every=*/100);
  const size_t checkpoint = FirstCheckpoint(lines);
  ASSERT_LT(checkpoint, lines.size());
  lines[3].replace(lines[3].find("user2"), 5, "userX");
  Rechain(lines, 3);
  // The chain alone is sound again: only the key tells.
  ASSERT_TRUE(VerifyText(Join(lines), nullptr).ok());
  const VerifyResult r = VerifyText(Join(lines), HmacVerifier().get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.bad->line, checkpoint + 1);
  EXPECT_EQ(r.bad->finding, Finding::kBadSignature);
}

TEST_F(AuditLogTest, Ed25519CheckpointsVerifyWithThePublicKeyAndNotAnother) {
  const std::string priv = (dir_ / "audit.pem").string();
  const std::string pub = (dir_ / "audit.pub.pem").string();
  const std::string other_priv = (dir_ / "other.pem").string();
  const std::string other_pub = (dir_ / "other.pub.pem").string();
  ASSERT_TRUE(WriteEd25519KeyPair(priv, pub).ok());
  ASSERT_TRUE(WriteEd25519KeyPair(other_priv, other_pub).ok());
  AuditLogOptions o = Options();
  o.signer = nullptr;
  o.key_file = priv;
  o.key_id = "";
  o.checkpoint_every = 3;
  auto log = OpenLog(std::move(o));
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(log->Append(Request("u", 200)));
  log->Close();

  auto right = CheckpointVerifier::LoadPublicKey(pub);
  ASSERT_TRUE(right.ok()) << right.status().ToString();
  const auto good = VerifyFile(path_, right->get());
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(good->ok()) << good->bad->ToString();
  EXPECT_EQ(good->summary.checkpoints, 2u);
  EXPECT_TRUE(good->summary.signatures_checked);

  auto wrong = CheckpointVerifier::LoadPublicKey(other_pub);
  ASSERT_TRUE(wrong.ok());
  const auto bad = VerifyFile(path_, wrong->get());
  ASSERT_TRUE(bad.ok());
  ASSERT_FALSE(bad->ok());
  EXPECT_EQ(bad->bad->line, 4u);  // opened, 2 requests, the first checkpoint
  EXPECT_EQ(bad->bad->finding, Finding::kBadSignature);

  // An HMAC key for an Ed25519 log: named as such.
  const auto mismatch = VerifyFile(path_, HmacVerifier().get());
  ASSERT_TRUE(mismatch.ok());
  ASSERT_FALSE(mismatch->ok());
  EXPECT_THAT(mismatch->bad->detail, ::testing::HasSubstr("signed with ed25519"));
}

TEST_F(AuditLogTest, KeygenWritesAPrivateKeyOnlyItsOwnerReadsAndOverwritesNothing) {
  const std::string priv = (dir_ / "k.pem").string();
  const std::string pub = (dir_ / "k.pub.pem").string();
  ASSERT_TRUE(WriteEd25519KeyPair(priv, pub).ok());
  struct stat st {};
  ASSERT_EQ(::stat(priv.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  const std::string before = ReadFile(priv);
  const Status again = WriteEd25519KeyPair(priv, (dir_ / "new.pub.pem").string());
  EXPECT_EQ(again.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ReadFile(priv), before);
  EXPECT_FALSE(fs::exists(dir_ / "new.pub.pem"));
}

TEST_F(AuditLogTest, HmacKeyFilesSignAndVerifyAndMustBePrivate) {
  const std::string key = (dir_ / "audit.key").string();
  {
    std::ofstream out(key);
    out << std::string(40, 'h') << "\n";
  }
  ::chmod(key.c_str(), 0644);
  AuditLogOptions o = Options();
  o.signer = nullptr;
  o.key_file = key;
  auto refused = AuditLog::Open(o);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("chmod 600"));

  ::chmod(key.c_str(), 0600);
  auto log = OpenLog(o);
  ASSERT_TRUE(log->Append(Request("u", 200)));
  log->Close();
  EXPECT_THAT(ReadLines().back(), ::testing::HasSubstr(R"("alg":"hmac-sha256")"));
  auto verifier = CheckpointVerifier::LoadHmacKey(key);
  ASSERT_TRUE(verifier.ok()) << verifier.status().ToString();
  const auto good = VerifyFile(path_, verifier->get());
  ASSERT_TRUE(good.ok());
  EXPECT_TRUE(good->ok()) << good->bad->ToString();
  const VerifyResult other = VerifyText(ReadFile(path_), HmacVerifier('z').get());
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.bad->finding, Finding::kBadSignature);
}

TEST_F(AuditLogTest, ATornTailIsMovedAsideAndTheChainResumes) {
  WriteLog(2);
  const size_t whole = ReadLines().size();
  const std::string torn = R"({"seq":99,"time":"2026-01-01T00:00:0)";
  {
    std::ofstream out(path_, std::ios::app | std::ios::binary);
    out << torn;
  }
  const VerifyResult before = VerifyText(ReadFile(path_), nullptr);
  ASSERT_FALSE(before.ok());
  EXPECT_EQ(before.bad->line, whole + 1);
  EXPECT_EQ(before.bad->finding, Finding::kTorn);

  auto log = OpenLog(Options());
  log->Close();
  const std::vector<std::string> lines = ReadLines();
  const auto opened = nlohmann::json::parse(lines[whole]);
  EXPECT_EQ(opened["event"], "audit.opened");
  EXPECT_EQ(opened["torn_bytes"], torn.size());
  const std::string torn_file = opened["torn_file"];
  EXPECT_EQ(torn_file.rfind(path_ + ".torn-", 0), 0u) << "beside the log: " << torn_file;
  EXPECT_EQ(ReadFile(torn_file), torn);
  const VerifyResult after = VerifyText(ReadFile(path_), HmacVerifier().get());
  EXPECT_TRUE(after.ok()) << after.bad->ToString();
}

TEST_F(AuditLogTest, AnUnsoundLastLineIsRefusedAtOpen) {
  std::vector<std::string> lines = WriteLog(2);
  lines.back().replace(lines.back().find("checkpoint"), 10, "checkpoinx");
  std::ofstream(path_, std::ios::binary | std::ios::trunc) << Join(lines);
  auto log = AuditLog::Open(Options());
  ASSERT_FALSE(log.ok());
  EXPECT_THAT(log.status().message(), ::testing::HasSubstr("tessera-audit verify"));
}

TEST_F(AuditLogTest, ASecondWriterIsRefused) {
  auto first = OpenLog(Options());
  auto second = AuditLog::Open(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(AuditLogTest, AFullQueueDropsAndTheNextLineSaysHowMany) {
  Counter& dropped = GlobalMetrics().GetCounter("tessera_audit_events_dropped_total");
  const uint64_t dropped_before = dropped.Value();
  AuditLogOptions o = Options();
  o.queue_capacity = 2;
  auto log = OpenLog(std::move(o));
  log->Pause();
  EXPECT_TRUE(log->Append(Request("a", 200)));
  EXPECT_TRUE(log->Append(Request("b", 200)));
  EXPECT_FALSE(log->Append(Request("c", 200)));
  EXPECT_FALSE(log->Append(Request("d", 200)));
  EXPECT_FALSE(log->Append(Request("e", 200)));
  EXPECT_EQ(log->Dropped(), 3u);
  EXPECT_EQ(dropped.Value() - dropped_before, 3u);
  log->Resume();
  ASSERT_TRUE(log->Flush());
  const std::vector<std::string> lines = ReadLines();
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(nlohmann::json::parse(lines[1])["actor"], "a");
  EXPECT_EQ(nlohmann::json::parse(lines[2])["actor"], "b");
  const auto report = nlohmann::json::parse(lines[3]);
  EXPECT_EQ(report["event"], "audit.dropped");
  EXPECT_EQ(report["count"], 3);
  EXPECT_EQ(report["queue_full"], 3);
  EXPECT_EQ(report["write_failed"], 0);
  // The queue has room again.
  EXPECT_TRUE(log->Append(Request("f", 200)));
  log->Close();
  EXPECT_TRUE(VerifyText(ReadFile(path_), HmacVerifier().get()).ok());
}

TEST_F(AuditLogTest, CheckpointsComeEveryNLinesAndWithinTheInterval) {
  AuditLogOptions o = Options();
  o.checkpoint_every = 3;
  o.checkpoint_interval_s = 60;
  auto log = OpenLog(std::move(o));
  ASSERT_TRUE(log->Append(Request("a", 200)));
  ASSERT_TRUE(log->Append(Request("b", 200)));
  ASSERT_TRUE(log->Flush());
  std::vector<std::string> lines = ReadLines();
  ASSERT_EQ(lines.size(), 4u);  // opened, a, b, checkpoint
  EXPECT_EQ(nlohmann::json::parse(lines[3])["type"], "checkpoint");

  ASSERT_TRUE(log->Append(Request("c", 200)));
  ASSERT_TRUE(log->Flush());
  EXPECT_EQ(ReadLines().size(), 5u);  // not due yet
  clock_.AdvanceS(61);
  ASSERT_TRUE(log->Flush());
  lines = ReadLines();
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(nlohmann::json::parse(lines[5])["type"], "checkpoint");
  log->Close();
  EXPECT_EQ(ReadLines().size(), 6u);  // nothing unsealed: no second closing checkpoint
}

TEST_F(AuditLogTest, FieldsAreEscapedCanonicallyAndTheEnvelopeCannotBeOverridden) {
  auto log = OpenLog(Options());
  Event e("participant.joined");
  e.Set("participant", "Zoë \"the\" \\ tester\n\x01").Set("seq", 1000).Set("hash", "x");
  e.Set("bad_utf8", std::string("\xff\xfe"));
  ASSERT_TRUE(log->Append(e));
  log->Close();
  const std::vector<std::string> lines = ReadLines();
  ASSERT_EQ(lines.size(), 3u);
  const auto j = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(j["seq"], 2);
  EXPECT_EQ(j["participant"], "Zoë \"the\" \\ tester\n\x01");
  EXPECT_EQ(j["hash"].get<std::string>().size(), 64u);
  const VerifyResult r = VerifyText(ReadFile(path_), HmacVerifier().get());
  EXPECT_TRUE(r.ok()) << r.bad->ToString();
}

TEST(Syslog, FormatsRfc5424) {
  EXPECT_EQ(FormatSyslog("node-1", "2026-12-06T20:45:01.123Z", "{\"seq\":1}"),
            "<109>1 2026-12-06T20:45:01.123Z node-1 tessera - audit - {\"seq\":1}");
  EXPECT_EQ(FormatSyslog("bad host", "t", "m"), "<109>1 t - tessera - audit - m");
  EXPECT_FALSE(SyslogForwarder::Create("::1:514").ok());
  EXPECT_FALSE(SyslogForwarder::Create("host:0").ok());
}

TEST_F(AuditLogTest, ForwardsEachLineToSyslogOverUdp) {
  const int sock = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sock, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::getsockname(sock, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  // A bound on a failing test, not a synchronisation: the datagrams are sent before Flush returns.
  timeval timeout{5, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);

  AuditLogOptions o = Options();
  o.syslog = "127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  auto log = OpenLog(std::move(o));
  ASSERT_TRUE(log->Append(Request("alice", 201)));
  ASSERT_TRUE(log->Flush());
  const std::vector<std::string> lines = ReadLines();
  ASSERT_EQ(lines.size(), 2u);
  const std::regex format(
      R"(<109>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z [!-~]+ tessera - audit - (\{.*\}))");
  for (const std::string& line : lines) {
    char buf[65536];
    const ssize_t n = ::recv(sock, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "no datagram for " << line;
    const std::string got(buf, static_cast<size_t>(n));
    std::smatch m;
    ASSERT_TRUE(std::regex_match(got, m, format)) << got;
    EXPECT_EQ(m[1].str(), line);
  }
  log->Close();
  ::close(sock);
}

}  // namespace
}  // namespace tessera::audit
