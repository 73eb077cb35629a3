// Where a webhook's events go and how they are signed: its URL, its secret, the HMAC.
#include "control/webhook_target.h"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "control/jwt_crypto.h"

namespace tessera::control {
namespace {

namespace asio = boost::asio;
constexpr size_t kMaxSecretBytes = 64 * 1024;

}  // namespace

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) != 0;
  });
}

// http(s)://host[:port][/path][?query]; IPv6 literals in brackets. No user information and no
// fragment: neither has a meaning for a webhook, and "user@" hides where events go.
StatusOr<ParsedUrl> ParseUrl(const std::string& url, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return InvalidArgumentError(where + ".url '" + url + "' " + why +
                                " (expected http(s)://host[:port]/path)");
  };
  ParsedUrl parsed;
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    rest = url.substr(7);
    parsed.port = "80";
  } else if (url.rfind("https://", 0) == 0) {
    parsed.tls = true;
    rest = url.substr(8);
    parsed.port = "443";
  } else {
    return bad("is not an http:// or https:// URL");
  }
  for (const char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return bad("has a space or a control character");
    }
  }
  if (url.find('#') != std::string::npos) return bad("has a fragment");
  const size_t slash = rest.find_first_of("/?");
  const std::string authority = rest.substr(0, slash);
  parsed.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (parsed.target[0] == '?') parsed.target = "/" + parsed.target;
  if (authority.find('@') != std::string::npos) return bad("has user information");
  if (authority.empty()) return bad("has no host");
  parsed.host_header = authority;
  std::string port_text;
  bool has_port = false;
  if (authority[0] == '[') {
    const size_t close = authority.find(']');
    if (close == std::string::npos) return bad("has an unclosed '['");
    parsed.host = authority.substr(1, close - 1);
    const std::string after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return bad("has text after its IPv6 address");
      has_port = true;
      port_text = after.substr(1);
    }
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(parsed.host, ec);
    if (ec || !address.is_v6()) return bad("has no IPv6 address in its brackets");
  } else {
    const size_t colon = authority.find(':');
    parsed.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      has_port = true;
      port_text = authority.substr(colon + 1);
    }
  }
  if (parsed.host.empty()) return bad("has no host");
  if (has_port) {
    if (!AllDigits(port_text) || port_text.size() > 5 || std::stoul(port_text) == 0 ||
        std::stoul(port_text) > 65535) {
      return bad("has a bad port");
    }
    parsed.port = port_text;
  }
  return parsed;
}

// The file's bytes without trailing newlines: the HMAC key.
StatusOr<std::string> ReadSecret(const std::string& path, const std::string& where) {
  if (path.empty()) return InvalidArgumentError(where + ".secret_file is not set");
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return InvalidArgumentError(where + ".secret_file '" + path +
                                "' cannot be opened: " + std::strerror(errno));
  }
  std::string secret;
  std::array<char, 4096> chunk{};
  size_t n = 0;
  while (secret.size() <= kMaxSecretBytes &&
         (n = std::fread(chunk.data(), 1, chunk.size(), file)) > 0) {
    secret.append(chunk.data(), n);
  }
  const bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return InvalidArgumentError(where + ".secret_file '" + path + "' cannot be read");
  if (secret.size() > kMaxSecretBytes) {
    return InvalidArgumentError(where + ".secret_file '" + path +
                                "' is larger than 64 KiB: it should hold the key only");
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) return InvalidArgumentError(where + ".secret_file '" + path + "' is empty");
  return secret;
}

std::string HmacSha256Hex(const std::string& key, const std::string& body) {
  const std::string mac = HmacSha256(key, body);  // the JWT verifier's HMAC
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(2 * mac.size());
  for (const char byte : mac) {
    const auto b = static_cast<unsigned char>(byte);
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0x0f]);
  }
  return hex;
}

bool IsIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace tessera::control
