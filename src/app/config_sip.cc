// Parsing of the `sip` block and of rooms[].sip.
#include "app/config_sip.h"

#include <algorithm>
#include <array>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <tuple>

namespace tessera::app {
using net::IsValidNetwork;
namespace {

bool IsIpLiteral(const std::string& s) {
  boost::system::error_code ec;
  boost::asio::ip::make_address(s, ec);
  return !ec;
}

// RFC 3261 token characters.
bool IsToken(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) &&
        std::string_view("-.!%*_+`'~").find(static_cast<char>(ch)) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Characters a SIP URI's user part may hold unescaped (RFC 3261 user-unreserved and unreserved).
bool IsUserPart(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char ch : s) {
    if (!std::isalnum(ch) && std::string_view("-_.!~*'()&=+$,;?/").find(static_cast<char>(ch)) ==
                                 std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Printable ASCII without spaces, quotes or backslashes: safe inside a digest quoted-string.
bool IsDigestUsername(const std::string& s) {
  if (s.empty()) return false;
  for (unsigned char ch : s) {
    if (ch <= ' ' || ch >= 0x7f || ch == '"' || ch == '\\') return false;
  }
  return true;
}

bool IsHex(const std::string& s, size_t size) {
  return s.size() == size && s.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// A list under `key`; false (after an error) when present but not a list. Absent: true, empty.
bool List(Checker& c, const YAML::Node& n, const std::string& p, const char* key) {
  const YAML::Node l = n[key];
  if (!l.IsDefined() || l.IsNull() || l.IsSequence()) return true;
  c.Error(l, Checker::Join(p, key), "must be a list");
  return false;
}

void ParseListener(Checker& c, const YAML::Node& n, const std::string& p, SipListenConfig& l) {
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (transport, address, port, certificate, key)");
    return;
  }
  c.OnlyKeys(n, p, {"transport", "address", "port", "certificate", "key"});
  c.String(n, p, "transport", l.transport);
  if (l.transport != "udp" && l.transport != "tcp" && l.transport != "tls") {
    c.Error(n["transport"], p + ".transport", "must be udp, tcp or tls, got '" + l.transport + "'");
  }
  c.String(n, p, "address", l.address);
  if (!IsIpLiteral(l.address)) {
    c.Error(n["address"], p + ".address",
            "must be an IPv4 or IPv6 address, got '" + l.address + "'");
  }
  c.Unsigned(n, p, "port", l.port, 0, 65535);
  c.String(n, p, "certificate", l.certificate);
  c.String(n, p, "key", l.key);
  if (l.transport == "tls") {
    for (const auto& [key, value] : {std::pair{"certificate", &l.certificate}, {"key", &l.key}}) {
      if (value->empty()) {
        c.Error(n, p + "." + key, "is required for tls (a PEM file)");
      }
    }
  } else {
    for (const char* key : {"certificate", "key"}) {
      if (n[key].IsDefined()) c.Error(n[key], p + "." + key, "is for tls listeners only");
    }
  }
}

void ParseListeners(Checker& c, const YAML::Node& n, SipConfig& out) {
  const std::string p = "sip.listen";
  const YAML::Node l = n["listen"];
  if (!l.IsDefined()) {
    out.listen.assign(1, SipListenConfig{});
    return;
  }
  if (!l.IsSequence() || l.size() == 0) {
    c.Error(l, p, "must be a list of at least one listener");
    return;
  }
  // TCP and TLS both bind TCP sockets: they share one port space, UDP has its own.
  std::map<std::tuple<bool, std::string, uint16_t>, std::string> bound;
  for (size_t i = 0; i < l.size(); ++i) {
    const std::string lp = p + "[" + std::to_string(i) + "]";
    SipListenConfig listener;
    ParseListener(c, l[i], lp, listener);
    if (listener.port != 0) {
      const auto key =
          std::make_tuple(listener.transport == "udp", listener.address, listener.port);
      const auto [it, fresh] = bound.emplace(key, listener.transport);
      if (!fresh) {
        c.Error(l[i], lp,
                listener.transport + " " + listener.address + " port " +
                    std::to_string(listener.port) + " is already a " + it->second + " listener");
      }
    }
    out.listen.push_back(std::move(listener));
  }
}

void ParseTrunks(Checker& c, const YAML::Node& n, SipConfig& out) {
  if (!List(c, n, "sip", "trunks")) return;
  const YAML::Node ts = n["trunks"];
  std::set<std::string> names;
  for (size_t i = 0; ts.IsDefined() && ts.IsSequence() && i < ts.size(); ++i) {
    const std::string p = "sip.trunks[" + std::to_string(i) + "]";
    const YAML::Node t = ts[i];
    if (!t.IsMap()) {
      c.Error(t, p, "must be a map with name and networks");
      continue;
    }
    c.OnlyKeys(t, p, {"name", "networks", "g722_pcm_bits", "consent"});
    SipTrunkConfig trunk;
    c.String(t, p, "name", trunk.name);
    if (trunk.name.empty()) c.Error(t, p + ".name", "is required");
    if (!trunk.name.empty() && !names.insert(trunk.name).second) {
      c.Error(t["name"], p + ".name", "duplicate trunk name '" + trunk.name + "'");
    }
    const YAML::Node nets = t["networks"];
    if (!nets.IsDefined() || !nets.IsSequence() || nets.size() == 0) {
      c.Error(nets.IsDefined() ? nets : t, p + ".networks",
              "must be a list of at least one CIDR block or address");
    } else {
      for (size_t k = 0; k < nets.size(); ++k) {
        const std::string text = nets[k].IsScalar() ? nets[k].Scalar() : "";
        if (!IsValidNetwork(text)) {
          c.Error(nets[k], p + ".networks[" + std::to_string(k) + "]",
                  "must be a CIDR block (10.0.0.0/8, 2001:db8::/32; prefix up to 32 for IPv4, "
                  "128 for IPv6) or an address, got '" +
                      Checker::Text(nets[k]) + "'");
          continue;
        }
        trunk.networks.push_back(text);
      }
    }
    trunk.g722_pcm = out.g722_pcm;  // the block's default unless the trunk says
    ParseG722PcmBits(c, t, p, trunk.g722_pcm);
    if (const YAML::Node k = t["consent"]; k.IsDefined()) {
      std::string name;
      c.String(t, p, "consent", name);
      if (const auto consent = session::ConsentFromName(name)) {
        trunk.consent = *consent;
      } else {
        c.Error(k, p + ".consent", "must be unknown, granted or declined, got '" + name + "'");
      }
    }
    out.trunks.push_back(std::move(trunk));
  }
}

void ParseUsers(Checker& c, const YAML::Node& n, SipConfig& out) {
  if (!List(c, n, "sip", "users")) return;
  const YAML::Node us = n["users"];
  std::set<std::string> names;
  for (size_t i = 0; us.IsDefined() && us.IsSequence() && i < us.size(); ++i) {
    const std::string p = "sip.users[" + std::to_string(i) + "]";
    const YAML::Node u = us[i];
    if (!u.IsMap()) {
      c.Error(u, p, "must be a map with name and password (or ha1_md5, ha1_sha256)");
      continue;
    }
    c.OnlyKeys(u, p, {"name", "password", "ha1_md5", "ha1_sha256"});
    SipUserConfig user;
    c.String(u, p, "name", user.name);
    if (!u["name"].IsDefined()) {
      c.Error(u, p + ".name", "is required");
    } else if (!IsDigestUsername(user.name)) {
      c.Error(u["name"], p + ".name",
              "must be printable, without spaces, quotes or backslashes, got '" + user.name + "'");
    } else if (!names.insert(user.name).second) {
      c.Error(u["name"], p + ".name", "duplicate user name '" + user.name + "'");
    }
    c.String(u, p, "password", user.password);
    c.String(u, p, "ha1_md5", user.ha1_md5);
    c.String(u, p, "ha1_sha256", user.ha1_sha256);
    const bool password = u["password"].IsDefined();
    const bool ha1 = u["ha1_md5"].IsDefined() || u["ha1_sha256"].IsDefined();
    if (password && ha1) {
      c.Error(u, p, "give either password or ha1_md5/ha1_sha256, not both");
    } else if (!password && !ha1) {
      c.Error(u, p, "needs password, or ha1_md5 and/or ha1_sha256");
    }
    if (password && user.password.empty()) c.Error(u["password"], p + ".password", "is empty");
    if (u["ha1_md5"].IsDefined() && !IsHex(user.ha1_md5, 32)) {
      c.Error(u["ha1_md5"], p + ".ha1_md5",
              "must be 32 hex digits (MD5 of name:realm:password), got '" + user.ha1_md5 + "'");
    }
    if (u["ha1_sha256"].IsDefined() && !IsHex(user.ha1_sha256, 64)) {
      c.Error(
          u["ha1_sha256"], p + ".ha1_sha256",
          "must be 64 hex digits (SHA-256 of name:realm:password), got '" + user.ha1_sha256 + "'");
    }
    user.ha1_md5 = Lower(user.ha1_md5);
    user.ha1_sha256 = Lower(user.ha1_sha256);
    out.users.push_back(std::move(user));
  }
}

void ParseOutbound(Checker& c, const YAML::Node& n, SipOutboundConfig& out) {
  const std::string p = "sip.outbound";
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (proxy, username, password, from_user)");
    return;
  }
  c.OnlyKeys(n, p, {"proxy", "username", "password", "from_user"});
  c.String(n, p, "proxy", out.proxy);
  if (!out.proxy.empty() && out.proxy.rfind("sip:", 0) != 0 && out.proxy.rfind("sips:", 0) != 0) {
    c.Error(
        n["proxy"], p + ".proxy",
        "must be a sip: or sips: URI (sip:10.0.0.1:5060;transport=udp), got '" + out.proxy + "'");
  }
  c.String(n, p, "username", out.username);
  c.String(n, p, "password", out.password);
  if (out.username.empty() != out.password.empty()) {
    c.Error(n, p, "username and password go together");
  } else if (!out.username.empty() && !IsDigestUsername(out.username)) {
    c.Error(n["username"], p + ".username",
            "must be printable, without spaces, quotes or backslashes, got '" + out.username + "'");
  }
  c.String(n, p, "from_user", out.from_user);
  if (!IsUserPart(out.from_user)) {
    c.Error(n["from_user"], p + ".from_user",
            "must be a SIP user part (letters, digits and -_.!~*'()&=+$,;?/), got '" +
                out.from_user + "'");
  }
}

void ParseTcp(Checker& c, const YAML::Node& n, SipTcpConfig& out) {
  const std::string p = "sip.tcp";
  if (!n.IsMap()) {
    c.Error(n, p,
            "must be a map (message_timeout_s, idle_timeout_s, max_connections, "
            "max_connections_per_source)");
    return;
  }
  c.OnlyKeys(
      n, p,
      {"message_timeout_s", "idle_timeout_s", "max_connections", "max_connections_per_source"});
  c.Unsigned(n, p, "message_timeout_s", out.message_timeout_s, 1, 300);
  c.Unsigned(n, p, "idle_timeout_s", out.idle_timeout_s, 1, 86400);
  c.Unsigned(n, p, "max_connections", out.max_connections, 1, 100000);
  c.Unsigned(n, p, "max_connections_per_source", out.max_connections_per_source, 1, 100000);
  if (out.max_connections_per_source > out.max_connections) {
    const YAML::Node per_source = n["max_connections_per_source"];
    c.Error(per_source.IsDefined() ? per_source : n, p + ".max_connections_per_source",
            "must be at most max_connections (" + std::to_string(out.max_connections) + "), got " +
                std::to_string(out.max_connections_per_source));
  }
}

void ParseConsentPrompt(Checker& c, const YAML::Node& n, SipConsentPromptConfig& out) {
  const std::string p = "sip.consent_prompt";
  out.enabled = true;
  if (n.IsNull()) return;  // `consent_prompt:` alone: the defaults
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (grant, decline, timeout_s)");
    return;
  }
  c.OnlyKeys(n, p, {"grant", "decline", "timeout_s"});
  for (auto [key, digit] : {std::pair{"grant", &out.grant}, std::pair{"decline", &out.decline}}) {
    const YAML::Node k = n[key];
    if (!k.IsDefined()) continue;
    const std::string text = k.IsScalar() ? k.Scalar() : std::string();
    if (text.size() != 1 ||
        std::string_view("0123456789*#ABCD").find(text[0]) == std::string_view::npos) {
      c.Error(k, p + "." + key,
              "must be one DTMF key (0-9, *, #, A-D), got '" + Checker::Text(k) + "'");
      continue;
    }
    *digit = text[0];
  }
  if (out.grant == out.decline) {
    c.Error(n, p,
            std::string("grant and decline must be different keys, both are '") + out.grant + "'");
  }
  c.Unsigned(n, p, "timeout_s", out.timeout_s, 5, 600);
}

}  // namespace

void ParseG722PcmBits(Checker& c, const YAML::Node& n, const std::string& path,
                      codec::G722Pcm& out) {
  const YAML::Node b = n["g722_pcm_bits"];
  if (!b.IsDefined() || b.IsNull()) return;
  const std::string text = b.IsScalar() ? b.Scalar() : std::string();
  if (text == "14") {
    out = codec::G722Pcm::k14Bit;
  } else if (text == "16") {
    out = codec::G722Pcm::k16Bit;
  } else {
    c.Error(b, Checker::Join(path, "g722_pcm_bits"),
            "must be 16 (Asterisk, FreeSWITCH, baresip: spandsp) or 14 (pjsip, linphone), got '" +
                Checker::Text(b) + "'");
  }
}

void ParseSip(Checker& c, const YAML::Node& n, SipConfig& out) {
  const std::string p = "sip";
  out.enabled = true;
  if (n.IsNull()) {
    out.listen.assign(1, SipListenConfig{});
    return;
  }
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (listen, realm, trunks, users, ...)");
    return;
  }
  c.OnlyKeys(n, p,
             {"listen",
              "media_address",
              "realm",
              "nonce_secret",
              "trunks",
              "users",
              "srtp",
              "session_expires_s",
              "min_se_s",
              "max_calls",
              "answer_after_ms",
              "pin_attempts",
              "pin_timeout_s",
              "new_calls_per_source_per_s",
              "max_transactions",
              "outbound",
              "digest_algorithms",
              "tcp",
              "g722_pcm_bits",
              "consent_prompt"});
  ParseListeners(c, n, out);
  c.String(n, p, "media_address", out.media_address);
  if (n["media_address"].IsDefined()) {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(out.media_address, ec);
    if (ec || a.is_unspecified()) {
      c.Error(n["media_address"], p + ".media_address",
              "must be an IPv4 or IPv6 address to put in SDP (not 0.0.0.0 or ::), got '" +
                  out.media_address + "'");
    }
  }
  c.String(n, p, "realm", out.realm);
  if (!IsToken(out.realm)) {
    c.Error(n["realm"], p + ".realm",
            "must be a non-empty token (letters, digits and -.!%*_+`'~), got '" + out.realm + "'");
  }
  c.String(n, p, "nonce_secret", out.nonce_secret);
  if (n["nonce_secret"].IsDefined() && out.nonce_secret.size() < 16) {
    c.Error(n["nonce_secret"], p + ".nonce_secret",
            "must be at least 16 characters (or left out for a random one per start)");
  }
  ParseG722PcmBits(c, n, p, out.g722_pcm);
  ParseTrunks(c, n, out);
  ParseUsers(c, n, out);
  c.String(n, p, "srtp", out.srtp);
  if (out.srtp != "off" && out.srtp != "optional" && out.srtp != "required") {
    c.Error(n["srtp"], p + ".srtp", "must be off, optional or required, got '" + out.srtp + "'");
  }
  c.Unsigned(n, p, "min_se_s", out.min_se_s, 90, 86400);
  c.Unsigned(n, p, "session_expires_s", out.session_expires_s, 90, 86400);
  if (out.session_expires_s < out.min_se_s) {
    c.Error(n["session_expires_s"].IsDefined() ? n["session_expires_s"] : n,
            p + ".session_expires_s",
            "must be at least min_se_s (" + std::to_string(out.min_se_s) + "), got " +
                std::to_string(out.session_expires_s));
  }
  c.Unsigned(n, p, "max_calls", out.max_calls, 1, 10000);
  c.Unsigned(n, p, "answer_after_ms", out.answer_after_ms, 0, 60000);
  c.Unsigned(n, p, "pin_attempts", out.pin_attempts, 1, 10);
  c.Unsigned(n, p, "pin_timeout_s", out.pin_timeout_s, 5, 600);
  c.Unsigned(n, p, "new_calls_per_source_per_s", out.new_calls_per_source_per_s, 1, 10000);
  c.Unsigned(n, p, "max_transactions", out.max_transactions, 100, 1000000);
  if (const YAML::Node o = n["outbound"]; o.IsDefined()) ParseOutbound(c, o, out.outbound);
  if (const YAML::Node t = n["tcp"]; t.IsDefined() && !t.IsNull()) ParseTcp(c, t, out.tcp);
  if (const YAML::Node t = n["consent_prompt"]; t.IsDefined()) {
    ParseConsentPrompt(c, t, out.consent_prompt);
  }
  if (const YAML::Node d = n["digest_algorithms"]; d.IsDefined()) {
    const std::string dp = p + ".digest_algorithms";
    if (!d.IsSequence() || d.size() == 0) {
      c.Error(d, dp, "must be a list of SHA-256 and/or MD5");
      return;
    }
    out.digest_algorithms.clear();
    for (size_t i = 0; i < d.size(); ++i) {
      const std::string v = d[i].IsScalar() ? d[i].as<std::string>() : std::string();
      const std::string ip = dp + "[" + std::to_string(i) + "]";
      if (v != "SHA-256" && v != "MD5") {
        c.Error(d[i], ip, "must be SHA-256 or MD5, got '" + v + "'");
      } else if (std::find(out.digest_algorithms.begin(), out.digest_algorithms.end(), v) !=
                 out.digest_algorithms.end()) {
        c.Error(d[i], ip, "'" + v + "' is listed twice");
      } else {
        out.digest_algorithms.push_back(v);
      }
    }
  }
}

void ParseRoomSip(Checker& c, const YAML::Node& n, const std::string& p, RoomSipConfig& out) {
  if (n.IsNull()) return;
  if (!n.IsMap()) {
    c.Error(n, p, "must be a map (numbers, pin)");
    return;
  }
  c.OnlyKeys(n, p, {"numbers", "pin"});
  if (List(c, n, p, "numbers")) {
    const YAML::Node ns = n["numbers"];
    std::set<std::string> seen;
    for (size_t i = 0; ns.IsDefined() && ns.IsSequence() && i < ns.size(); ++i) {
      const std::string np = p + ".numbers[" + std::to_string(i) + "]";
      const std::string number = ns[i].IsScalar() ? ns[i].Scalar() : "";
      if (number.empty() || number.size() > 32 ||
          number.find_first_not_of("0123456789+*#") != std::string::npos) {
        c.Error(ns[i], np,
                "must be 1..32 of the characters 0-9 + * # (quote one holding #), got '" +
                    Checker::Text(ns[i]) + "'");
        out.numbers.emplace_back();  // keeps indexes in step with the YAML list
        continue;
      }
      if (!seen.insert(number).second) c.Error(ns[i], np, "'" + number + "' is listed twice");
      out.numbers.push_back(number);
    }
  }
  c.String(n, p, "pin", out.pin);
  if (n["pin"].IsDefined() && (out.pin.empty() || out.pin.size() > 16 ||
                               out.pin.find_first_not_of("0123456789") != std::string::npos)) {
    c.Error(n["pin"], p + ".pin", "must be 1..16 digits, got '" + Checker::Text(n["pin"]) + "'");
  }
}

void CheckRoomSipNumbers(Checker& c, const YAML::Node& rooms_node,
                         const std::vector<RoomConfig>& rooms) {
  std::map<std::string, size_t> room_by_name;
  for (size_t i = 0; i < rooms.size(); ++i) room_by_name.emplace(rooms[i].name, i);
  std::map<std::string, size_t> room_by_number;
  for (size_t i = 0; i < rooms.size(); ++i) {
    const auto& numbers = rooms[i].sip.numbers;
    for (size_t k = 0; k < numbers.size(); ++k) {
      const std::string& number = numbers[k];
      if (number.empty()) continue;  // not valid: reported by ParseRoomSip
      const YAML::Node node = rooms_node[i]["sip"]["numbers"][k];
      const std::string p =
          "rooms[" + std::to_string(i) + "].sip.numbers[" + std::to_string(k) + "]";
      if (const auto it = room_by_name.find(number); it != room_by_name.end() && it->second != i) {
        c.Error(
            node, p,
            "'" + number + "' is already the name of rooms[" + std::to_string(it->second) + "]");
      }
      const auto [it, fresh] = room_by_number.emplace(number, i);
      if (!fresh && it->second != i) {
        c.Error(node, p, "'" + number + "' already reaches room '" + rooms[it->second].name + "'");
      }
    }
  }
}

}  // namespace tessera::app
