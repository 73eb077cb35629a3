#include "audit/syslog.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

namespace tessera::audit {
namespace {

// What one UDP datagram can carry; longer messages are not sent (the file has them).
constexpr size_t kMaxDatagram = 65507;

}  // namespace

std::string FormatSyslog(std::string_view hostname, std::string_view time, std::string_view line) {
  bool fit = !hostname.empty() && hostname.size() <= 255;
  for (const char c : hostname) fit = fit && c >= 33 && c <= 126;
  std::string out = "<109>1 ";
  out += time;
  out += ' ';
  out += fit ? hostname : std::string_view("-");
  out += " tessera - audit - ";
  out += line;
  return out;
}

std::string SyslogHostname() {
  std::array<char, 256> name{};
  if (::gethostname(name.data(), name.size() - 1) != 0) return "-";
  return name.data();
}

StatusOr<std::unique_ptr<SyslogForwarder>> SyslogForwarder::Create(const std::string& target) {
  std::string host = target;
  std::string port = "514";
  if (target.starts_with('[')) {
    const size_t close = target.find(']');
    if (close == std::string::npos) {
      return InvalidArgumentError("syslog target '" + target + "': a '[' without its ']'");
    }
    host = target.substr(1, close - 1);
    if (close + 1 < target.size()) {
      if (target[close + 1] != ':') {
        return InvalidArgumentError("syslog target '" + target + "': want [address]:port");
      }
      port = target.substr(close + 2);
    }
  } else if (const size_t colon = target.rfind(':'); colon != std::string::npos) {
    if (target.find(':') != colon) {
      return InvalidArgumentError("syslog target '" + target +
                                  "': write an IPv6 address in brackets, [::1]:514");
    }
    host = target.substr(0, colon);
    port = target.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != std::string::npos ||
      port.size() > 5 || std::stoul(port) == 0 || std::stoul(port) > 65535) {
    return InvalidArgumentError("syslog target '" + target + "': want host:port (port 1..65535)");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return InvalidArgumentError("syslog target '" + target + "': cannot resolve " + host + ": " +
                                ::gai_strerror(rc));
  }
  int fd = -1;
  std::string why = "no address";
  for (addrinfo* a = found; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    // Connected: send() needs no address, and the kernel drops datagrams from anyone else.
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    why = std::strerror(errno);
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd < 0) return InvalidArgumentError("syslog target '" + target + "': " + why);
  return std::unique_ptr<SyslogForwarder>(new SyslogForwarder(fd, SyslogHostname()));
}

SyslogForwarder::~SyslogForwarder() {
  if (fd_ >= 0) ::close(fd_);
}

bool SyslogForwarder::Send(std::string_view time, std::string_view line) {
  const std::string message = FormatSyslog(hostname_, time, line);
  if (message.size() > kMaxDatagram) return false;
  return ::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL) ==
         static_cast<ssize_t>(message.size());
}

}  // namespace tessera::audit
