#include <tessera/sip/transaction_layer.h>

#include <functional>
#include <vector>

#include "transaction_test_util.h"

namespace tessera::sip {
namespace {

using testing::Answer;
using testing::Request;
using testing::RequestSpec;
using testing::Udp;

struct Sent {
  Destination to;
  SipMessage message;
};

class FakeSink : public TransportSink {
 public:
  bool Send(const Destination& to, std::string_view bytes) override {
    sent.push_back({to, testing::Parse(std::string(bytes))});
    return !fail;
  }
  std::vector<Sent> sent;
  bool fail = false;
};

class RecordingTu : public TransactionUser {
 public:
  void OnTransactionEvent(const TuEvent& event) override {
    events.push_back(event);
    if (on_event) on_event(event);
  }
  size_t Count(TuEvent::Kind kind) const {
    size_t n = 0;
    for (const TuEvent& e : events) n += e.kind == kind;
    return n;
  }
  std::vector<TuEvent> events;
  std::function<void(const TuEvent&)> on_event;
};

class TransactionLayerTest : public ::testing::Test {
 protected:
  explicit TransactionLayerTest(TransactionLayerConfig config = {})
      : layer_(clock_, timers_, sink_, tu_, config) {}
  void AdvanceMs(int64_t ms) {
    for (int64_t i = 0; i < ms; i += 100) {
      clock_.AdvanceMs(std::min<int64_t>(100, ms - i));
      timers_.RunDue();
    }
  }
  static RequestSpec Spec(std::string method, std::string branch) {
    RequestSpec s;
    s.method = std::move(method);
    s.branch = std::move(branch);
    return s;
  }

  FakeClock clock_;
  ManualTimerService timers_{clock_};
  FakeSink sink_;
  RecordingTu tu_;
  TransactionLayer layer_;
};

TEST_F(TransactionLayerTest, AnswersOptionsAndAbsorbsItsRetransmission) {
  const SipMessage options = Request(Spec("OPTIONS", "z9hG4bKopt1"));
  layer_.OnMessage(options, Udp());
  ASSERT_EQ(tu_.events.size(), 1u);
  ASSERT_EQ(tu_.events[0].kind, TuEvent::Kind::kRequest);
  EXPECT_TRUE(layer_.Respond(tu_.events[0].id, Answer(options, 200)));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 200);

  layer_.OnMessage(options, Udp());
  EXPECT_EQ(tu_.events.size(), 1u);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_EQ(sink_.sent[1].message.status_code(), 200);
  EXPECT_EQ(layer_.stats().retransmissions_absorbed, 1u);

  AdvanceMs(32'000);  // timer J
  EXPECT_EQ(layer_.size(), 0u);
  EXPECT_EQ(timers_.pending(), 0u);
}

TEST_F(TransactionLayerTest, RetransmittedInviteGetsTheLastProvisionalOnly) {
  const SipMessage invite = Request();
  layer_.OnMessage(invite, Udp());
  AdvanceMs(200);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 100);
  ASSERT_TRUE(layer_.Respond(tu_.events[0].id, Answer(invite, 180)));
  layer_.OnMessage(invite, Udp());
  ASSERT_EQ(sink_.sent.size(), 3u);
  EXPECT_EQ(sink_.sent[2].message.status_code(), 180);
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kRequest), 1u);
}

TEST_F(TransactionLayerTest, ResponseFollowsReceivedAndRport) {
  std::string text = testing::RequestText(Spec("OPTIONS", "z9hG4bKrp"));
  text.replace(text.find(";branch"), 0, ";rport");
  layer_.OnMessage(testing::Parse(text), Udp("198.51.100.7", 6000));
  ASSERT_TRUE(layer_.Respond(tu_.events.at(0).id, Answer(*tu_.events[0].message, 200)));
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].to.host, "198.51.100.7");
  EXPECT_EQ(sink_.sent[0].to.port, 6000);
  const Via& via = sink_.sent[0].message.vias().at(0);
  EXPECT_EQ(via.received, "198.51.100.7");
  EXPECT_EQ(via.rport_value, 6000);
}

TEST_F(TransactionLayerTest, InviteClientRetransmitsUntilTimerB) {
  const TransactionId id =
      layer_.SendRequest(Request({.branch = TransactionLayer::NewBranch()}), Udp());
  ASSERT_NE(id, 0u);
  AdvanceMs(31'900);
  EXPECT_EQ(sink_.sent.size(), 7u);  // at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kTimeout), 0u);
  AdvanceMs(100);
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kTimeout), 1u);
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(TransactionLayerTest, ClientResponsesReachTheTuOnce) {
  const SipMessage options = Request(Spec("OPTIONS", "z9hG4bKcli"));
  const TransactionId id = layer_.SendRequest(options, Udp());
  ASSERT_NE(id, 0u);
  EXPECT_EQ(layer_.SendRequest(options, Udp()), 0u);  // branch in use
  layer_.OnMessage(Answer(options, 200), Udp());
  layer_.OnMessage(Answer(options, 200), Udp());
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kResponse), 1u);
  EXPECT_EQ(tu_.events[0].id, id);
  layer_.OnMessage(Answer(Request(Spec("OPTIONS", "z9hG4bKother")), 200), Udp());
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kStrayResponse), 1u);
  AdvanceMs(5'000);  // timer K
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(TransactionLayerTest, CancelFindsTheInviteAndIsAnswered200) {
  const SipMessage invite = Request();
  layer_.OnMessage(invite, Udp());
  const TransactionId invite_id = tu_.events.at(0).id;
  ASSERT_TRUE(layer_.Respond(invite_id, Answer(invite, 180)));
  layer_.OnMessage(Request({.method = "CANCEL"}), Udp());
  ASSERT_EQ(tu_.events.size(), 2u);
  EXPECT_EQ(tu_.events[1].kind, TuEvent::Kind::kCancel);
  EXPECT_EQ(tu_.events[1].id, invite_id);
  ASSERT_EQ(sink_.sent.size(), 2u);
  EXPECT_EQ(sink_.sent[1].message.status_code(), 200);
  EXPECT_EQ(sink_.sent[1].message.cseq()->method, "CANCEL");
  EXPECT_EQ(sink_.sent[1].message.to()->tag, "as1");
  ASSERT_TRUE(layer_.Respond(invite_id, Answer(invite, 487)));
  layer_.OnMessage(Request({.method = "ACK", .cseq_method = "ACK"}), Udp());
  EXPECT_EQ(layer_.StateOf(invite_id), TransactionState::kConfirmed);
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kAck), 0u);  // the transaction took it
  AdvanceMs(32'000);
  EXPECT_EQ(layer_.size(), 0u);
}

TEST_F(TransactionLayerTest, CancelWithoutInviteGets481) {
  layer_.OnMessage(Request(Spec("CANCEL", "z9hG4bKnothere")), Udp());
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 481);
  EXPECT_TRUE(tu_.events.empty());
}

TEST_F(TransactionLayerTest, Rfc2543BranchIsRefusedWith400) {
  layer_.OnMessage(Request(Spec("OPTIONS", "1234")), Udp());
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 400);
  EXPECT_EQ(layer_.stats().rejected_rfc2543, 1u);
}

TEST_F(TransactionLayerTest, TwoXxIsRetransmittedUntilAck) {
  const SipMessage invite = Request();
  layer_.OnMessage(invite, Udp());
  const TransactionId id = tu_.events.at(0).id;
  const SipMessage ok = Answer(invite, 200);
  ASSERT_TRUE(layer_.Respond(id, ok));
  EXPECT_EQ(layer_.size(), 0u);  // the INVITE transaction ended with the 2xx
  layer_.Retransmit2xx(invite, ok, Udp(), id);
  AdvanceMs(1'500);
  EXPECT_EQ(sink_.sent.size(), 3u);  // the 200, then at 0.5 s and 1.5 s
  layer_.OnMessage(Request({.method = "ACK", .branch = "z9hG4bKack2", .cseq_method = "ACK"}),
                   Udp());
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kAck), 1u);
  EXPECT_EQ(layer_.retransmitters(), 0u);
  AdvanceMs(10'000);
  EXPECT_EQ(sink_.sent.size(), 3u);
}

TEST_F(TransactionLayerTest, TuMayRespondFromItsCallback) {
  tu_.on_event = [this](const TuEvent& e) {
    if (e.kind == TuEvent::Kind::kRequest) (void)layer_.Respond(e.id, Answer(*e.message, 200));
  };
  layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bKcb")), Udp());
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 200);
}

TEST_F(TransactionLayerTest, SendFailureIsATransportError) {
  sink_.fail = true;
  EXPECT_EQ(layer_.SendRequest(Request(Spec("OPTIONS", "z9hG4bKfail")), Udp()), 0u);
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kTransportError), 1u);
  EXPECT_EQ(layer_.size(), 0u);
}

TEST(TransactionLayerBranch, IsCookiePlus128RandomBits) {
  const std::string a = TransactionLayer::NewBranch();
  EXPECT_TRUE(a.starts_with("z9hG4bK"));
  EXPECT_EQ(a.size(), 7u + 32u);
  EXPECT_NE(a, TransactionLayer::NewBranch());
}

TransactionLayerConfig Small() {
  TransactionLayerConfig c;
  c.max_transactions = 2;
  c.new_requests = {1, 3};
  return c;
}

class LimitedTransactionLayerTest : public TransactionLayerTest {
 protected:
  LimitedTransactionLayerTest() : TransactionLayerTest(Small()) {}
};

TEST_F(LimitedTransactionLayerTest, AnswersBeyondTheLimitWith503) {
  layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bK1")), Udp("10.0.0.1"));
  layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bK2")), Udp("10.0.0.2"));
  layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bK3")), Udp("10.0.0.3"));
  EXPECT_EQ(tu_.events.size(), 2u);
  ASSERT_EQ(sink_.sent.size(), 1u);
  EXPECT_EQ(sink_.sent[0].message.status_code(), 503);
  const HeaderField* retry = sink_.sent[0].message.Find(HeaderId::kRetryAfter);
  ASSERT_NE(retry, nullptr);
  EXPECT_EQ(retry->value, "5");
  EXPECT_EQ(layer_.stats().rejected_overload, 1u);
}

TEST_F(LimitedTransactionLayerTest, FloodIsDroppedPerSourceWhileOthersAreServed) {
  tu_.on_event = [this](const TuEvent& e) {
    if (e.kind == TuEvent::Kind::kRequest && e.message->method() != "INVITE") {
      (void)layer_.Respond(e.id, Answer(*e.message, 200));
    }
  };
  const SipMessage invite = Request();
  layer_.OnMessage(invite, Udp("10.0.0.1"));
  for (int i = 0; i < 10; ++i) {
    layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bKf" + std::to_string(i))), Udp("10.0.0.1"));
  }
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kRequest), 1u + 1u);  // burst 3 minus the INVITE, one slot
  EXPECT_GE(layer_.stats().dropped_rate_limit, 8u);
  const size_t sent = sink_.sent.size();
  // The INVITE's retransmission and its CANCEL still pass; the bucket is empty.
  layer_.OnMessage(invite, Udp("10.0.0.1"));
  layer_.OnMessage(Request({.method = "CANCEL"}), Udp("10.0.0.1"));
  EXPECT_EQ(tu_.Count(TuEvent::Kind::kCancel), 1u);
  EXPECT_GT(sink_.sent.size(), sent);
  // Another source is served; the flooder again after its bucket refills.
  AdvanceMs(32'000);
  layer_.OnMessage(Request(Spec("OPTIONS", "z9hG4bKgood")), Udp("10.0.0.9"));
  EXPECT_EQ(sink_.sent.back().message.status_code(), 200);
  EXPECT_EQ(sink_.sent.back().to.host, "10.0.0.9");
}

TEST(TransactionKeys, AckMatchesInviteAndCancelHasItsOwn) {
  const SipMessage invite = Request();
  const SipMessage ack = Request({.method = "ACK", .cseq_method = "ACK"});
  const SipMessage cancel = Request({.method = "CANCEL"});
  EXPECT_EQ(ServerTransactionKey(ack), ServerTransactionKey(invite));
  EXPECT_NE(ServerTransactionKey(cancel), ServerTransactionKey(invite));
  EXPECT_EQ(CancelTargetKey(cancel), ServerTransactionKey(invite));
  EXPECT_NE(ServerTransactionKey(Request({.sent_by = "other.example.com"})),
            ServerTransactionKey(invite));
  EXPECT_FALSE(ServerTransactionKey(Request({.branch = "old2543"})).has_value());
  EXPECT_EQ(ClientTransactionKey(Answer(invite, 200)), ClientTransactionKey(invite));
  EXPECT_NE(ClientTransactionKey(Answer(cancel, 200)), ClientTransactionKey(invite));
}

}  // namespace
}  // namespace tessera::sip
