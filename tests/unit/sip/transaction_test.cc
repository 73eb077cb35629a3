#include <gtest/gtest.h>
#include <tessera/sip/transaction.h>

#include "transaction_test_util.h"

namespace tessera::sip {
namespace {

using testing::Answer;
using testing::Describe;
using testing::Request;
using testing::RequestSpec;
using testing::Tcp;
using testing::Udp;

RequestSpec Options() {
  RequestSpec s;
  s.method = "OPTIONS";
  return s;
}

TEST(InviteClientTransaction, TimerADoublesWithoutCapUntilTimerB) {
  InviteClientTransaction t(Request(), Udp());
  EXPECT_EQ(Describe(t.Start()), "send,start A 500,start B 32000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kA)), "send,start A 1000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kA)), "send,start A 2000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kA)), "send,start A 4000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kA)), "send,start A 8000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kB)), "cancel A,timeout,end");
  EXPECT_EQ(t.state(), TransactionState::kTerminated);
}

TEST(InviteClientTransaction, ReliableTransportStartsOnlyTimerB) {
  InviteClientTransaction t(Request({.transport = "TCP"}), Tcp());
  EXPECT_EQ(Describe(t.Start()), "send,start B 32000");
}

TEST(InviteClientTransaction, ProvisionalStopsRetransmission) {
  SipMessage invite = Request();
  InviteClientTransaction t(invite, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.OnReceive(Answer(invite, 180))),
            "cancel A,cancel B,start Proceeding 180000,tu");
  EXPECT_EQ(t.state(), TransactionState::kProceeding);
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kA)), "");
  EXPECT_EQ(Describe(t.OnReceive(Answer(invite, 183))), "tu");
}

TEST(InviteClientTransaction, SuccessGoesToTuAndTerminates) {
  SipMessage invite = Request();
  InviteClientTransaction t(invite, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.OnReceive(Answer(invite, 200))),
            "cancel A,cancel B,cancel Proceeding,tu,end");
}

TEST(InviteClientTransaction, FailureIsAckedAndTimerDAbsorbsRetransmissions) {
  SipMessage invite = Request();
  InviteClientTransaction t(invite, Udp());
  (void)t.Start();
  Actions a = t.OnReceive(Answer(invite, 486));
  ASSERT_EQ(Describe(a), "cancel A,cancel B,cancel Proceeding,send,tu,start D 32000");
  SipMessage ack = testing::Parse(a[3].bytes);
  EXPECT_EQ(ack.method(), "ACK");
  EXPECT_EQ(ack.cseq()->number, 314159u);
  EXPECT_EQ(ack.cseq()->method, "ACK");
  EXPECT_EQ(ack.to()->tag, "as1");
  EXPECT_EQ(ack.vias().size(), 1u);
  EXPECT_EQ(ack.vias()[0].branch, "z9hG4bK776asdhds");
  EXPECT_EQ(ack.Count(HeaderId::kRoute), 1u);
  // The retransmitted 486 is ACKed again but not passed up.
  Actions again = t.OnReceive(Answer(invite, 486));
  ASSERT_EQ(Describe(again), "send");
  EXPECT_EQ(again[0].bytes, a[3].bytes);
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kD)), "end");
}

TEST(InviteClientTransaction, FailureOverTcpTerminatesAtOnce) {
  SipMessage invite = Request({.transport = "TCP"});
  InviteClientTransaction t(invite, Tcp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.OnReceive(Answer(invite, 503))),
            "cancel A,cancel B,cancel Proceeding,send,tu,end");
}

TEST(InviteClientTransaction, ProceedingLimitTimesOut) {
  SipMessage invite = Request();
  InviteClientTransaction t(invite, Udp());
  (void)t.Start();
  (void)t.OnReceive(Answer(invite, 180));
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kProceeding)), "timeout,end");
}

TEST(NonInviteClientTransaction, TimerEDoublesUpToT2UntilTimerF) {
  NonInviteClientTransaction t(Request(Options()), Udp());
  EXPECT_EQ(Describe(t.Start()), "send,start E 500,start F 32000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 1000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 2000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 4000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 4000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kF)), "cancel E,timeout,end");
}

TEST(NonInviteClientTransaction, ProceedingRetransmitsEveryT2) {
  SipMessage options = Request(Options());
  NonInviteClientTransaction t(options, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.OnReceive(Answer(options, 100))), "tu");
  EXPECT_EQ(t.state(), TransactionState::kProceeding);
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 4000");
}

TEST(NonInviteClientTransaction, TimerKIsT4OverUdpAndZeroOverTcp) {
  SipMessage options = Request(Options());
  NonInviteClientTransaction udp(options, Udp());
  (void)udp.Start();
  EXPECT_EQ(Describe(udp.OnReceive(Answer(options, 200))), "cancel E,cancel F,tu,start K 5000");
  EXPECT_EQ(Describe(udp.OnReceive(Answer(options, 200))), "");  // absorbed
  EXPECT_EQ(Describe(udp.OnTimer(TimerId::kK)), "end");

  NonInviteClientTransaction tcp(options, Tcp());
  (void)tcp.Start();
  EXPECT_EQ(Describe(tcp.OnReceive(Answer(options, 404))), "cancel E,cancel F,tu,end");
}

TEST(NonInviteClientTransaction, ConfiguredTimersAreUsed) {
  TimerConfig config;
  config.t1 = Millis{100};
  config.t2 = Millis{300};
  NonInviteClientTransaction t(Request(Options()), Udp(), config);
  EXPECT_EQ(Describe(t.Start()), "send,start E 100,start F 6400");
  (void)t.OnTimer(TimerId::kE);
  (void)t.OnTimer(TimerId::kE);
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kE)), "send,start E 300");
}

TEST(InviteServerTransaction, SendsTryingAfter200Ms) {
  InviteServerTransaction t(Request(), Udp());
  EXPECT_EQ(Describe(t.Start()), "tu,start Trying 200");
  Actions a = t.OnTimer(TimerId::kTrying);
  ASSERT_EQ(Describe(a), "send");
  EXPECT_EQ(testing::Parse(a[0].bytes).status_code(), 100);
  // A retransmitted INVITE gets the 100 again and never reaches the TU.
  EXPECT_EQ(Describe(t.OnReceive(Request())), "send");
}

TEST(InviteServerTransaction, NoTryingWhenTheTuAnsweredFirst) {
  SipMessage invite = Request();
  InviteServerTransaction t(invite, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.SendResponse(Answer(invite, 180))), "cancel Trying,send");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kTrying)), "");
  Actions again = t.OnReceive(invite);
  ASSERT_EQ(Describe(again), "send");
  EXPECT_EQ(testing::Parse(again[0].bytes).status_code(), 180);
}

TEST(InviteServerTransaction, SuccessTerminatesAndLeavesRetransmissionToTheTu) {
  SipMessage invite = Request();
  InviteServerTransaction t(invite, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.SendResponse(Answer(invite, 200))), "cancel Trying,send,end");
}

TEST(InviteServerTransaction, FailureRetransmitsWithTimerGUntilAckThenTimerI) {
  SipMessage invite = Request();
  InviteServerTransaction t(invite, Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.SendResponse(Answer(invite, 486))),
            "cancel Trying,send,start G 500,start H 32000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kG)), "send,start G 1000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kG)), "send,start G 2000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kG)), "send,start G 4000");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kG)), "send,start G 4000");
  EXPECT_EQ(Describe(t.OnReceive(invite)), "send");  // the 486 again
  EXPECT_EQ(Describe(t.SendResponse(Answer(invite, 500))), "");
  EXPECT_EQ(Describe(t.OnReceive(Request({.method = "ACK", .cseq_method = "ACK"}))),
            "cancel G,cancel H,start I 5000");
  EXPECT_EQ(t.state(), TransactionState::kConfirmed);
  EXPECT_EQ(Describe(t.OnReceive(Request({.method = "ACK"}))), "");
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kI)), "end");
}

TEST(InviteServerTransaction, TimerHWithoutAckTimesOut) {
  SipMessage invite = Request();
  InviteServerTransaction t(invite, Udp());
  (void)t.Start();
  (void)t.SendResponse(Answer(invite, 603));
  EXPECT_EQ(Describe(t.OnTimer(TimerId::kH)), "cancel G,timeout,end");
}

TEST(InviteServerTransaction, AckOverTcpTerminatesAtOnce) {
  SipMessage invite = Request({.transport = "TCP"});
  InviteServerTransaction t(invite, Tcp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.SendResponse(Answer(invite, 486))), "cancel Trying,send,start H 32000");
  EXPECT_EQ(Describe(t.OnReceive(Request({.method = "ACK", .transport = "TCP"}))),
            "cancel G,cancel H,end");
}

TEST(NonInviteServerTransaction, TimerJIs64T1OverUdpAndZeroOverTcp) {
  SipMessage options = Request(Options());
  NonInviteServerTransaction udp(options, Udp());
  EXPECT_EQ(Describe(udp.Start()), "tu");
  EXPECT_EQ(Describe(udp.OnReceive(options)), "");  // Trying absorbs silently
  EXPECT_EQ(Describe(udp.SendResponse(Answer(options, 200))), "send,start J 32000");
  EXPECT_EQ(Describe(udp.OnReceive(options)), "send");
  EXPECT_EQ(Describe(udp.SendResponse(Answer(options, 500))), "");
  EXPECT_EQ(Describe(udp.OnTimer(TimerId::kJ)), "end");

  NonInviteServerTransaction tcp(options, Tcp());
  (void)tcp.Start();
  EXPECT_EQ(Describe(tcp.SendResponse(Answer(options, 200))), "send,end");
}

TEST(Transaction, TransportErrorTerminates) {
  InviteClientTransaction t(Request(), Udp());
  (void)t.Start();
  EXPECT_EQ(Describe(t.OnTransportError()), "error,end");
  EXPECT_EQ(Describe(t.OnTransportError()), "");
}

TEST(TwoXxRetransmitter, DoublesUpToT2AndStopsOnAck) {
  TwoXxRetransmitter r("SIP/2.0 200 OK\r\n\r\n", /*reliable=*/false);
  EXPECT_EQ(Describe(r.Start()), "send,start G 500,start H 32000");
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kG)), "send,start G 1000");
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kG)), "send,start G 2000");
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kG)), "send,start G 4000");
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kG)), "send,start G 4000");
  EXPECT_EQ(Describe(r.OnAck()), "cancel G,cancel H,end");
  EXPECT_TRUE(r.done());
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kG)), "");
}

TEST(TwoXxRetransmitter, TimesOutWithoutAck) {
  TwoXxRetransmitter r("x", /*reliable=*/true);
  EXPECT_EQ(Describe(r.Start()), "send,start H 32000");
  EXPECT_EQ(Describe(r.OnTimer(TimerId::kH)), "cancel G,timeout,end");
}

Via ParseVia(const std::string& value) {
  auto vias = ParseViaList(value, DefaultParseLimits());
  EXPECT_TRUE(vias.value.has_value()) << vias.error;
  return vias.value ? vias.value->front() : Via{};
}

TEST(ResponseDestination, FollowsRfc3261Section18_2_2AndRfc3581) {
  const Destination source = Udp("203.0.113.5", 40000);
  Destination d =
      ResponseDestination(ParseVia("SIP/2.0/UDP pc33.example.com:5070;branch=z9hG4bKa"), source);
  EXPECT_EQ(d.host, "pc33.example.com");
  EXPECT_EQ(d.port, 5070);
  d = ResponseDestination(
      ParseVia("SIP/2.0/UDP pc33.example.com;received=203.0.113.5;branch=z9hG4bKa"), source);
  EXPECT_EQ(d.host, "203.0.113.5");
  EXPECT_EQ(d.port, 5060);
  d = ResponseDestination(ParseVia("SIP/2.0/UDP pc33.example.com;rport;branch=z9hG4bKa"), source);
  EXPECT_EQ(d.host, "203.0.113.5");
  EXPECT_EQ(d.port, 40000);
  d = ResponseDestination(ParseVia("SIP/2.0/UDP pc33.example.com;maddr=239.1.1.1;branch=z9hG4bKa"),
                          source);
  EXPECT_EQ(d.host, "239.1.1.1");
  d = ResponseDestination(ParseVia("SIP/2.0/UDP [2001:db8::1]:5062;branch=z9hG4bKa"), source);
  EXPECT_EQ(d.host, "2001:db8::1");
  EXPECT_EQ(d.port, 5062);
  d = ResponseDestination(ParseVia("SIP/2.0/TCP pc33.example.com;branch=z9hG4bKa"), Tcp());
  EXPECT_EQ(d, Tcp());  // the same connection
}

TEST(StampTopVia, AddsReceivedAndFillsRport) {
  std::string text = testing::RequestText({});
  text.insert(text.find(";branch"), ";rport");
  SipMessage request = testing::Parse(text);
  ASSERT_TRUE(StampTopVia(request, Udp("203.0.113.5", 40000)));
  EXPECT_EQ(request.vias().at(0).received, "203.0.113.5");
  EXPECT_EQ(request.vias().at(0).rport_value, 40000);
  EXPECT_EQ(request.vias().at(0).branch, "z9hG4bK776asdhds");
  EXPECT_FALSE(StampTopVia(request, Udp("203.0.113.5", 40000)));
}

}  // namespace
}  // namespace tessera::sip
