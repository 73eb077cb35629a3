// RFC 5424 syslog over UDP (RFC 5426) for the audit log's lines: one datagram a line,
//   <109>1 2026-12-06T20:45:01.123Z node-1 tessera - audit - {"seq":...}
// facility 13 (log audit), severity 5 (notice), MSGID "audit", no structured data, the line as
// MSG. UDP loses datagrams silently: the file stays the record; the SIEM's copy is what a node
// whose key is stolen cannot take back.
#pragma once

#include <tessera/base/status.h>

#include <memory>
#include <string>
#include <string_view>

namespace tessera::audit {

// `<109>1 <time> <hostname> tessera - audit - <line>`. `hostname`: printable ASCII without
// spaces, at most 255 characters, else "-" (RFC 5424 6.2.4). Pure.
std::string FormatSyslog(std::string_view hostname, std::string_view time, std::string_view line);

// This machine's name as RFC 5424's HOSTNAME ("-" when it has none fit for it).
std::string SyslogHostname();

// Runs on: the audit log's writer thread only.
class SyslogForwarder {
 public:
  // target: "host:port", "[v6 address]:port", or "host" (port 514). Resolved once, now.
  // InvalidArgument naming the target when it does not parse or resolve.
  static StatusOr<std::unique_ptr<SyslogForwarder>> Create(const std::string& target);
  ~SyslogForwarder();
  SyslogForwarder(const SyslogForwarder&) = delete;
  SyslogForwarder& operator=(const SyslogForwarder&) = delete;

  // Sends one line (without its '\n') as one datagram; never blocks. False when the socket
  // refused it (the caller counts it).
  bool Send(std::string_view time, std::string_view line);

 private:
  SyslogForwarder(int fd, std::string hostname) : fd_(fd), hostname_(std::move(hostname)) {}
  int fd_;
  std::string hostname_;
};

}  // namespace tessera::audit
